"""Tables of the catalogue pages."""

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from catalogue.models import Item


def vat_percent(value) -> str:
    """Show a VAT fraction as a percentage: 0.20 is 20%."""
    return f"{value * 100:.0f}%"


class ItemTable(tables.Table):
    sku = tables.Column(
        linkify=True, verbose_name=_("SKU"), attrs={"td": {"class": "app-nowrap"}}
    )
    category = tables.Column(accessor="category__name", verbose_name=_("Category"))
    vat_rate = tables.Column(verbose_name=_("VAT"))

    caption = _("Catalogue items")
    caption_class = "nhsuk-u-visually-hidden"

    class Meta:
        model = Item
        fields = (
            "sku",
            "name",
            "category",
            "kind",
            "unit",
            "pack_size",
            "vat_rate",
            "nhs_code",
            "gtin",
        )
        order_by = ("name",)
        attrs = {"class": "app-table nhsuk-table--compact"}
        empty_text = _("No items match. Try another search or clear the filters.")

    def render_vat_rate(self, record):
        # The choice label ("20% (standard)") is long for a table cell.
        return vat_percent(record.vat_rate)

    def value_vat_rate(self, record):
        return record.vat_rate
