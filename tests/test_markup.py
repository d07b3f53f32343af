"""``escaped``, ``attributes`` and ``flat_attributes`` write what Django's
``conditional_escape``, ``format_html`` and ``flatatt`` write."""

from decimal import Decimal

from django.forms.utils import flatatt
from django.utils.functional import lazy
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from hypothesis import given
from hypothesis import strategies as st

from alliance_procurement.markup import attributes, escaped, flat_attributes

ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
VALUES = st.one_of(
    ANY_TEXT,
    ANY_TEXT.map(mark_safe),
    ANY_TEXT.map(lambda text: lazy(lambda: text, str)()),
    st.integers(),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.none(),
    st.booleans(),
)


@given(VALUES)
def test_escaped_is_conditional_escape(value):
    assert escaped(value) == str(conditional_escape(value))


@given(st.lists(st.tuples(ANY_TEXT, VALUES), max_size=5))
def test_attributes_are_what_format_html_writes(pairs):
    expected = "".join(format_html(' {}="{}"', key, value) for key, value in pairs)
    assert attributes(pairs) == expected


def test_markup_already_safe_is_kept_and_the_rest_escaped():
    assert escaped(mark_safe("<b>£1</b>")) == "<b>£1</b>"
    assert (
        escaped('O\'Brien <Ops> & "co"')
        == "O&#x27;Brien &lt;Ops&gt; &amp; &quot;co&quot;"
    )
    assert escaped(Decimal("1.50")) == "1.50"
    assert attributes([("data-x", "a<b"), ("title", mark_safe("&amp;"))]) == (
        ' data-x="a&lt;b" title="&amp;"'
    )


ATTRIBUTE_VALUES = st.one_of(VALUES, st.sampled_from([True, False, None]))


@given(st.dictionaries(ANY_TEXT, ATTRIBUTE_VALUES, max_size=6))
def test_flat_attributes_are_what_flatatt_writes(attrs):
    assert flat_attributes(attrs) == flatatt(attrs)
