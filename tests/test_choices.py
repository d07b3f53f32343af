"""Filter choices kept between requests (``alliance_procurement.choices``)."""

import pytest
from django import forms
from django.core.cache.backends import locmem
from django.test.html import parse_html

from alliance_procurement import choices
from alliance_procurement.widgets import OptionsSelect
from catalogue.models import Category
from suppliers.models import Supplier
from tests import factories
from trusts.models import Trust

pytestmark = pytest.mark.django_db


def _select(queryset, value=None) -> str:
    field = forms.ModelChoiceField(queryset=queryset, empty_label="Any")
    return OptionsSelect(choices=field.choices).render("x", value)


def _django_select(queryset, value=None) -> str:
    field = forms.ModelChoiceField(queryset=queryset, empty_label="Any")
    return forms.Select(choices=field.choices).render("x", value)


def test_kept_models_are_the_ones_every_filter_offers():
    assert choices.is_kept(Supplier)
    assert choices.is_kept(Trust)
    assert not choices.is_kept(Category)


def test_a_kept_list_is_read_once_and_gives_djangos_html(django_assert_num_queries):
    acme = factories.SupplierFactory(name="Acme <Medical> & Co")
    factories.SupplierFactory(name="Blue Light Ltd")
    queryset = Supplier.objects.order_by("name")
    with django_assert_num_queries(1):
        first = _select(queryset, acme.pk)
    with django_assert_num_queries(0):
        again = _select(queryset, acme.pk)
    assert again == first
    assert parse_html(first) == parse_html(_django_select(queryset, acme.pk))
    assert "Acme &lt;Medical&gt; &amp; Co" in first


def test_saving_a_row_drops_the_kept_list(django_assert_num_queries):
    supplier = factories.SupplierFactory(name="Acme Medical")
    queryset = Supplier.objects.order_by("name")
    _select(queryset)
    supplier.name = "Acme Medical Supplies"
    supplier.save()
    factories.SupplierFactory(name="Zenith Ltd")
    with django_assert_num_queries(1):
        html = _select(queryset)
    assert "Acme Medical Supplies" in html
    assert "Zenith Ltd" in html


def test_deleting_a_row_drops_the_kept_list():
    keep = factories.SupplierFactory(name="Stays Ltd")
    gone = factories.SupplierFactory(name="Goes Ltd")
    queryset = Supplier.objects.order_by("name")
    assert "Goes Ltd" in _select(queryset)
    gone.delete()
    html = _select(queryset)
    assert "Goes Ltd" not in html
    assert f'value="{keep.pk}"' in html


def test_a_list_read_before_the_commit_is_dropped_by_the_commit(
    django_capture_on_commit_callbacks, django_assert_num_queries
):
    queryset = Supplier.objects.order_by("name")
    with django_capture_on_commit_callbacks(execute=True):
        factories.SupplierFactory(name="New Ltd")
        # Read while the row is not yet committed: another request could only
        # see the old rows here, and would keep them.
        _select(queryset)
    with django_assert_num_queries(1):
        _select(queryset)


def test_two_querysets_of_one_model_keep_their_own_lists():
    factories.TrustFactory(code="AAA", name="Active Trust")
    factories.TrustFactory(code="OLD", name="Closed Trust", is_active=False)
    everyone = _select(Trust.objects.order_by("name"))
    active = _select(Trust.objects.active().order_by("name"))
    assert "Closed Trust" in everyone
    assert "Closed Trust" not in active
    assert "Active Trust" in active


@pytest.mark.parametrize(
    "narrowed",
    [
        lambda q: q.filter(is_active=True),
        lambda q: q.exclude(code="AAA"),
        lambda q: q.order_by("-name"),
        lambda q: q.reverse(),
        lambda q: q.order_by(),
        lambda q: q[:1],
        lambda q: q.filter(memberships__isnull=False).distinct(),
        lambda q: q.none(),
    ],
    ids=["filter", "exclude", "order", "reverse", "unordered", "slice", "join", "none"],
)
def test_a_narrowed_list_never_shares_the_whole_tables(narrowed):
    # Made against the name order, so an unordered list reads them otherwise.
    factories.TrustFactory(code="OLD", name="Closed Trust", is_active=False)
    factories.TrustFactory(code="AAA", name="Active Trust")
    whole = _select(Trust.objects.all())
    assert "Active Trust" in whole
    assert "Closed Trust" in whole
    expected = _django_select(narrowed(Trust.objects.all()))
    assert parse_html(_select(narrowed(Trust.objects.all()))) == parse_html(expected)
    # And the whole table's list is still its own.
    assert _select(Trust.objects.all()) == whole


def test_a_whole_table_list_is_found_without_building_its_sql(monkeypatch):
    factories.SupplierFactory(name="Acme Medical")
    first = _select(Supplier.objects.all())

    def refused(*args, **kwargs):
        raise AssertionError("the whole table's list built its SQL")

    monkeypatch.setattr(choices.Query, "sql_with_params", refused)
    assert _select(Supplier.objects.all()) == first


def test_a_model_not_kept_is_read_every_time(django_assert_num_queries):
    factories.CategoryFactory(name="Dressings")
    queryset = Category.objects.order_by("name")
    _select(queryset)
    with django_assert_num_queries(1):
        assert "Dressings" in _select(queryset)


def test_a_write_without_signals_shows_once_the_kept_list_expires(monkeypatch):
    factories.SupplierFactory(name="Old Name Ltd")
    queryset = Supplier.objects.order_by("name")
    assert "Old Name Ltd" in _select(queryset)
    Supplier.objects.update(name="Bulk Renamed Ltd")  # sends no signal
    assert "Old Name Ltd" in _select(queryset)
    later = locmem.time.time() + choices.CHOICES_TIMEOUT + 1
    monkeypatch.setattr(locmem.time, "time", lambda: later)
    assert "Bulk Renamed Ltd" in _select(queryset)


def test_the_order_filter_offers_a_new_contract_at_once(client, buyer):
    client.force_login(buyer)
    factories.ContractFactory(reference="AP-C-FIRST")
    assert "AP-C-FIRST" in client.get("/orders/").content.decode()
    factories.ContractFactory(reference="AP-C-SECOND")
    page = client.get("/orders/").content.decode()
    assert "AP-C-FIRST" in page
    assert "AP-C-SECOND" in page
