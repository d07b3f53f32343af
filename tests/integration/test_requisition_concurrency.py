"""Requisitions under concurrent requests, with real threads on PostgreSQL.

Each thread has its own database connection (closed when it ends); a barrier
starts them together. DESIGN §4: two approvers at once give one approval and
one clear refusal; numbers are never shared.
"""

import time
from unittest.mock import patch

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import Requisition, RequisitionEvent
from orders.services import requisitions as services
from orders.services.requisitions import LineInput
from tests import factories
from tests.integration.threads import run_together
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    future,
    make_submitted,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_approvers_at_once_give_one_approval_and_one_refusal(trust):
    """Of two simultaneous approvals one wins; the other is told it is too late."""
    requester = trust_user(trust, Role.REQUISITIONER)
    first, second = (trust_user(trust, Role.APPROVER) for _ in range(2))
    requisition = make_submitted(requester, [(priced_item([trust]), 3)])
    original = services._check_decidable

    def slow_check(locked, approver):
        # Widen the window between reading the state and writing it: without
        # the row lock both approvers would read "submitted" here.
        time.sleep(0.3)
        return original(locked, approver)

    with patch.object(services, "_check_decidable", slow_check):
        outcomes = run_together(
            [
                lambda approver=approver: services.requisition_approve(
                    requisition_id=requisition.pk, approver=approver
                )
                for approver in (first, second)
            ]
        )
    wins = [o for o in outcomes if isinstance(o, Requisition)]
    refusals = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(wins) == 1, outcomes
    assert len(refusals) == 1, outcomes
    assert refusals[0].code == "not_submitted"
    assert "no longer awaiting approval" in refusals[0].messages[0]
    assert (
        RequisitionEvent.objects.filter(
            requisition=requisition, action=RequisitionEvent.Action.APPROVED
        ).count()
        == 1
    )
    requisition.refresh_from_db()
    assert requisition.decided_by == wins[0].decided_by


def test_approval_and_rejection_at_once_give_one_decision(trust):
    """An approval and a rejection racing give one decision, never both."""
    requester = trust_user(trust, Role.REQUISITIONER)
    first, second = (trust_user(trust, Role.APPROVER) for _ in range(2))
    requisition = make_submitted(requester, [(priced_item([trust]), 3)])
    outcomes = run_together(
        [
            lambda: services.requisition_approve(
                requisition_id=requisition.pk, approver=first
            ),
            lambda: services.requisition_reject(
                requisition_id=requisition.pk, approver=second, reason="Duplicate"
            ),
        ]
    )
    assert sum(isinstance(o, Requisition) for o in outcomes) == 1, outcomes
    decisions = RequisitionEvent.objects.filter(
        requisition=requisition, action__in=["approved", "rejected"]
    )
    assert decisions.count() == 1


def test_concurrent_drafts_get_distinct_consecutive_numbers(trust):
    """Eight drafts saved at once get eight distinct, consecutive numbers."""
    requesters = [trust_user(trust, Role.REQUISITIONER) for _ in range(8)]
    site = factories.SiteFactory(trust=trust)
    cost_centre = factories.CostCentreFactory(trust=trust)
    item = priced_item([trust])

    def create(requester):
        return services.requisition_create(
            requester=requester,
            site_id=site.pk,
            cost_centre_id=cost_centre.pk,
            needed_by=future(),
            lines=[LineInput(item_id=item.pk, quantity=1)],
        )

    outcomes = run_together(
        [lambda requester=requester: create(requester) for requester in requesters]
    )
    assert all(isinstance(o, Requisition) for o in outcomes), outcomes
    year = timezone.localdate().year
    numbers = sorted(Requisition.objects.values_list("number", flat=True))
    assert numbers == [f"WMAS-R-{year}-{n:05d}" for n in range(1, 9)]


def test_first_drafts_of_a_new_year_create_one_counter(trust):
    """Racing to create the year's counter row still numbers 1 and 2."""
    requesters = [trust_user(trust, Role.REQUISITIONER) for _ in range(2)]
    site = factories.SiteFactory(trust=trust)
    cost_centre = factories.CostCentreFactory(trust=trust)
    item = priced_item([trust])
    outcomes = run_together(
        [
            lambda requester=requester: services.requisition_create(
                requester=requester,
                site_id=site.pk,
                cost_centre_id=cost_centre.pk,
                needed_by=future(),
                lines=[LineInput(item_id=item.pk, quantity=1)],
            )
            for requester in requesters
        ]
    )
    assert all(isinstance(o, Requisition) for o in outcomes), outcomes
    assert sorted(o.number[-5:] for o in outcomes) == ["00001", "00002"]
