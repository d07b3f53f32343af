"""Filters of the requisition tracking list and the approved lines."""

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from alliance_procurement.filters import NHSFilterSet
from orders.models import Requisition, RequisitionLine
from orders.selectors import requisitions as selectors
from trusts import selectors as trust_selectors
from trusts.models import Trust

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _lines_matching(text: str) -> Exists:
    return Exists(
        RequisitionLine.objects.filter(requisition=OuterRef("pk")).filter(
            Q(item__name__icontains=text)
            | Q(item__sku__icontains=text)
            | Q(item__nhs_code__icontains=text)
        )
    )


class RequisitionFilter(NHSFilterSet):
    """Status, site, cost centre, requester, created between, item."""

    status = django_filters.ChoiceFilter(
        choices=Requisition.Status.choices, empty_label=_("Any status")
    )
    site = django_filters.ModelChoiceFilter(
        queryset=None, label=_("Delivery site"), empty_label=_("Any site")
    )
    cost_centre = django_filters.ModelChoiceFilter(
        queryset=None, label=_("Cost centre"), empty_label=_("Any cost centre")
    )
    requester = django_filters.ModelChoiceFilter(
        queryset=None, label=_("Requester"), empty_label=_("Anyone")
    )
    created_from = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__gte",
        label=_("Created from"),
        widget=DATE_WIDGET,
    )
    created_to = django_filters.DateFilter(
        field_name="created_at",
        lookup_expr="date__lte",
        label=_("Created to"),
        widget=DATE_WIDGET,
    )
    item = django_filters.CharFilter(
        method="filter_item",
        label=_("Item"),
        help_text=_("Part of an item's name, SKU or NHS code."),
        max_length=100,
    )

    class Meta:
        model = Requisition
        fields = [
            "status",
            "site",
            "cost_centre",
            "requester",
            "created_from",
            "created_to",
            "item",
        ]

    def __init__(self, *args, trust=None, **kwargs):
        super().__init__(*args, **kwargs)
        sites = trust_selectors.sites_for_trust(trust)
        cost_centres = trust_selectors.cost_centres_for_trust(trust)
        self.filters["site"].queryset = sites
        self.filters["cost_centre"].queryset = cost_centres
        self.filters["requester"].queryset = selectors.requesters_of_trust(trust)

    def filter_item(self, queryset, name, value):
        text = (value or "").strip()
        if not text:
            return queryset
        return queryset.filter(_lines_matching(text))


class ApprovedLineFilter(NHSFilterSet):
    """Trust and item of the approved lines."""

    same_fields_every_request = True

    trust = django_filters.ModelChoiceFilter(
        field_name="requisition__trust",
        queryset=Trust.objects.active().order_by("name"),
        label=_("Trust"),
        empty_label=_("Every trust"),
    )
    item = django_filters.CharFilter(
        method="filter_item",
        label=_("Item"),
        help_text=_("Part of an item's name, SKU or NHS code."),
        max_length=100,
    )

    class Meta:
        model = RequisitionLine
        fields = ["trust", "item"]

    def filter_item(self, queryset, name, value):
        text = (value or "").strip()
        if not text:
            return queryset
        return queryset.filter(
            Q(item__name__icontains=text)
            | Q(item__sku__icontains=text)
            | Q(item__nhs_code__icontains=text)
        )
