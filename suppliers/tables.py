"""Tables of the contract pages."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from alliance_procurement.tables import (
    DateColumn,
    MoneyColumn,
    StatusTagColumn,
    UnitPriceColumn,
)
from suppliers.models import Contract, FuelIndexPrice

# Keep in step with templates suppliers/partials/_status_tag.html.
CONTRACT_STATUS_COLOURS = {
    Contract.Status.DRAFT: "blue",
    Contract.Status.ACTIVE: "green",
    Contract.Status.SUSPENDED: "orange",
    Contract.Status.ENDED: "grey",
}


class ContractTable(tables.Table):
    reference = tables.Column(linkify=True, attrs={"td": {"class": "app-nowrap"}})
    supplier = tables.Column(accessor="supplier__name", verbose_name=_("Supplier"))
    trusts = tables.Column(
        accessor="pk", verbose_name=_("Trusts"), orderable=False, empty_values=()
    )
    start_date = DateColumn(
        format="j M Y", verbose_name=_("Starts"), attrs={"td": {"class": "app-nowrap"}}
    )
    end_date = DateColumn(
        format="j M Y", verbose_name=_("Ends"), attrs={"td": {"class": "app-nowrap"}}
    )
    status = StatusTagColumn(colours=CONTRACT_STATUS_COLOURS)
    value_ceiling = MoneyColumn(verbose_name=_("Value ceiling"))
    committed_value = MoneyColumn(verbose_name=_("Committed"))
    remaining_ceiling = MoneyColumn(verbose_name=_("Remaining ceiling"))

    caption = _("Contracts")
    caption_class = "nhsuk-u-visually-hidden"

    class Meta:
        model = Contract
        fields = (
            "reference",
            "title",
            "supplier",
            "trusts",
            "start_date",
            "end_date",
            "status",
            "value_ceiling",
            "committed_value",
            "remaining_ceiling",
        )
        order_by = ("reference",)
        attrs = {"class": "app-table nhsuk-table--compact"}
        empty_text = _("No contracts match. Try another search or clear the filters.")

    def render_trusts(self, record):
        # Prefetched by the selector: no query per row.
        return ", ".join(trust.code for trust in record.trusts.all())

    def value_trusts(self, record):
        return self.render_trusts(record)


FUEL_PRICES_PER_PAGE = 50


class FuelIndexPriceTable(tables.Table):
    effective_date = DateColumn(format="j F Y")
    price_per_litre = UnitPriceColumn(verbose_name=_("Price per litre"))

    caption = _("Dated prices")

    class Meta:
        model = FuelIndexPrice
        fields = ("effective_date", "price_per_litre")
        order_by = ("-effective_date",)
        # Also the size ``?per_page=0`` falls back to.
        per_page = FUEL_PRICES_PER_PAGE
        empty_text = _("No prices have been recorded for this index yet.")
