"""Filters of the contract list."""

import django_filters
from django.utils.translation import gettext_lazy as _

from alliance_procurement.filters import NHSFilterSet, SearchFilter
from suppliers import selectors
from suppliers.models import Contract
from trusts.models import Trust


class ContractFilter(NHSFilterSet):
    same_fields_every_request = True

    q = SearchFilter(
        fields=("reference", "title", "supplier__name"),
        label=_("Search"),
        help_text=_("Reference, title or supplier."),
    )
    status = django_filters.ChoiceFilter(
        choices=Contract.Status.choices, empty_label=_("Any status")
    )
    supplier = django_filters.ModelChoiceFilter(
        queryset=selectors.suppliers_list(), empty_label=_("Any supplier")
    )
    trust = django_filters.ModelChoiceFilter(
        queryset=Trust.objects.order_by("name"),
        label=_("Trust"),
        empty_label=_("Any trust"),
        method="filter_trust",
    )

    class Meta:
        model = Contract
        fields = ["q", "status", "supplier", "trust"]

    def filter_trust(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=selectors.contract_ids_open_to(value))
