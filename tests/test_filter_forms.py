"""A filter set whose fields are the same on every request makes its form
class once; every form still has fields of its own, and choices given per
request are never shared."""

import django_filters
import pytest
from django.core.exceptions import ImproperlyConfigured

from alliance_procurement.filters import NHSFilterSet
from orders.filters.purchase_orders import JointPurchaseOrderFilter
from orders.filters.requisitions import RequisitionFilter
from orders.models import JointPurchaseOrder, Requisition
from suppliers.models import Supplier
from tests import factories

pytestmark = pytest.mark.django_db


def _orders_filter(data, show_trust=True):
    return JointPurchaseOrderFilter(
        data, queryset=JointPurchaseOrder.objects.all(), show_trust=show_trust
    )


def test_the_form_class_is_made_once_for_each_set_of_filters_shown():
    buyer_forms = {type(_orders_filter({}).form) for _ in range(3)}
    trust_forms = {type(_orders_filter({}, show_trust=False).form) for _ in range(3)}
    assert len(buyer_forms) == len(trust_forms) == 1
    assert buyer_forms != trust_forms
    assert "trust" in next(iter(buyer_forms)).base_fields
    assert "trust" not in next(iter(trust_forms)).base_fields


def test_each_form_has_fields_of_its_own():
    """One request's wrong month marks its own input, not the next request's,
    nor the class every form is made from."""
    wrong = _orders_filter({"issued": "November"})
    right = _orders_filter({"issued": "2026-11"})
    assert not wrong.is_valid()
    assert right.is_valid()
    assert type(wrong.form) is type(right.form)
    for name in ("supplier", "issued", "trust"):
        assert wrong.form.fields[name] is not right.form.fields[name]
        assert wrong.form.fields[name].widget is not right.form.fields[name].widget
    assert wrong.form.fields["supplier"].queryset is not (
        right.form.fields["supplier"].queryset
    )
    assert "nhsuk-input--error" in str(wrong.form["issued"])
    assert 'aria-invalid="true"' in str(wrong.form["issued"])
    assert "nhsuk-input--error" not in str(right.form["issued"])
    assert "aria-invalid" not in str(right.form["issued"])
    base_widget = type(right.form).base_fields["issued"].widget
    assert "nhsuk" not in base_widget.attrs.get("class", "")


def test_a_supplier_added_later_is_offered_by_the_next_form():
    _orders_filter({}).form  # noqa: B018 -- makes the class
    Supplier.objects.create(name="Later Supplies Ltd", email="later@x.test")
    assert "Later Supplies Ltd" in str(_orders_filter({}).form["supplier"])


def test_choices_given_per_request_are_never_shared():
    """Each trust's requisition filter offers only its own sites, with a
    form made for it."""
    north, south = factories.TrustFactory(), factories.TrustFactory()
    north_site = factories.SiteFactory(trust=north, name="North depot")
    south_site = factories.SiteFactory(trust=south, name="South depot")
    forms = {}
    for trust in (north, south):
        filterset = RequisitionFilter(
            {}, queryset=Requisition.objects.filter(trust=trust), trust=trust
        )
        forms[trust] = filterset.form
    assert type(forms[north]) is not type(forms[south])
    assert north_site.name in str(forms[north]["site"])
    assert south_site.name not in str(forms[north]["site"])
    assert south_site.name in str(forms[south]["site"])
    assert north_site.name not in str(forms[south]["site"])


def test_a_queryset_per_request_cannot_be_declared_the_same():
    class PerRequestFilter(NHSFilterSet):
        same_fields_every_request = True
        supplier = django_filters.ModelChoiceFilter(
            queryset=lambda request: Supplier.objects.all()
        )

        class Meta:
            model = JointPurchaseOrder
            fields = ["supplier"]

    filterset = PerRequestFilter({}, queryset=JointPurchaseOrder.objects.all())
    with pytest.raises(ImproperlyConfigured, match="per request"):
        filterset.form  # noqa: B018
