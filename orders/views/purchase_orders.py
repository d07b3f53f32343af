"""Joint purchase order pages: list, detail, issue, cancel, receipts (DESIGN §5)."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from alliance_procurement.tables import ExportMixin, pages_of
from orders.filters.purchase_orders import JointPurchaseOrderFilter
from orders.forms.pooling import AllocationReceiveForm
from orders.models import Allocation, JointPurchaseOrder
from orders.selectors import purchase_orders as selectors
from orders.services import purchase_orders as services
from orders.tables.purchase_orders import JointPurchaseOrderTable
from trusts import selectors as trust_selectors
from trusts.models import Role
from trusts.permissions import RoleRequiredMixin, role_required

ORDER_READERS = (Role.BUYER, Role.REQUISITIONER, Role.APPROVER, Role.FINANCE)
TRUST_ROLES = (Role.REQUISITIONER, Role.APPROVER, Role.FINANCE)


class OrderListView(RoleRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Orders the user may see, filtered, sorted, 25 a page, CSV and XLSX."""

    required_roles = ORDER_READERS
    template_name = "orders/order_list.html"
    table_class = JointPurchaseOrderTable
    filterset_class = JointPurchaseOrderFilter
    table_pagination = pages_of(25)
    export_name = "orders"

    def get_queryset(self):
        return selectors.joint_orders_list(self.request.user)

    def get_filterset_kwargs(self, filterset_class):
        kwargs = super().get_filterset_kwargs(filterset_class)
        kwargs["show_trust"] = trust_selectors.user_has_role(
            self.request.user, Role.BUYER
        )
        return kwargs


def _render_detail(request, number: str, receive_form=None, status: int = 200):
    try:
        view = selectors.order_view_for(user=request.user, number=number)
    except JointPurchaseOrder.DoesNotExist as exc:
        raise Http404 from exc
    context = {
        "view": view,
        "order": view.order,
        "receivable": selectors.receivable_allocation_ids(view),
        "receive_form": receive_form,
    }
    return render(request, "orders/order_detail.html", context, status=status)


@role_required(*ORDER_READERS)
def order_detail(request, number: str):
    return _render_detail(request, number)


def _order_or_404(user, number: str) -> JointPurchaseOrder:
    try:
        return selectors.joint_order_get(user=user, number=number)
    except JointPurchaseOrder.DoesNotExist as exc:
        raise Http404 from exc


def _order_action(request, number: str, service, done: str):
    order = _order_or_404(request.user, number)
    try:
        service(order_id=order.pk, buyer=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, done % {"number": order.number})
    return redirect(order)


@require_POST
@role_required(Role.BUYER)
def order_issue(request, number: str):
    return _order_action(
        request, number, services.joint_order_issue, _("Order %(number)s issued.")
    )


@require_POST
@role_required(Role.BUYER)
def order_cancel(request, number: str):
    return _order_action(
        request,
        number,
        services.joint_order_cancel,
        _("Order %(number)s cancelled; its lines are back to approved."),
    )


@require_POST
@role_required(*TRUST_ROLES)
def order_receive(request, number: str):
    order = _order_or_404(request.user, number)
    form = AllocationReceiveForm(request.POST)
    if form.is_valid():
        try:
            services.allocation_receive(
                allocation_id=form.cleaned_data["allocation"],
                user=request.user,
                quantity=form.cleaned_data["quantity"],
                note=form.cleaned_data["note"],
            )
        except Allocation.DoesNotExist as exc:
            raise Http404 from exc
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    form.add_error(field, errors)
            else:
                form.add_error(None, exc)
        else:
            messages.success(request, _("Receipt recorded."))
            return redirect(order)
    return _render_detail(request, number, receive_form=form, status=400)
