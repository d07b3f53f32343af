"""The catalogue pages: list with search, filters, sorting, export; item detail."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from catalogue.models import Item
from suppliers.models import Contract, ContractItem
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("catalogue:item-list")


def _skus(response) -> list[str]:
    return [row.record.sku for row in response.context["table"].paginated_rows]


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


@pytest.mark.parametrize(
    "url",
    [LIST_URL, reverse("catalogue:item-detail", kwargs={"sku": "ANY"})],
)
def test_catalogue_pages_require_sign_in(client, url):
    """An anonymous visitor is sent to sign in, whatever the page."""
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_list_shows_active_items_to_any_signed_in_user(client_for, requisitioner):
    """Every signed-in user reads the catalogue; inactive items are left out."""
    factories.ItemFactory(sku="ACT-1", name="Active gloves")
    factories.ItemFactory(sku="OLD-1", name="Old gloves", is_active=False)
    response = client_for(requisitioner).get(LIST_URL)
    assert response.status_code == 200
    assert _skus(response) == ["ACT-1"]
    assert reverse("catalogue:item-detail", kwargs={"sku": "ACT-1"}) in (
        response.content.decode()
    )


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("glove", ["A-1"]),
        ("b-2", ["B-2"]),
        ("NHS-777", ["C-3"]),
        ("5012345678900", ["D-4"]),
        ("  ", ["A-1", "B-2", "C-3", "D-4"]),
    ],
)
def test_search_matches_name_sku_nhs_code_and_gtin(
    client_for, requisitioner, query, expected
):
    """``q`` finds items by name, SKU, NHS code or GTIN, ignoring case."""
    factories.ItemFactory(sku="A-1", name="Nitrile Gloves")
    factories.ItemFactory(sku="B-2", name="Bandage")
    factories.ItemFactory(sku="C-3", name="Cannula", nhs_code="NHS-777")
    factories.ItemFactory(sku="D-4", name="Dressing", gtin="5012345678900")
    response = client_for(requisitioner).get(LIST_URL, {"q": query, "sort": "sku"})
    assert _skus(response) == expected


def test_filters_by_category_and_kind(client_for, requisitioner):
    """Category and kind filters combine."""
    medical = factories.CategoryFactory(name="Medical")
    fleet = factories.CategoryFactory(name="Fleet")
    factories.ItemFactory(sku="M-EQ", category=medical, kind=Item.Kind.EQUIPMENT)
    factories.ItemFactory(sku="M-CO", category=medical, kind=Item.Kind.CONSUMABLE)
    factories.ItemFactory(sku="F-EQ", category=fleet, kind=Item.Kind.EQUIPMENT)
    response = client_for(requisitioner).get(
        LIST_URL, {"category": medical.pk, "kind": Item.Kind.EQUIPMENT}
    )
    assert _skus(response) == ["M-EQ"]


def test_unknown_filter_value_shows_an_error_not_a_crash(client_for, requisitioner):
    """A kind that does not exist is a form error on the page, never a 500."""
    factories.ItemFactory()
    response = client_for(requisitioner).get(LIST_URL, {"kind": "spaceship"})
    assert response.status_code == 200
    assert "nhsuk-error-message" in response.content.decode()
    assert _skus(response) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("sku", ["A", "B", "C"]), ("-sku", ["C", "B", "A"]), ("name", ["B", "C", "A"])],
)
def test_sorts_by_column(client_for, requisitioner, sort, expected):
    """Clicking a column header sorts by it, either way."""
    factories.ItemFactory(sku="A", name="Zinc tape")
    factories.ItemFactory(sku="B", name="Airway")
    factories.ItemFactory(sku="C", name="Mask")
    response = client_for(requisitioner).get(LIST_URL, {"sort": sort})
    assert _skus(response) == expected


def test_sorted_header_says_its_direction(client_for, requisitioner):
    """The sorted column carries aria-sort; the others say none."""
    factories.ItemFactory()
    body = client_for(requisitioner).get(LIST_URL, {"sort": "-sku"}).content.decode()
    assert 'aria-sort="descending"' in body
    assert 'aria-sort="none"' in body


def test_paginates_25_a_page(client_for, requisitioner):
    """The list shows 25 items a page, with NHS pagination to the next."""
    factories.ItemFactory.create_batch(30)
    client = client_for(requisitioner)
    first = client.get(LIST_URL)
    second = client.get(LIST_URL, {"page": 2})
    assert len(_skus(first)) == 25
    assert len(_skus(second)) == 5
    body = first.content.decode()
    assert "nhsuk-pagination" in body
    assert "Page 1 of 2" in body


def test_exports_filtered_items_as_csv(client_for, requisitioner):
    """The CSV holds every filtered item, on every page, with the headers."""
    fuel = factories.ItemFactory.create_batch(
        27, kind=Item.Kind.FUEL, vat_rate=Decimal("0.05")
    )
    factories.ItemFactory(kind=Item.Kind.CONSUMABLE)
    response = client_for(requisitioner).get(
        LIST_URL, {"kind": "fuel", "_export": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = _csv_rows(response)
    assert rows[0][:3] == ["SKU", "Name", "Category"]
    assert sorted(row[0] for row in rows[1:]) == sorted(item.sku for item in fuel)
    assert {row[6] for row in rows[1:]} == {"0.05"}


def test_exports_items_as_xlsx(client_for, requisitioner):
    """The XLSX download opens as a workbook with the filtered rows."""
    factories.ItemFactory(sku="X-1", name="Oxygen mask")
    factories.ItemFactory(sku="X-2", name="Splint")
    response = client_for(requisitioner).get(LIST_URL, {"q": "mask", "_export": "xlsx"})
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    values = list(workbook.active.values)
    assert values[0][0] == "SKU"
    assert [row[0] for row in values[1:]] == ["X-1"]


def test_export_neutralises_formulas_in_item_names(client_for, requisitioner):
    """A name that looks like a formula is exported as text."""
    factories.ItemFactory(sku="EVIL", name='=HYPERLINK("http://x","y")')
    rows = _csv_rows(client_for(requisitioner).get(LIST_URL, {"_export": "csv"}))
    assert rows[1][1] == '\'=HYPERLINK("http://x","y")'


def test_other_export_formats_are_ignored(client_for, requisitioner):
    """Only CSV and XLSX are offered; any other format shows the page."""
    factories.ItemFactory()
    response = client_for(requisitioner).get(LIST_URL, {"_export": "json"})
    assert response["Content-Type"].startswith("text/html")


def test_list_query_count_does_not_grow_with_rows(
    client_for, requisitioner, django_assert_max_num_queries
):
    """A page of 10 items costs as many queries as a page of 25 out of 30."""
    client = client_for(requisitioner)
    factories.ItemFactory.create_batch(10)
    client.get(LIST_URL)  # session and membership settle
    with django_assert_max_num_queries(14) as few:
        client.get(LIST_URL)
    factories.ItemFactory.create_batch(20)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(LIST_URL)


def test_detail_shows_item_and_every_contract_with_tiers(client_for, requisitioner):
    """The item page lists each contract: supplier, status, dates, terms, tiers."""
    item = factories.ItemFactory(
        sku="GLV-1", name="Nitrile gloves", nhs_code="FTX123", gtin="5012345678900"
    )
    factories.contract_item_with_tiers(
        item=item,
        contract__reference="AP-C-A",
        contract__supplier__name="Medline Ltd",
        contract__status=Contract.Status.ACTIVE,
        supplier_code="MED-9",
        minimum_order_quantity=10,
        order_multiple=5,
        tiers=[(10, "4.5000"), (1000, "3.9900")],
    )
    fuel_index = factories.FuelPriceIndexFactory(name="ULSD weekly")
    factories.contract_item_with_tiers(
        item=item,
        contract__reference="AP-C-B",
        contract__status=Contract.Status.SUSPENDED,
        contract__start_date=datetime.date(2026, 4, 1),
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=fuel_index,
        tiers=[(1, "-0.0200")],
    )
    response = client_for(requisitioner).get(item.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Nitrile gloves",
        "FTX123",
        "5012345678900",
        "AP-C-A",
        "Medline Ltd",
        "Active",
        "MED-9",
        "£4.5000",
        "£3.9900",
        "1,000",
        "AP-C-B",
        "Suspended",
        "1 April 2026",
        "ULSD weekly",
        "-0.0200",
    ]:
        assert text in body, text
    assert body.index("AP-C-A") < body.index("AP-C-B")
    assert reverse("suppliers:fuel-index-detail", kwargs={"pk": fuel_index.pk}) in body


def test_detail_of_unknown_sku_is_404(client_for, requisitioner):
    """An SKU not in the catalogue answers 404."""
    response = client_for(requisitioner).get(
        reverse("catalogue:item-detail", kwargs={"sku": "NOPE"})
    )
    assert response.status_code == 404


def test_detail_query_count_does_not_grow_with_contracts(
    client_for, requisitioner, django_assert_max_num_queries
):
    """The item page costs the same queries with one contract or five."""
    item = factories.ItemFactory()
    client = client_for(requisitioner)
    factories.contract_item_with_tiers(item=item, tiers=[(1, "2.0000")])
    client.get(item.get_absolute_url())
    with django_assert_max_num_queries(16) as few:
        client.get(item.get_absolute_url())
    for _ in range(4):
        factories.contract_item_with_tiers(item=item, tiers=[(1, "2.0000"), (9, "1")])
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(item.get_absolute_url())


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "x" * 5000},
        {"page": "abc"},
        {"page": "999"},
        {"sort": "nonsense"},
        {"category": "not-a-number"},
        {"_export": "xlsx", "page": "0"},
    ],
)
def test_bad_list_parameters_never_fail(client_for, requisitioner, params):
    """Odd query strings give a page (or file), never a server error (DESIGN §8)."""
    factories.ItemFactory()
    response = client_for(requisitioner).get(LIST_URL, params)
    assert response.status_code == 200


def test_detail_of_inactive_item_says_so(client_for, requisitioner):
    """An inactive item's page still opens, warning it is no longer active."""
    item = factories.ItemFactory(is_active=False)
    body = client_for(requisitioner).get(item.get_absolute_url()).content.decode()
    assert "No longer active" in body


@pytest.mark.parametrize("sku", ["ABC/12", "GL 100", "X%Y?Z#1", "Tëst-ü"])
def test_skus_with_slashes_spaces_and_symbols_link_to_their_page(
    client_for, requisitioner, sku
):
    """Any SKU links from the list to its own page, whatever its characters."""
    factories.ItemFactory(sku=sku, name="Odd SKU item")
    client = client_for(requisitioner)
    listed = client.get(LIST_URL)
    assert listed.status_code == 200
    url = reverse("catalogue:item-detail", kwargs={"sku": sku})
    detail = client.get(url)
    assert detail.status_code == 200
    assert detail.context["item"].sku == sku
