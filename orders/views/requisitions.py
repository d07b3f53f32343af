"""Requisition pages: raise, edit, submit, approve, reject, cancel, track.

Every requisition is fetched through ``requisitions_visible_to`` (another
trust's is a 404); roles lacking an action get a 403 (DESIGN §7).
"""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from alliance_procurement.tables import (
    ExportMixin,
    KeysFirstPaginator,
    pages_of,
    rows_per_page,
)
from orders.filters.requisitions import ApprovedLineFilter, RequisitionFilter
from orders.forms import requisitions as forms
from orders.models import Requisition
from orders.selectors import requisitions as selectors
from orders.services import requisitions as services
from orders.tables.requisitions import (
    APPROVED_LINES_PER_PAGE,
    ApprovedLineTable,
    RequisitionTable,
)
from trusts import selectors as trust_selectors
from trusts.models import Role
from trusts.permissions import RoleRequiredMixin, require_role, role_required

READERS = selectors.REQUISITION_READERS
QUEUE_PER_PAGE = 25


def _visible(request, pk: int) -> Requisition:
    try:
        return selectors.requisition_get(user=request.user, pk=pk)
    except Requisition.DoesNotExist as exc:
        raise Http404 from exc


def _next_or(request, requisition: Requisition) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return requisition.get_absolute_url()


def _render_form(request, *, form, formset, requisition=None):
    return render(
        request,
        "orders/requisition_form.html",
        {
            "form": form,
            "formset": formset,
            "requisition": requisition,
            "errors": forms.error_summary(form, formset),
        },
    )


def _save(request, *, requisition: Requisition | None):
    """Create or update from the posted form; re-render with errors if refused.

    "Add a line" sent without JavaScript saves nothing: the same form comes
    back with an empty line more.
    """
    trust = trust_selectors.user_trust(request.user)
    if forms.ADD_LINE in request.POST:
        form, formset = forms.with_line_added(request.POST, trust=trust)
        return _render_form(
            request, form=form, formset=formset, requisition=requisition
        )
    form = forms.RequisitionForm(request.POST, trust=trust)
    formset = forms.line_formset(request.POST)
    if form.is_valid() & formset.is_valid():
        header = {
            "site_id": form.cleaned_data["site"].pk,
            "cost_centre_id": form.cleaned_data["cost_centre"].pk,
            "needed_by": form.cleaned_data["needed_by"],
            "notes": form.cleaned_data["notes"],
            "lines": formset.line_inputs(),
        }
        try:
            if requisition is None:
                requisition = services.requisition_create(
                    requester=request.user, **header
                )
            else:
                requisition = services.requisition_update(
                    requisition_id=requisition.pk, editor=request.user, **header
                )
        except ValidationError as exc:
            forms.apply_service_errors(form, formset, exc)
        else:
            messages.success(
                request,
                _("Draft %(number)s saved. Submit it when it is ready.")
                % {"number": requisition.number},
            )
            return redirect(requisition)
    return _render_form(request, form=form, formset=formset, requisition=requisition)


@role_required(Role.REQUISITIONER)
def requisition_create(request):
    """Raise a requisition: header and lines, saved as a numbered draft."""
    if request.method == "POST":
        return _save(request, requisition=None)
    trust = trust_selectors.user_trust(request.user)
    return _render_form(
        request,
        form=forms.RequisitionForm(trust=trust),
        formset=forms.line_formset(),
    )


@role_required(*READERS)
def requisition_edit(request, pk: int):
    """Edit a draft; anything past draft goes back to its page."""
    requisition = _visible(request, pk)
    require_role(request.user, Role.REQUISITIONER)
    if requisition.status != Requisition.Status.DRAFT:
        messages.error(request, _("Only a draft can be edited."))
        return redirect(requisition)
    if request.method == "POST":
        return _save(request, requisition=requisition)
    form = forms.RequisitionForm(
        trust=requisition.trust,
        initial={
            "site": requisition.site_id,
            "cost_centre": requisition.cost_centre_id,
            "needed_by": requisition.needed_by,
            "notes": requisition.notes,
        },
    )
    formset = forms.line_formset(
        initial=[
            {"item": line.item.sku, "quantity": line.quantity}
            for line in requisition.lines.all()
        ]
    )
    return _render_form(request, form=form, formset=formset, requisition=requisition)


@role_required(*READERS)
def requisition_detail(request, pk: int):
    """One requisition: details, lines with estimated prices, history, actions."""
    requisition = _visible(request, pk)
    actions = selectors.requisition_actions(user=request.user, requisition=requisition)
    draft_prices = {}
    if requisition.status == Requisition.Status.DRAFT:
        draft_prices = selectors.draft_estimates(
            requisition=requisition, on=timezone.localdate()
        )
    return render(
        request,
        "orders/requisition_detail.html",
        {
            "requisition": requisition,
            "actions": actions,
            "lines": [
                {"line": line, "draft_unit_price": draft_prices.get(line.pk)}
                for line in requisition.lines.all()
            ],
        },
    )


def _act(request, pk: int, role: Role, call, done: str):
    """Run one action on a visible requisition; report refusals as messages."""
    requisition = _visible(request, pk)
    require_role(request.user, role)
    try:
        requisition = call(requisition.pk)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, done % {"number": requisition.number})
    return redirect(_next_or(request, requisition))


@role_required(*READERS)
@require_POST
def requisition_submit(request, pk: int):
    return _act(
        request,
        pk,
        Role.REQUISITIONER,
        lambda pk: services.requisition_submit(
            requisition_id=pk, submitter=request.user
        ),
        _("%(number)s submitted for approval."),
    )


@role_required(*READERS)
@require_POST
def requisition_approve(request, pk: int):
    return _act(
        request,
        pk,
        Role.APPROVER,
        lambda pk: services.requisition_approve(
            requisition_id=pk, approver=request.user
        ),
        _("%(number)s approved."),
    )


@role_required(*READERS)
def requisition_cancel(request, pk: int):
    """Ask to confirm (with an optional reason), then cancel."""
    requisition = _visible(request, pk)
    require_role(request.user, Role.REQUISITIONER)
    form = forms.CancelForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return render(
            request,
            "orders/requisition_cancel.html",
            {
                "requisition": requisition,
                "form": form,
                "errors": forms.error_summary(form),
            },
        )
    return _act(
        request,
        pk,
        Role.REQUISITIONER,
        lambda pk: services.requisition_cancel(
            requisition_id=pk, actor=request.user, reason=form.cleaned_data["reason"]
        ),
        _("%(number)s cancelled."),
    )


@role_required(*READERS)
def requisition_reject(request, pk: int):
    """Ask for the reason, then reject."""
    requisition = _visible(request, pk)
    require_role(request.user, Role.APPROVER)
    form = forms.RejectForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.requisition_reject(
                requisition_id=requisition.pk,
                approver=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                form.add_error(None, exc)
            else:
                for message in exc.messages:
                    messages.error(request, message)
                return redirect(requisition)
        else:
            messages.success(
                request, _("%(number)s rejected.") % {"number": requisition.number}
            )
            return redirect("orders:approval-queue")
    return render(
        request,
        "orders/requisition_reject.html",
        {
            "requisition": requisition,
            "form": form,
            "errors": forms.error_summary(form),
        },
    )


@role_required(Role.APPROVER)
def approval_queue(request):
    """The approver's trust's submitted requisitions, oldest first, 25 a page
    (``?per_page=`` up to 100), with what the approver may do on each."""
    page = KeysFirstPaginator(
        selectors.approval_queue(user=request.user),
        rows_per_page(request.GET.get("per_page"), QUEUE_PER_PAGE),
    ).get_page(request.GET.get("page"))
    rows = [
        {
            "requisition": requisition,
            "actions": selectors.requisition_actions(
                user=request.user, requisition=requisition
            ),
        }
        for requisition in page
    ]
    return render(
        request,
        "orders/requisition_approval_queue.html",
        {"rows": rows, "page_obj": page},
    )


class RequisitionListView(RoleRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """The trust's requisitions: filter, sort, 25 a page, CSV and XLSX."""

    required_roles = selectors.TRUST_READERS
    template_name = "orders/requisition_list.html"
    table_class = RequisitionTable
    filterset_class = RequisitionFilter
    # The table paginates; the view must not count the rows a second time.
    table_pagination = pages_of(25)
    export_name = "requisitions"

    def get_queryset(self):
        return selectors.requisition_list(user=self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["trust"] = trust_selectors.user_trust(self.request.user)
        return kwargs


class ApprovedLinesView(RoleRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Buyers: approved lines of every trust not yet pooled, read-only."""

    required_roles = (Role.BUYER,)
    template_name = "orders/requisition_approved_lines.html"
    table_class = ApprovedLineTable
    filterset_class = ApprovedLineFilter
    table_pagination = pages_of(APPROVED_LINES_PER_PAGE)
    export_name = "approved-lines"

    def get_queryset(self):
        return selectors.approved_lines_list(user=self.request.user)


# --- htmx pieces of the requisition form -------------------------------------


def _typed_item(request) -> str:
    for key, value in request.GET.items():
        if key == "q" or key.endswith("-item"):
            return value
    return ""


@role_required(Role.REQUISITIONER)
@require_GET
def item_search(request):
    """Options for an item box's datalist: items matching what is typed."""
    items = selectors.item_search(text=_typed_item(request))
    return render(
        request, "orders/partials/_requisition_item_options.html", {"items": items}
    )


@role_required(Role.REQUISITIONER)
@require_GET
def line_estimate(request):
    """One line's item, unit, pack size, estimated unit price and line total."""
    query = forms.LineEstimateQuery(request.GET)
    if not query.is_valid():
        return HttpResponse(status=400)
    prefix = query.cleaned_data["prefix"]
    item = selectors.item_find(text=request.GET.get(f"{prefix}-item", ""))
    quantity_text = request.GET.get(f"{prefix}-quantity", "").strip()
    quantity = int(quantity_text) if quantity_text.isdigit() else None
    if quantity is not None and not 1 <= quantity <= forms.MAX_LINE_QUANTITY:
        quantity = None
    estimate = None
    if item is not None and item.is_active:
        estimate = selectors.line_estimate(
            trust=trust_selectors.user_trust(request.user),
            item=item,
            quantity=quantity,
            on=timezone.localdate(),
        )
    return render(
        request,
        "orders/partials/_requisition_line_estimate.html",
        {"prefix": prefix, "item": item, "estimate": estimate},
    )


@role_required(Role.REQUISITIONER)
@require_GET
def line_add(request):
    """A new empty line, and the formset's form count raised by one."""
    try:
        index = int(request.GET.get(f"{forms.LINE_PREFIX}-TOTAL_FORMS", "1"))
    except ValueError:
        index = 1
    index = max(0, min(index, forms.MAX_LINES - 1))
    formset = forms.line_formset()
    line_form = formset.form(
        prefix=formset.add_prefix(index),
        empty_permitted=True,
        use_required_attribute=False,
    )
    return render(
        request,
        "orders/partials/_requisition_line_added.html",
        {"line_form": line_form, "index": index, "total": index + 1},
    )


@role_required(Role.REQUISITIONER)
@require_GET
def line_remove(request):
    """Nothing: the line's row is swapped for this empty answer."""
    return HttpResponse("")
