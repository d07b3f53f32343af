"""``/api/v1/me/`` and ``/api/v1/trusts/`` (DESIGN §10)."""

import pytest

from tests import factories

pytestmark = pytest.mark.django_db


def test_me_describes_a_trust_user(api_for, approver):
    """``/me/`` gives username, trust code, roles and limit as a 2-place string."""
    response = api_for(approver).get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json() == {
        "username": approver.username,
        "organisation": "WMAS",
        "roles": ["approver"],
        "approval_limit": "250000.00",
    }


def test_me_names_the_alliance_for_its_team(api_for, buyer):
    """The alliance's own team answer organisation ``ALLIANCE``."""
    body = api_for(buyer).get("/api/v1/me/").json()
    assert body["organisation"] == "ALLIANCE"
    assert body["roles"] == ["buyer"]
    assert body["approval_limit"] == "0.00"


def test_trusts_list_their_sites_and_cost_centres(api_for, finance, trust):
    """Every user sees the trusts with their active sites and cost centres."""
    factories.SiteFactory(trust=trust, code="BHAM-HUB", gln="5012345678900")
    factories.SiteFactory(trust=trust, code="OLD", is_active=False)
    factories.CostCentreFactory(trust=trust, code="OPS-1")
    factories.TrustFactory(code="SWASFT")
    response = api_for(finance).get("/api/v1/trusts/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"results", "next", "previous"}
    by_code = {row["code"]: row for row in body["results"]}
    assert set(by_code) == {"WMAS", "SWASFT"}
    assert [site["code"] for site in by_code["WMAS"]["sites"]] == ["BHAM-HUB"]
    assert by_code["WMAS"]["sites"][0]["gln"] == "5012345678900"
    assert [centre["code"] for centre in by_code["WMAS"]["cost_centres"]] == ["OPS-1"]


def test_trusts_need_sign_in(api_client):
    """Anonymous callers get 401 from the trust list."""
    assert api_client.get("/api/v1/trusts/").status_code == 401
