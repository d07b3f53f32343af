"""Suppliers, contracts and fuel prices through the API (DESIGN §10)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse

from suppliers.models import Contract, FuelIndexPrice, FuelPriceIndex, Supplier
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalogue():
    factories.ItemFactory(sku="GLV-M", name="Gloves, medium")
    factories.ItemFactory(sku="DSL", name="Diesel", kind="fuel", unit="litre")


def _contract_body(supplier, **overrides):
    body = {
        "reference": "AP-C-2026-001",
        "title": "Gloves and fuel",
        "supplier": supplier.pk,
        "trusts": ["WMAS", "SECAMB"],
        "start_date": "2026-01-01",
        "end_date": "2027-12-31",
        "value_ceiling": "500000.00",
        "items": [
            {
                "sku": "GLV-M",
                "supplier_code": "G-100",
                "minimum_order_quantity": 1,
                "order_multiple": 1,
                "price_basis": "fixed",
                "fuel_index": None,
                "tiers": [
                    {"min_quantity": 1, "unit_price": "8.5"},
                    {"min_quantity": 1000, "unit_price": "7.9500"},
                ],
            },
            {
                "sku": "DSL",
                "supplier_code": "D-1",
                "price_basis": "index_linked",
                "fuel_index": "ULSD weekly",
                "tiers": [
                    {"min_quantity": 1, "unit_price": "0.0500"},
                    {"min_quantity": 50000, "unit_price": "-0.0100"},
                ],
            },
        ],
    }
    return {**body, **overrides}


@pytest.fixture
def diesel_index():
    return factories.FuelPriceIndexFactory(name="ULSD weekly")


# --- Suppliers -----------------------------------------------------------------


def test_suppliers_are_listed_for_every_user(api_for, approver):
    """Any user reads suppliers with their id."""
    supplier = factories.SupplierFactory(name="Medisupplies Ltd")
    body = api_for(approver).get("/api/v1/suppliers/").json()
    assert body["results"][0]["id"] == supplier.pk
    assert body["results"][0]["name"] == "Medisupplies Ltd"


def test_contract_manager_creates_a_supplier(api_for, contract_manager):
    """POST answers 201 with the new supplier's id."""
    response = api_for(contract_manager).post(
        "/api/v1/suppliers/",
        {"name": "Fuelco", "email": "orders@fuelco.example.com", "address": "Leeds"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["id"] == Supplier.objects.get(name="Fuelco").pk


def test_supplier_creation_names_bad_fields(api_for, contract_manager):
    """A bad e-mail and a taken name answer 400 by field."""
    factories.SupplierFactory(name="Fuelco")
    client = api_for(contract_manager)
    response = client.post(
        "/api/v1/suppliers/", {"name": "New", "email": "not-an-email"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"email"}
    response = client.post(
        "/api/v1/suppliers/",
        {"name": "Fuelco", "email": "a@b.example.com"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"name"}


def test_only_contract_managers_create_suppliers(api_for, buyer):
    """A buyer may read suppliers but not add one."""
    response = api_for(buyer).post(
        "/api/v1/suppliers/", {"name": "X", "email": "x@x.example.com"}, format="json"
    )
    assert response.status_code == 403


# --- Contracts -----------------------------------------------------------------


def test_contract_manager_creates_a_contract_with_tiers(
    api_for, contract_manager, trust, other_trust, catalogue, diesel_index
):
    """The contract, its items and tiers are created; prices as 4-place strings."""
    supplier = factories.SupplierFactory()
    response = api_for(contract_manager).post(
        "/api/v1/contracts/", _contract_body(supplier), format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["trusts"] == ["SECAMB", "WMAS"]
    assert body["status"] == "active"
    assert body["value_ceiling"] == "500000.00"
    assert body["committed_value"] == "0.00"
    by_sku = {item["sku"]: item for item in body["items"]}
    gloves, diesel = by_sku["GLV-M"], by_sku["DSL"]
    assert gloves["tiers"] == [
        {"min_quantity": 1, "unit_price": "8.5000"},
        {"min_quantity": 1000, "unit_price": "7.9500"},
    ]
    assert diesel["fuel_index"] == "ULSD weekly"
    assert diesel["tiers"][1] == {"min_quantity": 50000, "unit_price": "-0.0100"}


def test_contract_detail_gives_items_and_tiers(api_for, requisitioner):
    """Any user reads one contract by reference, with its items and tiers."""
    contract_item = factories.contract_item_with_tiers(
        tiers=[(1, "150.00"), (10, "140.5")], contract__reference="AP-C-9"
    )
    body = api_for(requisitioner).get("/api/v1/contracts/AP-C-9/").json()
    assert body["reference"] == "AP-C-9"
    assert body["items"][0]["sku"] == contract_item.item.sku
    assert body["items"][0]["tiers"][1]["unit_price"] == "140.5000"


def test_unknown_contract_is_404(api_for, requisitioner):
    """A reference that does not exist answers 404."""
    assert api_for(requisitioner).get("/api/v1/contracts/NOPE/").status_code == 404


def test_contracts_list_filters_by_trust_code_and_status(api_for, finance, trust):
    """``trust`` (a code) and ``status`` filter the list as on the page."""
    factories.ContractFactory(reference="A", trusts=[trust])
    factories.ContractFactory(reference="B")
    factories.ContractFactory(reference="C", trusts=[trust], status="draft")
    client = api_for(finance)

    def references(query):
        return [
            row["reference"]
            for row in client.get("/api/v1/contracts/", query).json()["results"]
        ]

    assert references({}) == ["A", "B", "C"]
    assert references({"trust": "WMAS"}) == ["A", "C"]
    assert references({"trust": "WMAS", "status": "active"}) == ["A"]


def test_rising_tiers_are_refused_naming_the_item(
    api_for, contract_manager, trust, other_trust, catalogue, diesel_index
):
    """Tiers that rise with quantity refuse the whole contract, at the item's
    position in ``items``."""
    supplier = factories.SupplierFactory()
    body = _contract_body(supplier)
    body["items"][1]["tiers"] = [
        {"min_quantity": 1, "unit_price": "0.0100"},
        {"min_quantity": 100, "unit_price": "0.0200"},
    ]
    response = api_for(contract_manager).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    errors = response.json()["items"]
    assert set(errors) == {"1"}
    assert "rises" in errors["1"]["tiers"][0]
    assert not Contract.objects.exists()


def test_contract_errors_name_fields_and_items(
    api_for, contract_manager, trust, catalogue
):
    """Unknown trust, end before start, unknown SKU and fuel index: all named."""
    supplier = factories.SupplierFactory()
    body = _contract_body(
        supplier,
        trusts=["WMAS", "NOPE"],
        start_date="2027-01-01",
        end_date="2026-01-01",
    )
    body["items"][0]["sku"] = "MISSING"
    response = api_for(contract_manager).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert set(errors) >= {"trusts", "end_date", "items"}
    assert set(errors["items"]["0"]) == {"sku"}
    assert set(errors["items"]["1"]) == {"fuel_index"}
    assert not Contract.objects.exists()


def test_contract_shape_errors_come_by_position(api_for, contract_manager):
    """A tier with quantity 0 is named at item 0, tier 0."""
    supplier = factories.SupplierFactory()
    body = _contract_body(supplier)
    body["items"][0]["tiers"][0]["min_quantity"] = 0
    response = api_for(contract_manager).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    assert "min_quantity" in response.json()["items"]["0"]["tiers"]["0"]


def test_a_taken_reference_is_refused(api_for, contract_manager, trust, catalogue):
    """A contract reference is unique: 400 on ``reference``."""
    supplier = factories.SupplierFactory()
    factories.ContractFactory(reference="AP-C-2026-001")
    body = _contract_body(supplier, trusts=["WMAS"], items=[])
    response = api_for(contract_manager).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    assert "reference" in response.json()


@pytest.mark.parametrize("reference", ["NHS/2026/001", "AP C 7", "X%Y?Z#1"])
def test_any_contract_reference_reaches_its_api_detail(
    api_for, requisitioner, reference
):
    """References with slashes, spaces or URL characters are read back by
    reference, as on the contract's page."""
    factories.ContractFactory(reference=reference)
    url = reverse("suppliers-api:contract-detail", kwargs={"reference": reference})
    response = api_for(requisitioner).get(url)
    assert response.status_code == 200
    assert response.json()["reference"] == reference


@pytest.mark.parametrize(
    "reference",
    [
        "imports",
        "imports/catalogue",
        "imports/price-list",
        "imports/7",
        "fuel-indices/3",
        "AP-C\n2026",
    ],
)
def test_a_reference_another_page_answers_to_is_refused(
    api_for, contract_manager, trust, catalogue, reference
):
    """A contract called ``imports`` could never be opened: its address is
    the imports page's; one with a line break has no address. Refused on
    ``reference``; nothing is saved."""
    supplier = factories.SupplierFactory()
    body = _contract_body(supplier, reference=reference, trusts=["WMAS"], items=[])
    response = api_for(contract_manager).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 400
    assert "cannot be a contract's page address" in str(response.json()["reference"])
    assert not Contract.objects.exists()


@pytest.mark.parametrize("reference", ["imports-2026", "fuel-indices/diesel"])
def test_a_reference_only_like_a_page_is_accepted(
    api_for, client_for, contract_manager, trust, catalogue, reference
):
    """Only a page's own address is refused: a reference that merely starts
    like one is a contract's, and its page opens."""
    supplier = factories.SupplierFactory()
    body = _contract_body(supplier, reference=reference, trusts=["WMAS"], items=[])
    response = api_for(contract_manager).post("/api/v1/contracts/", body, format="json")
    assert response.status_code == 201, response.json()
    page = client_for(contract_manager).get(Contract.objects.get().get_absolute_url())
    assert page.status_code == 200
    assert page.context["contract"].reference == reference


def test_only_contract_managers_create_contracts(api_for, buyer, trust):
    """Other roles get 403."""
    supplier = factories.SupplierFactory()
    response = api_for(buyer).post(
        "/api/v1/contracts/", _contract_body(supplier, items=[]), format="json"
    )
    assert response.status_code == 403


def test_contracts_need_sign_in(api_client):
    """Anonymous callers get 401."""
    assert api_client.get("/api/v1/contracts/").status_code == 401
    assert api_client.get("/api/v1/contracts/X/").status_code == 401


# --- Fuel index prices -------------------------------------------------------


def test_first_price_creates_the_index(api_for, contract_manager):
    """Posting a price to a new index name creates the index."""
    response = api_for(contract_manager).post(
        "/api/v1/fuel-indices/ULSD weekly/prices/",
        {"effective_date": "2026-11-02", "price_per_litre": "1.3245"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json() == {
        "index": "ULSD weekly",
        "effective_date": "2026-11-02",
        "price_per_litre": "1.3245",
    }
    price = FuelIndexPrice.objects.get(index__name="ULSD weekly")
    assert price.price_per_litre == Decimal("1.3245")
    assert price.effective_date == datetime.date(2026, 11, 2)


def test_an_index_named_with_a_slash_takes_prices(api_for, contract_manager):
    """Index names are free text, as in the admin: one with a slash (a
    publisher's "Platts/ULSD") is reached at its address like any other."""
    factories.FuelPriceIndexFactory(name="Platts/ULSD")
    url = reverse("suppliers-api:fuel-index-price-create", args=["Platts/ULSD"])
    response = api_for(contract_manager).post(
        url,
        {"effective_date": "2026-11-02", "price_per_litre": "1.3245"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["index"] == "Platts/ULSD"
    assert FuelIndexPrice.objects.get().index.name == "Platts/ULSD"


def test_same_price_again_changes_nothing(api_for, contract_manager):
    """The same date and price again answer 200; one price is stored."""
    client = api_for(contract_manager)
    body = {"effective_date": "2026-11-02", "price_per_litre": "1.3245"}
    client.post("/api/v1/fuel-indices/ULSD/prices/", body, format="json")
    response = client.post("/api/v1/fuel-indices/ULSD/prices/", body, format="json")
    assert response.status_code == 200
    assert FuelIndexPrice.objects.count() == 1
    assert FuelPriceIndex.objects.count() == 1


def test_a_different_price_for_a_priced_date_is_a_conflict(api_for, contract_manager):
    """A date already priced keeps its price: 409 with a detail."""
    client = api_for(contract_manager)
    client.post(
        "/api/v1/fuel-indices/ULSD/prices/",
        {"effective_date": "2026-11-02", "price_per_litre": "1.3245"},
        format="json",
    )
    response = client.post(
        "/api/v1/fuel-indices/ULSD/prices/",
        {"effective_date": "2026-11-02", "price_per_litre": "1.4000"},
        format="json",
    )
    assert response.status_code == 409
    assert "detail" in response.json()


def test_fuel_price_needs_a_valid_amount(api_for, contract_manager):
    """Negative prices and 5 decimals answer 400 on ``price_per_litre``."""
    client = api_for(contract_manager)
    for price in ("-1.0000", "1.32451"):
        response = client.post(
            "/api/v1/fuel-indices/ULSD/prices/",
            {"effective_date": "2026-11-02", "price_per_litre": price},
            format="json",
        )
        assert response.status_code == 400
        assert "price_per_litre" in response.json()
    assert not FuelPriceIndex.objects.exists()


def test_only_contract_managers_post_fuel_prices(api_for, finance, api_client):
    """Other roles get 403, anonymous callers 401."""
    body = {"effective_date": "2026-11-02", "price_per_litre": "1.3245"}
    url = "/api/v1/fuel-indices/ULSD/prices/"
    assert api_for(finance).post(url, body, format="json").status_code == 403
    assert api_client.post(url, body, format="json").status_code == 401
