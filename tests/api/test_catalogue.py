"""``/api/v1/items/`` (DESIGN §10): read by all, written by contract managers."""

from decimal import Decimal

import pytest

from catalogue.models import Category, Item
from tests import factories

pytestmark = pytest.mark.django_db

URL = "/api/v1/items/"


def _item_body(**overrides):
    body = {
        "sku": "DRS-100",
        "name": "Trauma dressing, large",
        "category": "Dressings",
        "unit": "each",
        "pack_size": 1,
        "kind": "consumable",
        "vat_rate": "0.20",
        "nhs_code": "EHD123",
        "gtin": "5012345678900",
    }
    return {**body, **overrides}


def test_items_are_listed_with_their_category_name(api_for, requisitioner):
    """Every user reads items; category is a name and VAT a 2-place fraction."""
    factories.ItemFactory(
        sku="GLV-1", name="Gloves", category__name="PPE", vat_rate="0.05"
    )
    body = api_for(requisitioner).get(URL).json()
    assert body["next"] is None
    assert body["results"] == [
        {
            "sku": "GLV-1",
            "name": "Gloves",
            "category": "PPE",
            "unit": "each",
            "pack_size": 1,
            "kind": "consumable",
            "vat_rate": "0.05",
            "nhs_code": "",
            "gtin": "",
            "description": "",
        }
    ]


def test_items_filter_by_search_category_and_kind(api_for, finance):
    """``q``, ``category`` (a name, any case) and ``kind`` filter as the page."""
    factories.ItemFactory(sku="A-1", name="Diesel", kind="fuel", category__name="Fuel")
    factories.ItemFactory(sku="B-1", name="Gauze swab", category__name="Dressings")
    factories.ItemFactory(sku="C-1", name="Gauze roll", category__name="Dressings")
    client = api_for(finance)

    def skus(query):
        return [row["sku"] for row in client.get(URL, query).json()["results"]]

    assert skus({"q": "gauze"}) == ["B-1", "C-1"]
    assert skus({"category": "fuel"}) == ["A-1"]
    assert skus({"kind": "consumable", "q": "roll"}) == ["C-1"]


def test_items_bad_filter_value_is_400(api_for, finance):
    """An unknown kind names the filter in a 400."""
    response = api_for(finance).get(URL, {"kind": "spaceship"})
    assert response.status_code == 400
    assert "kind" in response.json()


def test_items_pages_follow_the_cursor(api_for, buyer):
    """Pages give ``next`` until the last; following it reaches every item once."""
    for number in range(5):
        factories.ItemFactory(sku=f"P-{number}")
    client = api_for(buyer)
    page = client.get(URL, {"page_size": 2}).json()
    seen = [row["sku"] for row in page["results"]]
    while page["next"]:
        page = client.get(page["next"]).json()
        seen += [row["sku"] for row in page["results"]]
    assert seen == [f"P-{number}" for number in range(5)]
    assert page["previous"] is not None


def test_contract_manager_creates_an_item_and_its_new_category(
    api_for, contract_manager
):
    """POST creates the item; an unknown category name is created, as in CSV."""
    response = api_for(contract_manager).post(URL, _item_body(), format="json")
    assert response.status_code == 201
    assert response.json()["category"] == "Dressings"
    item = Item.objects.get(sku="DRS-100")
    assert item.vat_rate == Decimal("0.20")
    assert Category.objects.filter(name="Dressings").count() == 1


def test_item_category_matches_whatever_its_case(api_for, contract_manager):
    """``dressings`` joins the existing ``Dressings`` category."""
    factories.CategoryFactory(name="Dressings")
    api_for(contract_manager).post(URL, _item_body(category="dressings"), format="json")
    assert Category.objects.count() == 1
    assert Item.objects.get().category.name == "Dressings"


def test_item_creation_names_bad_fields(api_for, contract_manager):
    """A bad GTIN check digit and an unknown unit answer 400 naming both."""
    response = api_for(contract_manager).post(
        URL, _item_body(gtin="5012345678901", unit="bucket"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"unit"}
    response = api_for(contract_manager).post(
        URL, _item_body(gtin="5012345678901"), format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"gtin"}
    assert not Item.objects.exists()
    assert not Category.objects.exists()


def test_item_with_a_taken_sku_is_refused(api_for, contract_manager):
    """A SKU already in the catalogue answers 400 on ``sku``."""
    factories.ItemFactory(sku="DRS-100")
    response = api_for(contract_manager).post(URL, _item_body(), format="json")
    assert response.status_code == 400
    assert "sku" in response.json()


@pytest.mark.parametrize("role", ["requisitioner", "buyer", "finance", "approver"])
def test_only_contract_managers_create_items(api_for, request, role):
    """Other roles get 403 and nothing is created."""
    user = request.getfixturevalue(role)
    response = api_for(user).post(URL, _item_body(), format="json")
    assert response.status_code == 403
    assert not Item.objects.exists()


def test_items_need_sign_in(api_client):
    """Anonymous callers get 401 on read and write."""
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, _item_body(), format="json").status_code == 401


def test_malformed_json_is_400(api_for, contract_manager):
    """A body that is not JSON answers 400 with a detail, not 500."""
    response = api_for(contract_manager).post(
        URL, data='{"sku": "X",', content_type="application/json"
    )
    assert response.status_code == 400
    assert "detail" in response.json()


def test_a_body_in_another_format_is_415(api_for, contract_manager):
    """The API reads JSON only."""
    response = api_for(contract_manager).post(
        URL, data="sku=X", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 415
