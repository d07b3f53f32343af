"""Pooling rounds through the API (DESIGN §5, §10): buyers only."""

import pytest
from django.utils import timezone

from orders.models import JointPurchaseOrder, PoolingRound
from tests import factories
from tests.api.conftest import approved_line

pytestmark = pytest.mark.django_db

URL = "/api/v1/pooling-rounds/"


@pytest.fixture
def tiered_gloves(trust, other_trust):
    """8.50 each, 7.95 from 100, 7.50 from 500, on one contract for both trusts."""
    return factories.contract_item_with_tiers(
        tiers=[(1, "8.5000"), (100, "7.9500"), (500, "7.5000")],
        item__sku="GLV-M",
        contract__reference="AP-C-GLOVES",
        contract__trusts=[trust, other_trust],
    ).item


@pytest.fixture
def lines(trust, other_trust, tiered_gloves):
    lonely = factories.ItemFactory(sku="LONELY")
    return {
        "wmas": approved_line(trust, tiered_gloves, 60),
        "secamb": approved_line(other_trust, tiered_gloves, 50),
        "held": approved_line(trust, lonely, 3),
    }


def _open(client):
    response = client.post(URL, {"cut_off": timezone.now().isoformat()}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_buyer_opens_a_round_with_its_preview(api_for, buyer, lines):
    """The new round's preview: the group, each trust, savings and next tier."""
    body = _open(api_for(buyer))
    assert body["status"] == "open"
    (group,) = body["groups"]
    assert group["sku"] == "GLV-M"
    assert group["contract"] == "AP-C-GLOVES"
    assert group["combined_quantity"] == 110
    assert group["pooled_unit_price"] == "7.9500"
    assert sorted(group["trusts"], key=lambda row: row["trust"]) == [
        {
            "trust": "SECAMB",
            "quantity": 50,
            "standalone_unit_price": "8.5000",
            "net": "397.50",
            "savings": "27.50",
        },
        {
            "trust": "WMAS",
            "quantity": 60,
            "standalone_unit_price": "8.5000",
            "net": "477.00",
            "savings": "33.00",
        },
    ]
    assert group["savings"] == "60.50"
    assert group["next_tier"]["min_quantity"] == 500
    assert group["next_tier"]["units_needed"] == 390
    assert group["next_tier"]["extra_savings"] == "49.50"
    assert body["savings"] == "60.50"


def test_preview_holds_lines_with_a_reason(api_for, buyer, lines):
    """A line with no contract is held, naming line, SKU, trust and reason."""
    body = _open(api_for(buyer))
    assert body["held"] == [
        {
            "requisition_line": lines["held"].pk,
            "requisition": lines["held"].requisition.number,
            "sku": "LONELY",
            "trust": "WMAS",
            "quantity": 3,
            "reason": "no_contract",
            "message": body["held"][0]["message"],
            "contract": None,
        }
    ]


def test_round_detail_repeats_the_preview(api_for, buyer, lines):
    """GET of an open round gives the same preview."""
    client = api_for(buyer)
    opened = _open(client)
    body = client.get(f"{URL}{opened['id']}/").json()
    assert body["groups"] == opened["groups"]
    assert body["held"] == opened["held"]


def test_rounds_are_listed_newest_first(api_for, buyer, lines):
    """The list gives summaries, newest first."""
    client = api_for(buyer)
    first, second = _open(client), _open(client)
    results = client.get(URL).json()["results"]
    assert [row["id"] for row in results] == [second["id"], first["id"]]


def test_commit_makes_orders_and_again_changes_nothing(api_for, buyer, lines):
    """Commit answers the orders' numbers; a second commit answers the same."""
    client = api_for(buyer)
    opened = _open(client)
    response = client.post(f"{URL}{opened['id']}/commit/")
    assert response.status_code == 200
    numbers = response.json()["orders"]
    assert len(numbers) == 1
    assert numbers[0].startswith(f"AP-{timezone.localdate().year}-")
    again = client.post(f"{URL}{opened['id']}/commit/")
    assert again.status_code == 200
    assert again.json() == {"orders": numbers}
    assert JointPurchaseOrder.objects.count() == 1
    detail = client.get(f"{URL}{opened['id']}/").json()
    assert detail["status"] == "committed"
    assert detail["orders"] == numbers


def test_nothing_to_pool_is_a_conflict(api_for, buyer):
    """Committing a round with nothing to pool answers 409."""
    client = api_for(buyer)
    opened = _open(client)
    response = client.post(f"{URL}{opened['id']}/commit/")
    assert response.status_code == 409
    assert "detail" in response.json()


def test_cut_off_is_required(api_for, buyer):
    """A round without a cut-off names the field."""
    response = api_for(buyer).post(URL, {"cut_off": "soon"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"cut_off"}


@pytest.mark.parametrize("cut_off", ["0821-05-17T10:40:14Z", "1999-12-31T23:59:59Z"])
def test_a_cut_off_before_2000_is_refused(api_for, buyer, cut_off):
    """A slip of the keyboard (year 821) names the field and opens nothing;
    it would otherwise come back with an offset no ISO 8601 instant allows."""
    response = api_for(buyer).post(URL, {"cut_off": cut_off}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "cut_off": ["Enter a cut-off on or after 1 January 2000."]
    }
    assert not PoolingRound.objects.exists()


def test_a_cut_off_on_1_january_2000_opens_a_round(api_for, buyer):
    response = api_for(buyer).post(
        URL, {"cut_off": "2000-01-01T00:00:00Z"}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["cut_off"] == "2000-01-01T00:00:00Z"


@pytest.mark.parametrize(
    "role", ["requisitioner", "approver", "finance", "contract_manager"]
)
def test_only_buyers_pool(api_for, request, role, lines):
    """Every other role gets 403 on each pooling call."""
    user = request.getfixturevalue(role)
    client = api_for(user)
    round_ = factories.PoolingRoundFactory()
    assert client.get(URL).status_code == 403
    assert (
        client.post(
            URL, {"cut_off": timezone.now().isoformat()}, format="json"
        ).status_code
        == 403
    )
    assert client.get(f"{URL}{round_.pk}/").status_code == 403
    assert client.post(f"{URL}{round_.pk}/commit/").status_code == 403


def test_pooling_needs_sign_in(api_client):
    """Anonymous callers get 401."""
    assert api_client.get(URL).status_code == 401
    assert api_client.post(f"{URL}1/commit/").status_code == 401


def test_unknown_round_is_404(api_for, buyer):
    """A round that does not exist answers 404."""
    assert api_for(buyer).get(f"{URL}424242/").status_code == 404
    assert api_for(buyer).post(f"{URL}424242/commit/").status_code == 404
