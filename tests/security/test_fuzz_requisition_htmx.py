"""Fuzzing the requisition form's htmx pieces: item suggestions, a line's
estimate, adding and removing a line. Whatever is typed, never a 500
(DESIGN §8): a 200 fragment, or a 400 for a malformed line prefix."""

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories

pytestmark = pytest.mark.django_db

EXAMPLES = 150
FUZZ = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
}
typed = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["GLV-M", "glv", "\x00", "a\x00b", "%", "_", "\\", "x" * 3000]),
)
params = st.dictionaries(
    st.sampled_from(
        [
            "q",
            "prefix",
            "lines-0-item",
            "lines-0-quantity",
            "lines-999-item",
            "lines-TOTAL_FORMS",
        ]
    ),
    st.one_of(typed, st.sampled_from(["lines-0", "lines-999", "lines-1234"])),
    max_size=4,
)


def test_htmx_pieces_never_fail(client, trust):
    """Any query string to the four htmx endpoints: 200 or 400, never a 500
    (150 examples)."""
    user = factories.UserFactory(
        membership__trust=trust, membership__is_requisitioner=True
    )
    factories.ItemFactory(sku="GLV-M", name="Gloves, medium")
    client.force_login(user)
    names = [
        "orders:requisition-item-search",
        "orders:requisition-line-estimate",
        "orders:requisition-line-add",
        "orders:requisition-line-remove",
    ]

    @settings(max_examples=EXAMPLES, **FUZZ)
    @given(name=st.sampled_from(names), query=params)
    def run(name, query):
        response = client.get(reverse(name), query)
        assert response.status_code in (200, 400)

    run()
