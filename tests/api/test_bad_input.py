"""Hostile input never reaches the database as a 500 (DESIGN §8)."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/orders/AP%00X/",
        "/api/v1/contracts/X%00/",
        "/api/v1/orders/AP-1/shares/W%00/pdf/",
        "/api/v1/items/?q=a%00b",
        "/api/v1/contracts/?trust=W%00",
    ],
)
def test_nul_characters_in_addresses_are_not_found_or_refused(api_for, buyer, path):
    """A NUL character in a path or filter answers 400 or 404, never 500."""
    response = api_for(buyer).get(path)
    assert response.status_code in (400, 404)


def test_nul_character_in_a_fuel_index_name_is_refused(api_for, contract_manager):
    """A NUL in the index name of the address is not an index: 404."""
    response = api_for(contract_manager).post(
        "/api/v1/fuel-indices/U%00/prices/",
        {"effective_date": "2026-11-02", "price_per_litre": "1.3245"},
        format="json",
    )
    assert response.status_code in (400, 404)


DEEP = "[" * 5000 + "]" * 5000


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/items/",
        "/api/v1/suppliers/",
        "/api/v1/contracts/",
        "/api/v1/fuel-indices/U/prices/",
    ],
)
def test_json_nested_too_deeply_is_bad_input(api_for, contract_manager, path):
    """A body too deep to decode is a 400 on every endpoint, never a 500."""
    response = api_for(contract_manager).post(
        path, DEEP, content_type="application/json"
    )
    assert response.status_code == 400


def test_json_nested_too_deeply_is_bad_input_when_signed_out(api_client):
    response = api_client.post(
        "/api/v1/auth/token/", DEEP, content_type="application/json"
    )
    assert response.status_code == 400
