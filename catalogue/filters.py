"""Filters of the catalogue list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alliance_procurement.filters import NHSFilterSet, SearchFilter
from catalogue import selectors
from catalogue.models import Item


class ItemFilter(NHSFilterSet):
    same_fields_every_request = True

    q = SearchFilter(
        fields=("name", "sku", "nhs_code", "gtin"),
        label=_("Search"),
        help_text=_("Name, SKU, NHS product code or GTIN."),
    )
    category = django_filters.ModelChoiceFilter(
        queryset=selectors.categories_list(), empty_label=_("Any category")
    )
    kind = django_filters.ChoiceFilter(
        choices=Item.Kind.choices, empty_label=_("Any kind")
    )

    class Meta:
        model = Item
        fields = ["q", "category", "kind"]
