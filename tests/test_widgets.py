"""``OptionsSelect`` and ``quick_input`` write the same markup as Django's
template-rendered widgets."""

import datetime

import pytest
from django import forms
from django.test.html import parse_html

from alliance_procurement.widgets import PLAIN_INPUTS, OptionsSelect, quick_input

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


def test_a_single_select_marks_only_the_first_matching_option():
    choices = [("a", "First"), ("a", "Again"), ("b", "B")]
    django_html = forms.Select(choices=choices).render("x", "a")
    quick_html = OptionsSelect(choices=choices).render("x", "a")
    assert parse_html(quick_html) == parse_html(django_html)
    assert quick_html.count(" selected") == 1


@pytest.mark.django_db
@pytest.mark.parametrize("empty_label", ["Any trust", None])
@pytest.mark.parametrize("pick", ["none", "second", "missing"])
def test_model_choices_same_html_as_django_in_one_plain_query(
    empty_label, pick, django_assert_num_queries
):
    from trusts.models import Trust

    trusts = [
        Trust.objects.create(name=name, code=code, ods_code=ods)
        for name, code, ods in [
            ("North <East> & Co", "NE", "RX6"),
            ("South West", "SW", "RYF"),
            ("East of England", "EE", "RYC"),
        ]
    ]
    value = {"none": None, "second": trusts[1].pk, "missing": 999_999}[pick]
    field = forms.ModelChoiceField(
        queryset=Trust.objects.order_by("name"), empty_label=empty_label
    )
    expected = forms.Select(choices=field.choices).render("trust", value)
    quick = OptionsSelect(choices=field.choices)
    with django_assert_num_queries(1) as captured:
        rendered = quick.render("trust", value)
    assert "CURSOR" not in captured.captured_queries[0]["sql"]
    assert parse_html(rendered) == parse_html(expected)
    assert "North &lt;East&gt; &amp; Co" in rendered
    assert rendered.count(" selected") == (1 if pick == "second" else 0) + (
        1 if pick == "none" and empty_label else 0
    )


INPUT_VALUES = [None, "", "a \"quoted\" <b> & 'more'", 42, datetime.date(2026, 11, 25)]
INPUT_ATTRS = [
    {},
    {"class": "nhsuk-input", "aria-describedby": "x-hint x-error"},
    {"required": True, "disabled": False, "data-empty": None, "data-text": "<&>"},
]


@pytest.mark.parametrize("widget_class", PLAIN_INPUTS)
@pytest.mark.parametrize("value", INPUT_VALUES)
@pytest.mark.parametrize("attrs", INPUT_ATTRS)
def test_quick_input_same_html_as_django(widget_class, value, attrs):
    django_widget = widget_class(attrs=attrs)
    quick = quick_input(widget_class(attrs=attrs))
    assert type(quick) is not widget_class
    assert isinstance(quick, widget_class)
    expected = django_widget.render("q", value, attrs={"id": "id_q"})
    rendered = quick.render("q", value, attrs={"id": "id_q"})
    assert parse_html(rendered) == parse_html(expected)
    assert str(rendered) == expected.strip()


def test_quick_input_keeps_a_type_given_in_attrs():
    quick = quick_input(forms.TextInput(attrs={"type": "month"}))
    assert quick.render("issued", "2026-11") == (
        '<input type="month" name="issued" value="2026-11">'
    )


def test_inputs_with_their_own_template_are_left_to_it():
    class Framed(forms.TextInput):
        template_name = "framed.html"

    own_class = Framed()
    own_template = forms.TextInput()
    own_template.template_name = "framed.html"
    hidden = forms.HiddenInput()
    for widget in (own_class, own_template, hidden):
        kind = type(widget)
        assert quick_input(widget) is widget
        assert type(widget) is kind


@pytest.mark.django_db
def test_filter_forms_render_their_inputs_in_python():
    from orders.filters.purchase_orders import JointPurchaseOrderFilter
    from orders.models import JointPurchaseOrder

    filterset = JointPurchaseOrderFilter(
        {"issued": "2026-11"}, queryset=JointPurchaseOrder.objects.all()
    )
    issued = filterset.form["issued"]
    assert type(issued.field.widget).render is not forms.TextInput.render
    html = str(issued)
    assert 'type="month"' in html
    assert 'value="2026-11"' in html
    assert 'class="nhsuk-input' in html
