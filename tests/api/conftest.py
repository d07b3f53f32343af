"""Fixtures for the integration API: clients signed in by token, a third trust."""

import pytest
from django.core.cache import cache
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories
from trusts.models import Role


@pytest.fixture(autouse=True)
def _fresh_throttles():
    """Throttle counters live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def api_client():
    """An API client that sends no credentials."""
    return APIClient()


@pytest.fixture
def api_for():
    """Return a function giving an API client that sends ``user``'s token."""

    def client_as(user):
        token, _created = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return client_as


def user_with(trust, role: Role, **extra):
    """A user of ``trust`` (``None``: the alliance team) holding ``role``."""
    return factories.UserFactory(
        membership__trust=trust, **{f"membership__is_{role.value}": True}, **extra
    )


@pytest.fixture
def other_requisitioner(other_trust):
    return user_with(other_trust, Role.REQUISITIONER)


@pytest.fixture
def other_finance(other_trust):
    return user_with(other_trust, Role.FINANCE)


@pytest.fixture
def other_approver(other_trust):
    return user_with(other_trust, Role.APPROVER, membership__approval_limit="250000.00")


@pytest.fixture
def site(trust):
    return factories.SiteFactory(trust=trust, code="BHAM-HUB")


@pytest.fixture
def cost_centre(trust):
    return factories.CostCentreFactory(trust=trust, code="OPS-1")


@pytest.fixture
def gloves(trust, other_trust):
    """Gloves on a contract open to both trusts: 8.50 each, 7.95 from 100."""
    contract_item = factories.contract_item_with_tiers(
        tiers=[(1, "8.5000"), (100, "7.9500")],
        item__sku="GLV-M",
        item__name="Gloves, medium",
        contract__reference="AP-C-GLOVES",
        contract__trusts=[trust, other_trust],
    )
    return contract_item.item


def approved_line(trust, item, quantity, **requisition):
    """An approved requisition of ``trust`` with one line, submitted an hour ago."""
    from orders.models import Requisition

    line = factories.RequisitionLineFactory(
        requisition__trust=trust,
        requisition__status=Requisition.Status.APPROVED,
        requisition__submitted_at=timezone.now() - timezone.timedelta(hours=1),
        item=item,
        quantity=quantity,
        **{f"requisition__{key}": value for key, value in requisition.items()},
    )
    return line


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Hash test passwords cheaply: these tests are about the API, not hashing."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def order_number(api_for, buyer, trust, other_trust):
    """A draft order pooling WMAS 60 and SECAMB 50 gloves at 7.95 (8.50 alone)."""
    gloves = factories.contract_item_with_tiers(
        tiers=[(1, "8.5000"), (100, "7.9500")],
        item__sku="GLV-M",
        contract__reference="AP-C-GLOVES",
        contract__trusts=[trust, other_trust],
    ).item
    approved_line(trust, gloves, 60)
    approved_line(other_trust, gloves, 50)
    client = api_for(buyer)
    opened = client.post(
        "/api/v1/pooling-rounds/",
        {"cut_off": timezone.now().isoformat()},
        format="json",
    ).json()
    (number,) = client.post(f"/api/v1/pooling-rounds/{opened['id']}/commit/").json()[
        "orders"
    ]
    return number


@pytest.fixture
def issued(api_for, buyer, order_number):
    response = api_for(buyer).post(f"/api/v1/orders/{order_number}/issue/")
    assert response.status_code == 200, response.json()
    return response.json()
