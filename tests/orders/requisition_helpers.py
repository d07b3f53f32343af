"""Builders and fixtures shared by the requisition tests.

Import the fixtures by their function names (``site_fixture`` …); tests ask
for them by their fixture names (``site`` …).
"""

import datetime

import pytest
from django.utils import timezone

from orders.services import requisitions as services
from orders.services.requisitions import LineInput
from tests import factories
from trusts.models import Role


@pytest.fixture(name="_fast_passwords", autouse=True)
def fast_passwords_fixture(settings):
    # Factories hash a password per user; the default hasher is slow by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def priced_item(trusts, *, tiers=((1, "10.0000"),), contract=None, **item_kwargs):
    """An active item on an active contract open to ``trusts``, with ``tiers``."""
    item = factories.ItemFactory(**item_kwargs)
    contract = contract or factories.ContractFactory(trusts=list(trusts))
    factories.contract_item_with_tiers(tiers=tiers, contract=contract, item=item)
    return item


def trust_user(trust, *roles: Role, limit="250000.00"):
    return factories.UserFactory(
        membership__trust=trust,
        membership__approval_limit=limit,
        **{f"membership__is_{Role(role).value}": True for role in roles},
    )


def future(days: int = 14) -> datetime.date:
    return timezone.localdate() + datetime.timedelta(days=days)


def make_draft(requester, items_quantities, *, site=None, cost_centre=None):
    trust = requester.membership.trust
    return services.requisition_create(
        requester=requester,
        site_id=(site or factories.SiteFactory(trust=trust)).pk,
        cost_centre_id=(cost_centre or factories.CostCentreFactory(trust=trust)).pk,
        needed_by=future(),
        notes="For the winter fleet",
        lines=[LineInput(item_id=i.pk, quantity=q) for i, q in items_quantities],
    )


def make_submitted(requester, items_quantities):
    draft = make_draft(requester, items_quantities)
    return services.requisition_submit(requisition_id=draft.pk, submitter=requester)


@pytest.fixture(name="site")
def site_fixture(trust):
    return factories.SiteFactory(trust=trust)


@pytest.fixture(name="cost_centre")
def cost_centre_fixture(trust):
    return factories.CostCentreFactory(trust=trust)


@pytest.fixture(name="item")
def item_fixture(trust):
    return priced_item(
        [trust], tiers=((1, "10.0000"), (100, "8.5000")), name="Nitrile gloves"
    )
