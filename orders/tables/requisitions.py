"""Tables of the requisition pages: tracking and the buyers' approved lines."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from alliance_procurement.tables import DateColumn, MoneyColumn, StatusTagColumn
from orders.models import Requisition, RequisitionLine

STATUS_COLOURS = {
    Requisition.Status.DRAFT: "grey",
    Requisition.Status.SUBMITTED: "blue",
    Requisition.Status.APPROVED: "green",
    Requisition.Status.REJECTED: "red",
    Requisition.Status.CANCELLED: "orange",
    Requisition.Status.ORDERED: "purple",
    Requisition.Status.RECEIVED: "aqua-green",
}


class RequisitionTable(tables.Table):
    number = tables.Column(linkify=True, verbose_name=_("Number"))
    status = StatusTagColumn(colours=STATUS_COLOURS, verbose_name=_("Status"))
    site = tables.Column(accessor="site__name", verbose_name=_("Delivery site"))
    cost_centre = tables.Column(
        accessor="cost_centre__code", verbose_name=_("Cost centre")
    )
    requester = tables.Column(
        accessor="requester__last_name",
        order_by=("requester__last_name", "requester__first_name"),
        verbose_name=_("Requester"),
    )
    needed_by = DateColumn(format="j M Y", verbose_name=_("Needed by"))
    created_at = DateColumn(format="j M Y", verbose_name=_("Created"))
    estimated_total = MoneyColumn(verbose_name=_("Estimated total"))

    caption = _("Requisitions")
    caption_class = "nhsuk-u-visually-hidden"

    class Meta:
        model = Requisition
        fields = (
            "number",
            "status",
            "site",
            "cost_centre",
            "requester",
            "needed_by",
            "created_at",
            "estimated_total",
        )
        order_by = ("-created_at",)
        empty_text = _("No requisitions match. Try other filters or clear them.")

    def render_requester(self, record):
        return record.requester.get_full_name() or record.requester.username

    def value_requester(self, record):
        return self.render_requester(record)


APPROVED_LINES_PER_PAGE = 50


class ApprovedLineTable(tables.Table):
    trust = tables.Column(accessor="requisition__trust__code", verbose_name=_("Trust"))
    requisition = tables.Column(
        accessor="requisition__number",
        linkify=lambda record: record.requisition.get_absolute_url(),
        verbose_name=_("Requisition"),
    )
    sku = tables.Column(accessor="item__sku", verbose_name=_("SKU"))
    item = tables.Column(accessor="item__name", verbose_name=_("Item"))
    quantity = tables.Column(
        verbose_name=_("Quantity"),
        attrs={"td": {"class": "nhsuk-table__cell--numeric"}},
    )
    unit = tables.Column(accessor="item__unit", verbose_name=_("Unit"))
    needed_by = DateColumn(
        accessor="requisition__needed_by", format="j M Y", verbose_name=_("Needed by")
    )
    submitted_at = DateColumn(
        accessor="requisition__submitted_at",
        format="j M Y H:i",
        verbose_name=_("Submitted"),
    )
    estimated_net = MoneyColumn(verbose_name=_("Estimated net"))

    caption = _("Approved lines not yet pooled")
    caption_class = "nhsuk-u-visually-hidden"

    class Meta:
        model = RequisitionLine
        fields = (
            "trust",
            "requisition",
            "sku",
            "item",
            "quantity",
            "unit",
            "needed_by",
            "submitted_at",
            "estimated_net",
        )
        # Also the size ``?per_page=0`` falls back to.
        per_page = APPROVED_LINES_PER_PAGE
        empty_text = _("No approved lines are waiting to be pooled.")
