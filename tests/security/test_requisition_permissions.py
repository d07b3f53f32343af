"""Every requisition URL as every role (DESIGN §7).

Another trust's requisition is a 404 on every page and action; a role lacking
an action gets a 403; contract managers have no requisition access (403);
anonymous visitors are sent to sign in. Refused actions change nothing.
"""

import csv
import io

import openpyxl
import pytest
from django.urls import reverse

from orders.models import Requisition
from orders.services import requisitions as services
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    item_fixture,
    make_draft,
    make_submitted,
    trust_user,
)
from trusts.models import Role

pytestmark = pytest.mark.django_db

SAME_TRUST = ("requisitioner", "approver", "finance")
OTHER_TRUST = ("other_requisitioner", "other_approver", "other_finance")
ALL_ROLES = (*SAME_TRUST, "buyer", "contract_manager", *OTHER_TRUST, "anonymous")

# (url name, requisition state, method, {role: expected status}); roles not
# named expect ``default``.
OBJECT_CASES = [
    (
        "requisition-detail",
        "submitted",
        "get",
        {"requisitioner": 200, "approver": 200, "finance": 200, "buyer": 404},
    ),
    (
        "requisition-detail",
        "approved",
        "get",
        {"requisitioner": 200, "approver": 200, "finance": 200, "buyer": 200},
    ),
    (
        "requisition-edit",
        "draft",
        "get",
        {"requisitioner": 200, "approver": 403, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-submit",
        "draft",
        "post",
        {"requisitioner": 302, "approver": 403, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-approve",
        "submitted",
        "post",
        {"requisitioner": 403, "approver": 302, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-approve",
        "approved",
        "post",
        {"requisitioner": 403, "approver": 302, "finance": 403, "buyer": 403},
    ),
    (
        "requisition-reject",
        "submitted",
        "get",
        {"requisitioner": 403, "approver": 200, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-reject",
        "submitted",
        "post",
        {"requisitioner": 403, "approver": 302, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-cancel",
        "draft",
        "get",
        {"requisitioner": 200, "approver": 403, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-cancel",
        "draft",
        "post",
        {"requisitioner": 302, "approver": 403, "finance": 403, "buyer": 404},
    ),
    (
        "requisition-cancel",
        "approved",
        "post",
        {"requisitioner": 302, "approver": 403, "finance": 403, "buyer": 403},
    ),
]


def _default(role: str) -> int:
    if role == "anonymous":
        return 302
    if role == "contract_manager":
        return 403
    return 404  # another trust's object


@pytest.fixture
def users(requisitioner, approver, finance, buyer, contract_manager, other_trust):
    return {
        "requisitioner": requisitioner,
        "approver": approver,
        "finance": finance,
        "buyer": buyer,
        "contract_manager": contract_manager,
        "other_requisitioner": trust_user(other_trust, Role.REQUISITIONER),
        "other_approver": trust_user(other_trust, Role.APPROVER),
        "other_finance": trust_user(other_trust, Role.FINANCE),
        "anonymous": None,
    }


def _requisition(state: str, requisitioner, trust, item) -> Requisition:
    if state == "draft":
        return make_draft(requisitioner, [(item, 1)])
    submitted = make_submitted(requisitioner, [(item, 1)])
    if state == "approved":
        services.requisition_approve(
            requisition_id=submitted.pk,
            approver=trust_user(trust, Role.APPROVER),
        )
    return submitted


def _client(client, user):
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(
    ("url_name", "state", "method", "expected"),
    OBJECT_CASES,
    ids=[f"{c[0]}-{c[1]}-{c[2]}" for c in OBJECT_CASES],
)
def test_requisition_object_urls(
    client, users, requisitioner, trust, item, role, url_name, state, method, expected
):
    """Each role gets its answer; another trust's requisition is a 404."""
    requisition = _requisition(state, requisitioner, trust, item)
    url = reverse(f"orders:{url_name}", kwargs={"pk": requisition.pk})
    data = {"reason": "Not needed"} if url_name == "requisition-reject" else {}
    response = getattr(_client(client, users[role]), method)(url, data)
    want = expected.get(role, _default(role))
    assert response.status_code == want
    if role == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("role", [*OTHER_TRUST, "buyer", "contract_manager"])
@pytest.mark.parametrize(
    "url_name",
    ["requisition-submit", "requisition-approve", "requisition-cancel"],
)
def test_refused_actions_change_nothing(
    client, users, requisitioner, item, role, url_name
):
    """A refused action leaves the requisition and its history as they were."""
    requisition = make_submitted(requisitioner, [(item, 1)])
    if url_name == "requisition-submit":
        requisition = make_draft(requisitioner, [(item, 1)])
    before = (requisition.status, requisition.events.count())
    _client(client, users[role]).post(
        reverse(f"orders:{url_name}", kwargs={"pk": requisition.pk})
    )
    requisition.refresh_from_db()
    assert (requisition.status, requisition.events.count()) == before


PAGE_CASES = [
    ("requisition-list", {"requisitioner", "approver", "finance", *OTHER_TRUST}),
    ("requisition-create", {"requisitioner", "other_requisitioner"}),
    ("approval-queue", {"approver", "other_approver"}),
    ("approved-lines", {"buyer"}),
    ("requisition-item-search", {"requisitioner", "other_requisitioner"}),
    ("requisition-line-add", {"requisitioner", "other_requisitioner"}),
    ("requisition-line-remove", {"requisitioner", "other_requisitioner"}),
]


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("url_name", "allowed"), PAGE_CASES)
def test_requisition_pages(client, users, role, url_name, allowed):
    """Pages answer 200 to the roles they serve, 403 to others, login to visitors."""
    response = _client(client, users[role]).get(reverse(f"orders:{url_name}"))
    if role == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))
    else:
        assert response.status_code == (200 if role in allowed else 403)


@pytest.mark.parametrize("role", ALL_ROLES)
def test_line_estimate(client, users, role, item):
    """The price estimate serves requisitioners only."""
    response = _client(client, users[role]).get(
        reverse("orders:requisition-line-estimate"),
        {"prefix": "lines-0", "lines-0-item": item.sku, "lines-0-quantity": "2"},
    )
    if role == "anonymous":
        assert response.status_code == 302
    else:
        allowed = role in ("requisitioner", "other_requisitioner")
        assert response.status_code == (200 if allowed else 403)


def _export_cells(response, fmt: str) -> list[str]:
    if fmt == "csv":
        return [
            cell
            for row in csv.reader(io.StringIO(response.content.decode()))
            for cell in row
        ]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    return [str(cell.value) for row in workbook.active.iter_rows() for cell in row]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("role", OTHER_TRUST)
def test_exports_never_hold_another_trusts_requisitions(
    client, users, requisitioner, item, role, fmt
):
    """Another trust's export holds none of this trust's requisitions."""
    mine = make_draft(requisitioner, [(item, 1)])
    response = _client(client, users[role]).get(
        reverse("orders:requisition-list"), {"_export": fmt}
    )
    assert response.status_code == 200
    assert mine.number not in _export_cells(response, fmt)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_own_trust_export_holds_its_requisitions(
    client, users, requisitioner, item, fmt
):
    """The same export for the trust's own finance does hold them (the check above
    can fail)."""
    mine = make_draft(requisitioner, [(item, 1)])
    response = _client(client, users["finance"]).get(
        reverse("orders:requisition-list"), {"_export": fmt}
    )
    assert mine.number in _export_cells(response, fmt)


@pytest.mark.parametrize("role", ["buyer", "contract_manager", "anonymous"])
def test_list_export_refused_to_non_trust_roles(client, users, role):
    """Exports check the same rules as the page."""
    response = _client(client, users[role]).get(
        reverse("orders:requisition-list"), {"_export": "csv"}
    )
    assert response.status_code == (302 if role == "anonymous" else 403)
