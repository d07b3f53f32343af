"""``address`` gives what ``reverse`` gives, for the URLconf and script prefix
of the moment, however often it is asked."""

import pytest
from django.urls import NoReverseMatch, reverse, set_script_prefix, set_urlconf

from alliance_procurement.addresses import address

CASES = [
    ("home", {}),
    ("orders:order-list", {}),
    ("orders:order-detail", {"number": "AP-2026-000123"}),
    ("orders:requisition-detail", {"pk": 42}),
    ("catalogue:item-detail", {"sku": "O2 cylinder/CD size?&#%"}),
    ("suppliers:contract-detail", {"reference": "NHS/FUEL 2026 – lot 1"}),
]


@pytest.mark.parametrize(("viewname", "kwargs"), CASES)
def test_same_address_as_reverse_every_time(viewname, kwargs):
    expected = reverse(viewname, kwargs=kwargs)
    assert address(viewname, **kwargs) == expected
    assert address(viewname, **kwargs) == expected


def test_odd_characters_are_quoted_as_reverse_quotes_them():
    assert address("catalogue:item-detail", sku="A B/C?") == "/catalogue/A%20B/C%3F/"


def test_each_script_prefix_has_its_own_address():
    """A site served under a path prefix links under it, and the address
    kept for the root is not handed out there (nor the reverse)."""
    number = "AP-2026-000777"
    plain = address("orders:order-detail", number=number)
    set_script_prefix("/procurement/")
    try:
        prefixed = address("orders:order-detail", number=number)
    finally:
        set_script_prefix("/")
    assert plain == "/orders/AP-2026-000777/"
    assert prefixed == "/procurement/orders/AP-2026-000777/"
    assert address("orders:order-detail", number=number) == plain


def test_a_new_root_urlconf_is_followed(settings):
    number = "AP-2026-000888"
    assert address("orders:order-detail", number=number) == f"/orders/{number}/"
    settings.ROOT_URLCONF = "tests.moved_urls"
    assert address("orders:order-detail", number=number) == f"/purchasing/{number}/"
    with pytest.raises(NoReverseMatch):
        address("home")


def test_a_request_urlconf_is_followed():
    """A request may carry its own URLconf (``request.urlconf``), which
    Django sets for the thread while it is served."""
    number = "AP-2026-000999"
    set_urlconf("tests.moved_urls")
    try:
        moved = address("orders:order-detail", number=number)
    finally:
        set_urlconf(None)
    assert moved == f"/purchasing/{number}/"
    assert address("orders:order-detail", number=number) == f"/orders/{number}/"


def test_what_reverse_refuses_is_refused():
    with pytest.raises(NoReverseMatch):
        address("orders:order-detail", number="not an order number")
    with pytest.raises(NoReverseMatch):
        address("orders:no-such-page")
