"""Filters of the order list."""

import datetime
import re

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance_procurement.filters import NHSFilterSet
from orders.models import JointPurchaseOrder
from suppliers.models import Contract, Supplier
from trusts.models import Trust

MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def _month_range(value: str) -> tuple[datetime.datetime, datetime.datetime]:
    match = MONTH.match(value)
    if not match:
        raise ValidationError(_("Enter a month like 2026-11."), code="invalid")
    year, month = int(match[1]), int(match[2])
    start = datetime.datetime(year, month, 1)  # noqa: DTZ001 -- made aware below
    end = datetime.datetime(year + month // 12, month % 12 + 1, 1)  # noqa: DTZ001
    zone = timezone.get_current_timezone()
    return timezone.make_aware(start, zone), timezone.make_aware(end, zone)


class MonthField(forms.CharField):
    widget = forms.TextInput(attrs={"type": "month", "placeholder": "2026-11"})

    def clean(self, value):
        value = super().clean(value)
        if value:
            _month_range(value)
        return value


class MonthFilter(django_filters.CharFilter):
    field_class = MonthField

    def filter(self, qs, value):
        if not value:
            return qs
        start, end = _month_range(value)
        return qs.filter(issued_at__gte=start, issued_at__lt=end)


class JointPurchaseOrderFilter(NHSFilterSet):
    same_fields_every_request = True

    supplier = django_filters.ModelChoiceFilter(
        queryset=Supplier.objects.all(), empty_label=_("Any supplier")
    )
    contract = django_filters.ModelChoiceFilter(
        queryset=Contract.objects.all(), empty_label=_("Any contract")
    )
    status = django_filters.ChoiceFilter(
        choices=JointPurchaseOrder.Status.choices, empty_label=_("Any status")
    )
    issued = MonthFilter(
        label=_("Issued in"), help_text=_("A month, for example 2026-11.")
    )
    trust = django_filters.ModelChoiceFilter(
        queryset=Trust.objects.all(),
        empty_label=_("Any trust"),
        method="filter_trust",
        label=_("Trust"),
    )

    class Meta:
        model = JointPurchaseOrder
        fields = ["supplier", "contract", "status", "issued", "trust"]

    def __init__(self, *args, show_trust: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not show_trust:
            # A trust user's list holds only their trust's orders.
            del self.filters["trust"]

    def filter_trust(self, queryset, name, value):
        return queryset.filter(shares__trust=value) if value else queryset
