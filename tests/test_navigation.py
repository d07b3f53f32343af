"""The header navigation marks the section a page belongs to."""

import pytest
from django.urls import reverse

from alliance_procurement.navigation import nav_items

pytestmark = pytest.mark.django_db


def _current(roles, path):
    return [item["label"] for item in nav_items(roles, path) if item["current"]]


def test_longest_matching_entry_is_current():
    """A page under a longer entry marks that entry, not its parent too."""
    approvals = reverse("orders:approval-queue")
    assert _current(["approver"], approvals) == ["Approvals"]


def test_order_pages_mark_orders():
    """An order's own page marks "Orders"."""
    path = reverse("orders:order-list") + "AP-2026-000001/"
    assert _current(["buyer"], path) == ["Orders"]


def test_home_is_current_only_on_the_home_page():
    """ "Home" is current on "/" and on no other page."""
    assert _current(["finance"], "/") == ["Home"]
    assert "Home" not in _current(["finance"], reverse("reports:savings-list"))


def test_unknown_page_marks_nothing():
    """A page outside every section marks no entry."""
    assert _current(["buyer"], "/accounts/profile/") == []


def test_sections_missing_from_the_urlconf_are_left_out(settings):
    """Under a URLconf with only the order pages, the header lists only
    those, at their addresses there."""
    settings.ROOT_URLCONF = "tests.moved_urls"
    items = nav_items(["buyer"], "/purchasing/")
    assert [(item["label"], item["url"]) for item in items] == [
        ("Approved lines", "/purchasing/approved-lines/"),
        ("Pooling rounds", "/purchasing/rounds/"),
        ("Orders", "/purchasing/"),
    ]
    assert [item["label"] for item in items if item["current"]] == ["Orders"]
