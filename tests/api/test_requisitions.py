"""Requisitions through the API (DESIGN §4, §10): raise, read, submit,
approve, reject, cancel, each as the roles of DESIGN §7."""

import datetime

import pytest
from django.utils import timezone

from orders.models import Requisition
from tests import factories
from tests.api.conftest import user_with
from trusts.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/requisitions/"


def _body(**overrides):
    body = {
        "site": "BHAM-HUB",
        "cost_centre": "OPS-1",
        "needed_by": (timezone.localdate() + datetime.timedelta(days=7)).isoformat(),
        "notes": "Winter stock",
        "lines": [{"sku": "GLV-M", "quantity": 10}],
    }
    return {**body, **overrides}


@pytest.fixture
def draft(api_for, requisitioner, site, cost_centre, gloves):
    response = api_for(requisitioner).post(URL, _body(), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


@pytest.fixture
def submitted(api_for, requisitioner, draft):
    response = api_for(requisitioner).post(f"{URL}{draft['id']}/submit/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_requisitioner_raises_a_draft(draft, trust):
    """POST answers 201 with the numbered draft and its lines, not yet priced."""
    assert draft["number"].startswith("WMAS-R-")
    assert draft["trust"] == "WMAS"
    assert draft["status"] == "draft"
    assert draft["site"] == "BHAM-HUB"
    assert draft["estimated_total"] is None
    (line,) = draft["lines"]
    assert line["sku"] == "GLV-M"
    assert line["quantity"] == 10
    assert line["estimated_unit_price"] is None


def test_line_errors_name_the_line_position(
    api_for, requisitioner, site, cost_centre, gloves
):
    """A bad quantity on the second line is keyed ``"1"`` under ``lines``."""
    body = _body(
        lines=[{"sku": "GLV-M", "quantity": 5}, {"sku": "GLV-M", "quantity": 0}]
    )
    response = api_for(requisitioner).post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"lines"}
    assert set(response.json()["lines"]) == {"1"}
    assert "quantity" in response.json()["lines"]["1"]
    assert not Requisition.objects.exists()


def test_unknown_sku_is_named_at_its_line(
    api_for, requisitioner, site, cost_centre, gloves
):
    """An unknown SKU is a 400 on that line's ``sku``."""
    body = _body(lines=[{"sku": "NOPE", "quantity": 5}])
    response = api_for(requisitioner).post(URL, body, format="json")
    assert response.status_code == 400
    assert "sku" in response.json()["lines"]["0"]


def test_service_line_errors_come_by_position(
    api_for, requisitioner, site, cost_centre, gloves
):
    """The same item twice: the service's error lands on the second line's sku."""
    body = _body(
        lines=[{"sku": "GLV-M", "quantity": 5}, {"sku": "GLV-M", "quantity": 6}]
    )
    response = api_for(requisitioner).post(URL, body, format="json")
    assert response.status_code == 400
    assert set(response.json()["lines"]) == {"1"}
    assert "sku" in response.json()["lines"]["1"]


def test_another_trusts_site_is_refused(
    api_for, requisitioner, other_trust, cost_centre, gloves
):
    """A site code of another trust is not a site of yours: 400 on ``site``."""
    factories.SiteFactory(trust=other_trust, code="BHAM-HUB")
    response = api_for(requisitioner).post(URL, _body(), format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"site"}


def test_missing_fields_are_named(api_for, requisitioner):
    """An empty body names every required field."""
    response = api_for(requisitioner).post(URL, {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"site", "cost_centre", "needed_by", "lines"}


@pytest.mark.parametrize("role", ["approver", "finance", "buyer", "contract_manager"])
def test_only_requisitioners_raise(api_for, request, role, site, cost_centre, gloves):
    """Other roles get 403 and nothing is saved."""
    user = request.getfixturevalue(role)
    assert api_for(user).post(URL, _body(), format="json").status_code == 403
    assert not Requisition.objects.exists()


def test_requisitions_need_sign_in(api_client):
    """Anonymous callers get 401."""
    assert api_client.get(URL).status_code == 401
    assert api_client.post(URL, _body(), format="json").status_code == 401
    assert api_client.get(f"{URL}1/").status_code == 401
    assert api_client.post(f"{URL}1/submit/").status_code == 401


def test_trust_users_list_only_their_trusts(api_for, finance, draft, other_trust):
    """A trust's users list its requisitions, never another trust's."""
    factories.RequisitionFactory(trust=other_trust)
    body = api_for(finance).get(URL).json()
    assert [row["id"] for row in body["results"]] == [draft["id"]]
    assert body["previous"] is None


def test_list_filters_by_status(api_for, requisitioner, draft):
    """``status`` filters as on the tracking page."""
    client = api_for(requisitioner)
    assert len(client.get(URL, {"status": "draft"}).json()["results"]) == 1
    assert client.get(URL, {"status": "approved"}).json()["results"] == []


def test_contract_manager_may_not_list(api_for, contract_manager):
    """Requisitions are not a contract manager's: 403."""
    assert api_for(contract_manager).get(URL).status_code == 403


def test_another_trusts_requisition_is_404(
    api_for, draft, other_requisitioner, other_finance
):
    """Read, submit or cancel another trust's requisition: 404, not 403."""
    assert api_for(other_finance).get(f"{URL}{draft['id']}/").status_code == 404
    client = api_for(other_requisitioner)
    assert client.post(f"{URL}{draft['id']}/submit/").status_code == 404
    assert (
        client.post(f"{URL}{draft['id']}/cancel/", {}, format="json").status_code == 404
    )


def test_unknown_and_huge_ids_are_404(api_for, requisitioner):
    """Ids that do not exist, or could not, answer 404."""
    client = api_for(requisitioner)
    assert client.get(f"{URL}999999/").status_code == 404
    assert client.get(f"{URL}{'9' * 30}/").status_code == 404


def test_submit_prices_each_line(submitted):
    """On submit each line gets the tier its quantity reaches: 4 and 2 places."""
    assert submitted["status"] == "submitted"
    (line,) = submitted["lines"]
    assert line["estimated_unit_price"] == "8.5000"
    assert line["estimated_net"] == "85.00"
    assert submitted["estimated_total"] == "85.00"


def test_submitting_twice_is_a_conflict(api_for, requisitioner, submitted):
    """A submitted requisition cannot be submitted again: 409 with a detail."""
    response = api_for(requisitioner).post(f"{URL}{submitted['id']}/submit/")
    assert response.status_code == 409
    assert "detail" in response.json()


def test_submit_without_a_contract_names_the_line(
    api_for, requisitioner, site, cost_centre, gloves
):
    """A line whose item is on no contract open to the trust refuses submit."""
    factories.ItemFactory(sku="LONELY")
    client = api_for(requisitioner)
    draft = client.post(
        URL,
        _body(
            lines=[{"sku": "GLV-M", "quantity": 1}, {"sku": "LONELY", "quantity": 1}]
        ),
        format="json",
    ).json()
    response = client.post(f"{URL}{draft['id']}/submit/")
    assert response.status_code == 400
    assert set(response.json()["lines"]) == {"1"}


def test_approver_approves(api_for, approver, submitted):
    """An approver of the trust, within limit, approves."""
    response = api_for(approver).post(f"{URL}{submitted['id']}/approve/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"


def test_approving_twice_is_a_conflict(api_for, approver, submitted):
    """The second approval is refused with 409."""
    client = api_for(approver)
    client.post(f"{URL}{submitted['id']}/approve/")
    assert client.post(f"{URL}{submitted['id']}/approve/").status_code == 409


def test_approval_over_the_limit_is_forbidden(api_for, trust, submitted):
    """An approver whose limit is below the estimated total gets 403."""
    low = user_with(trust, Role.APPROVER, membership__approval_limit="50.00")
    response = api_for(low).post(f"{URL}{submitted['id']}/approve/")
    assert response.status_code == 403
    assert "limit" in response.json()["detail"]


def test_own_requisition_cannot_be_approved(api_for, trust, site, cost_centre, gloves):
    """Someone who raised a requisition may not approve it: 403."""
    both = factories.UserFactory(
        membership__trust=trust,
        membership__is_requisitioner=True,
        membership__is_approver=True,
        membership__approval_limit="1000.00",
    )
    client = api_for(both)
    draft = client.post(URL, _body(), format="json").json()
    client.post(f"{URL}{draft['id']}/submit/")
    assert client.post(f"{URL}{draft['id']}/approve/").status_code == 403


def test_another_trusts_approver_gets_404(api_for, other_approver, submitted):
    """An approver of another trust cannot see it: 404."""
    assert (
        api_for(other_approver).post(f"{URL}{submitted['id']}/approve/").status_code
        == 404
    )


def test_requisitioner_may_not_approve(api_for, requisitioner, submitted):
    """Approving needs the approver role: 403."""
    assert (
        api_for(requisitioner).post(f"{URL}{submitted['id']}/approve/").status_code
        == 403
    )


def test_reject_needs_a_reason(api_for, approver, submitted):
    """An empty reason is a 400 on ``reason``; a reason rejects."""
    client = api_for(approver)
    response = client.post(
        f"{URL}{submitted['id']}/reject/", {"reason": " "}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"reason"}
    response = client.post(
        f"{URL}{submitted['id']}/reject/", {"reason": "Over budget"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    assert response.json()["rejection_reason"] == "Over budget"


def test_cancel_then_cancel_again_is_a_conflict(api_for, requisitioner, draft):
    """A draft cancels; a cancelled requisition cannot be cancelled again."""
    client = api_for(requisitioner)
    response = client.post(f"{URL}{draft['id']}/cancel/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert (
        client.post(f"{URL}{draft['id']}/cancel/", {}, format="json").status_code == 409
    )


def test_buyers_list_approved_requisitions_of_every_trust(
    api_for, buyer, draft, other_trust, gloves
):
    """A buyer reads approved requisitions of all trusts, never drafts."""
    from tests.api.conftest import approved_line

    line = approved_line(other_trust, gloves, 5)
    rows = api_for(buyer).get(URL).json()["results"]
    assert [row["id"] for row in rows] == [line.requisition_id]
    assert rows[0]["trust"] == "SECAMB"
