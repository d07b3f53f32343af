"""Pooling round pages for buyers: list, open, preview and commit (DESIGN §5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orders.forms.pooling import PoolingRoundOpenForm, PreviewGroupFilterForm
from orders.models import PoolingRound
from orders.selectors import pooling as selectors
from orders.services import pooling as services
from trusts.models import Role
from trusts.permissions import role_required

GROUPS_PER_PAGE = 25
HELD_PAIRS_PER_PAGE = 25


@role_required(Role.BUYER)
def round_list(request):
    return render(
        request,
        "orders/round_list.html",
        {"rounds": selectors.pooling_rounds_list()[:100]},
    )


@role_required(Role.BUYER)
def round_create(request):
    form = PoolingRoundOpenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            pooling_round = services.pooling_round_open(
                buyer=request.user, cut_off=form.cleaned_data["cut_off"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("Round opened. Check the preview, then commit.")
            )
            return redirect(pooling_round)
    return render(
        request,
        "orders/round_form.html",
        {"form": form, "pricing_date": timezone.localdate()},
    )


def _round_or_404(pk: int) -> PoolingRound:
    try:
        return selectors.pooling_round_get(pk=pk)
    except PoolingRound.DoesNotExist as exc:
        raise Http404 from exc


@role_required(Role.BUYER)
def round_detail(request, pk: int):
    pooling_round = _round_or_404(pk)
    context = {"round": pooling_round}
    if pooling_round.status == PoolingRound.Status.OPEN:
        context.update(_preview_context(request, pooling_round))
    else:
        context["orders"] = pooling_round.orders.select_related(
            "supplier", "contract"
        ).order_by("number")
    return render(request, "orders/round_detail.html", context)


def _preview_context(request, pooling_round: PoolingRound) -> dict:
    """The preview in pages: a round of a week's lines nationally has
    thousands of groups and can hold thousands of lines, too many for one page.

    The totals and the orders the commit would make cover the whole round;
    groups are found by contract or item and shown ``GROUPS_PER_PAGE`` at a
    time, held lines ``HELD_PAIRS_PER_PAGE`` (item, trust) pairs at a time.
    """
    preview = selectors.pooling_round_preview(pooling_round=pooling_round)
    summaries = preview.contract_summaries()
    form = PreviewGroupFilterForm(
        request.GET, contracts=[summary.contract for summary in summaries]
    )
    found = form.cleaned_data if form.is_valid() else {}
    groups = preview.groups_matching(
        contract_id=found.get("contract"), text=found.get("item", "")
    )
    group_page = Paginator(groups, GROUPS_PER_PAGE).get_page(request.GET.get("page"))
    held_page = Paginator(preview.held, HELD_PAIRS_PER_PAGE).get_page(
        request.GET.get("held_page")
    )
    return {
        "preview": preview,
        "contract_summaries": summaries,
        "group_filter": {"form": form},
        "groups_found": len(groups),
        "group_page": group_page,
        "held_page": held_page,
        "held_lines": selectors.held_lines_for(pooling_round, list(held_page)),
    }


@require_POST
@role_required(Role.BUYER)
def round_commit(request, pk: int):
    pooling_round = _round_or_404(pk)
    try:
        orders = services.pooling_round_commit(
            round_id=pooling_round.pk, buyer=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Round committed: %(count)s draft orders.") % {"count": len(orders)},
        )
    return redirect(pooling_round)
