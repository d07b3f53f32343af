"""A pooling commit while a trust approves another requisition (DESIGN §5)."""

import threading

import pytest
from django.db import connection
from django.utils import timezone

from orders.models import Allocation
from orders.selectors import pooling as selectors
from orders.services import pooling, requisitions
from tests import factories
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    make_submitted,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_commit_pools_its_lines_while_another_requisition_is_approved(
    trust, monkeypatch
):
    """A line approved while a round commits is not part of that commit: the
    commit pools the lines it locked and the new line waits for the next
    round; the commit is not refused."""
    requester = trust_user(trust, Role.REQUISITIONER)
    approver = trust_user(trust, Role.APPROVER)
    item = priced_item([trust])
    ready = make_submitted(requester, [(item, 5)])
    requisitions.requisition_approve(requisition_id=ready.pk, approver=approver)
    waiting = make_submitted(requester, [(item, 7)])
    pooling_round = pooling.pooling_round_open(
        buyer=factories.UserFactory(membership__is_buyer=True),
        cut_off=timezone.now(),
    )
    real_preview = selectors.build_preview

    def preview_while_approved(**kwargs):
        preview = real_preview(**kwargs)

        def approve():
            try:
                requisitions.requisition_approve(
                    requisition_id=waiting.pk, approver=approver
                )
            finally:
                connection.close()

        other = threading.Thread(target=approve)
        other.start()
        other.join(30)
        return preview

    monkeypatch.setattr(selectors, "build_preview", preview_while_approved)
    orders = pooling.pooling_round_commit(
        round_id=pooling_round.pk, buyer=pooling_round.opened_by
    )
    assert len(orders) == 1
    assert list(
        Allocation.objects.values_list("requisition_line__requisition", flat=True)
    ) == [ready.pk]
    assert list(
        selectors.candidate_lines(cut_off=pooling_round.cut_off).values_list(
            "requisition", flat=True
        )
    ) == [waiting.pk]
