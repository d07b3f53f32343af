"""The order list table."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from alliance_procurement.tables import DateColumn, MoneyColumn, StatusTagColumn
from orders.models import JointPurchaseOrder

STATUS_COLOURS = {
    "draft": "grey",
    "issued": "blue",
    "part_received": "yellow",
    "received": "green",
    "closed": "white",
    "cancelled": "red",
}


class JointPurchaseOrderTable(tables.Table):
    """Orders with the figures the viewer may see (``shown_*`` annotations):
    the order's totals for buyers, their trust's share for trust users."""

    number = tables.Column(linkify=True, verbose_name=_("Order"))
    shown_reference = tables.Column(verbose_name=_("Reference to quote"))
    supplier = tables.Column(accessor="supplier__name", verbose_name=_("Supplier"))
    contract = tables.Column(accessor="contract__reference", verbose_name=_("Contract"))
    status = StatusTagColumn(colours=STATUS_COLOURS, verbose_name=_("Status"))
    issued_at = DateColumn(format="j M Y", verbose_name=_("Issued"), default="–")
    shown_net = MoneyColumn(verbose_name=_("Net"))
    shown_vat = MoneyColumn(verbose_name=_("VAT"))
    shown_gross = MoneyColumn(verbose_name=_("Gross"))
    shown_savings = MoneyColumn(verbose_name=_("Savings"))

    caption = _("Joint purchase orders")
    caption_class = "nhsuk-u-visually-hidden"

    class Meta:
        model = JointPurchaseOrder
        fields = ()
        sequence = (
            "number",
            "shown_reference",
            "supplier",
            "contract",
            "status",
            "issued_at",
            "shown_net",
            "shown_vat",
            "shown_gross",
            "shown_savings",
        )
        order_by = ("-number",)
        empty_text = _("No orders match. Try other filters or clear them.")
