"""``OptionsSelect`` writes the same select as Django's template-rendered one."""

import pytest
from django import forms
from django.test.html import parse_html

from alliance_procurement.widgets import OptionsSelect

CHOICES = [
    ("", "Any status"),
    ("draft", "Draft"),
    ("issued", 'Issued <"quoted"> & more'),
    ("Group", [("a", "A"), ("b", "B")]),
]


@pytest.mark.parametrize("value", [None, "", "issued", "b", "missing"])
@pytest.mark.parametrize(
    "attrs", [{}, {"class": "nhsuk-select", "aria-describedby": "x-hint"}]
)
def test_same_html_as_django_select(value, attrs):
    django_select = forms.Select(attrs=attrs, choices=CHOICES)
    quick = OptionsSelect(attrs=attrs, choices=CHOICES)
    expected = django_select.render("status", value, attrs={"id": "id_status"})
    rendered = quick.render("status", value, attrs={"id": "id_status"})
    assert parse_html(rendered) == parse_html(expected)
    assert "&lt;&quot;quoted&quot;&gt; &amp; more" in rendered


@pytest.mark.django_db
def test_filter_forms_render_their_selects_in_python():
    from orders.filters.purchase_orders import JointPurchaseOrderFilter
    from orders.models import JointPurchaseOrder

    filterset = JointPurchaseOrderFilter(
        {"status": "issued"}, queryset=JointPurchaseOrder.objects.all()
    )
    status = filterset.form["status"]
    assert isinstance(status.field.widget, OptionsSelect)
    html = str(status)
    assert '<option value="issued" selected>' in html
    assert 'class="nhsuk-select' in html
