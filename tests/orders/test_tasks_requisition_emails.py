"""Requisition e-mails: approvers on submit, the requester on a decision."""

import pytest
from django.core import mail

from orders import tasks
from orders.services import requisitions as services
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    item_fixture,
    make_draft,
    make_submitted,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = pytest.mark.django_db


def test_submitted_email_goes_to_the_trusts_approvers(
    requisitioner, approver, trust, other_trust, item
):
    """Every active approver of the trust hears of a submission; nobody else."""
    second = trust_user(trust, Role.APPROVER)
    trust_user(other_trust, Role.APPROVER)
    retired = trust_user(trust, Role.APPROVER)
    retired.is_active = False
    retired.save()
    requisition = make_submitted(requisitioner, [(item, 3)])
    tasks.send_requisition_submitted_email_task(requisition.pk)
    [message] = mail.outbox
    assert sorted(message.to) == sorted([approver.email, second.email])
    assert requisition.number in message.subject
    assert "£30.00" in message.body
    assert requisition.get_absolute_url() in message.body


def test_submitted_email_skips_the_requester_who_is_also_an_approver(trust, item):
    """Someone who raised a requisition is not asked to approve it."""
    both = trust_user(trust, Role.REQUISITIONER, Role.APPROVER)
    requisition = make_submitted(both, [(item, 1)])
    tasks.send_requisition_submitted_email_task(requisition.pk)
    assert mail.outbox == []


def test_approval_email_tells_the_requester(requisitioner, approver, item):
    """The requester hears that their requisition was approved."""
    requisition = make_submitted(requisitioner, [(item, 1)])
    services.requisition_approve(requisition_id=requisition.pk, approver=approver)
    tasks.send_requisition_decision_email_task(requisition.pk)
    [message] = mail.outbox
    assert message.to == [requisitioner.email]
    assert "approved" in message.subject


def test_rejection_email_carries_the_reason(requisitioner, approver, item):
    """A rejection e-mail gives the approver's reason."""
    requisition = make_submitted(requisitioner, [(item, 1)])
    services.requisition_reject(
        requisition_id=requisition.pk,
        approver=approver,
        reason="Order through the fleet framework instead",
    )
    tasks.send_requisition_decision_email_task(requisition.pk)
    [message] = mail.outbox
    assert "rejected" in message.subject
    assert "Order through the fleet framework instead" in message.body


def test_decision_email_sends_nothing_for_an_undecided_requisition(requisitioner, item):
    """A late task for a requisition not approved or rejected sends nothing."""
    draft = make_draft(requisitioner, [(item, 1)])
    tasks.send_requisition_decision_email_task(draft.pk)
    assert mail.outbox == []


def test_tasks_have_explicit_names_and_ack_late():
    """Tasks are named explicitly and acknowledged only once done (STYLE §6)."""
    for task, name in (
        (
            tasks.send_requisition_submitted_email_task,
            "orders.send_requisition_submitted_email",
        ),
        (
            tasks.send_requisition_decision_email_task,
            "orders.send_requisition_decision_email",
        ),
    ):
        assert task.name == name
        assert task.acks_late is True
        assert task.reject_on_worker_lost is True
