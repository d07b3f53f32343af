"""Every pooling round and order URL as every role (DESIGN §7).

Rounds are for buyers only (others 403). Orders: buyers see all; trust users
see orders their trust has a share in, and another trust's order is a 404;
contract managers have no orders (403); anonymous visitors go to sign in.
Refused actions change nothing.
"""

import io

import openpyxl
import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import Allocation, JointPurchaseOrder, PoolingRound
from tests.factories import (
    AllocationFactory,
    JointPurchaseOrderFactory,
    OrderLineFactory,
    OrderShareFactory,
    PoolingRoundFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TRUST_ROLES = ("requisitioner", "approver", "finance")
OTHER_ROLES = tuple(f"other_{role}" for role in TRUST_ROLES)
ALL_ROLES = (*TRUST_ROLES, *OTHER_ROLES, "buyer", "contract_manager", "anonymous")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def setup(trust, other_trust):
    """An issued order with a share of ``trust`` only, and an open round."""
    order = JointPurchaseOrderFactory(status=JointPurchaseOrder.Status.ISSUED)
    line = OrderLineFactory(order=order)
    share = OrderShareFactory(order=order, trust=trust)
    allocation = AllocationFactory(order_line=line, share=share, quantity=10)
    users = {
        "buyer": UserFactory(membership__is_buyer=True),
        "contract_manager": UserFactory(membership__is_contract_manager=True),
        "anonymous": None,
    }
    for role in TRUST_ROLES:
        users[role] = UserFactory(
            membership__trust=trust, **{f"membership__is_{role}": True}
        )
        users[f"other_{role}"] = UserFactory(
            membership__trust=other_trust, **{f"membership__is_{role}": True}
        )
    return {
        "order": order,
        "allocation": allocation,
        "round": PoolingRoundFactory(cut_off=timezone.now()),
        "users": users,
    }


def _client(client, setup, role):
    user = setup["users"][role]
    if user is not None:
        client.force_login(user)
    return client


def _expected(table: dict[str, int], role: str, default: int) -> int:
    if role == "anonymous":
        return 302
    return table.get(role, default)


def _round_urls(setup):
    pk = setup["round"].pk
    return [
        ("get", reverse("orders:round-list"), None),
        ("get", reverse("orders:round-create"), None),
        ("post", reverse("orders:round-create"), {"cut_off": "2026-12-01T10:00"}),
        ("get", reverse("orders:round-detail", args=[pk]), None),
        ("post", reverse("orders:round-commit", args=[pk]), {}),
    ]


@pytest.mark.parametrize("role", ALL_ROLES)
def test_pooling_rounds_are_for_buyers_only(client, setup, role):
    """Every round page and action answers 403 to anyone but a buyer."""
    http = _client(client, setup, role)
    rounds_before = PoolingRound.objects.count()
    for method, url, data in _round_urls(setup):
        response = getattr(http, method)(url, data or {})
        if role == "buyer":
            assert response.status_code in (200, 302), url
        elif role == "anonymous":
            assert response.status_code == 302, url
            assert response.url.startswith(reverse("login")), url
        else:
            assert response.status_code == 403, (url, role)
    if role != "buyer":
        assert PoolingRound.objects.count() == rounds_before
        setup["round"].refresh_from_db()
        assert setup["round"].status == PoolingRound.Status.OPEN


READ_CASES = [
    ("order-list", {"contract_manager": 403}, 200),
    (
        "order-detail",
        dict.fromkeys((*TRUST_ROLES, "buyer"), 200) | {"contract_manager": 403},
        404,
    ),
]


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize(("name", "table", "default"), READ_CASES)
def test_order_pages_by_role(client, setup, role, name, table, default):
    """Buyers and the share's trust read the order; another trust gets a 404;
    contract managers a 403; anonymous visitors go to sign in."""
    order = setup["order"]
    args = [order.number] if name == "order-detail" else []
    response = _client(client, setup, role).get(reverse(f"orders:{name}", args=args))
    assert response.status_code == _expected(table, role, default)
    if name == "order-list" and role in OTHER_ROLES:
        assert order.number not in response.content.decode()


@pytest.mark.parametrize("role", [*TRUST_ROLES, *OTHER_ROLES, "buyer"])
@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_order_list_exports_hold_only_visible_orders(
    client, setup, role, export_format
):
    """The order list's download holds the orders its page would show: another
    trust's roles never find an order their trust has no share in."""
    order = setup["order"]
    response = _client(client, setup, role).get(
        reverse("orders:order-list"), {"_export": export_format}
    )
    assert response.status_code == 200
    if export_format == "csv":
        numbers = response.content.decode()
    else:
        workbook = openpyxl.load_workbook(io.BytesIO(response.content))
        numbers = " ".join(
            str(cell)
            for row in workbook.active.iter_rows(values_only=True)
            for cell in row
        )
    assert (order.number in numbers) == (role not in OTHER_ROLES)


@pytest.mark.parametrize("role", ALL_ROLES)
@pytest.mark.parametrize("action", ["order-issue", "order-cancel"])
def test_only_buyers_issue_or_cancel(client, setup, role, action):
    """Issue and cancel are buyers' actions: 403 for every other role."""
    order = setup["order"]
    JointPurchaseOrder.objects.filter(pk=order.pk).update(
        status=JointPurchaseOrder.Status.DRAFT
    )
    response = _client(client, setup, role).post(
        reverse(f"orders:{action}", args=[order.number])
    )
    assert response.status_code == _expected({"buyer": 302}, role, 403)
    order.refresh_from_db()
    if role != "buyer":
        assert order.status == JointPurchaseOrder.Status.DRAFT
    else:
        assert order.status != JointPurchaseOrder.Status.DRAFT


@pytest.mark.parametrize("role", ALL_ROLES)
def test_only_the_share_trust_records_receipts(client, setup, role):
    """Receipts: the allocation's trust only; another trust 404; others 403."""
    allocation = setup["allocation"]
    response = _client(client, setup, role).post(
        reverse("orders:order-receive", args=[setup["order"].number]),
        {"allocation": allocation.pk, "quantity": 1},
    )
    table = dict.fromkeys(TRUST_ROLES, 302) | dict.fromkeys(OTHER_ROLES, 404)
    assert response.status_code == _expected(table, role, 403)
    received = Allocation.objects.get(pk=allocation.pk).received_quantity
    assert received == (1 if role in TRUST_ROLES else 0)


def test_an_unknown_order_number_is_not_found(client, setup):
    """A well-formed number of no order is a 404, even for a buyer."""
    response = _client(client, setup, "buyer").get(
        reverse("orders:order-detail", args=["AP-1999-000001"])
    )
    assert response.status_code == 404
