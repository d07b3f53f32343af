"""Requisition services: every transition and every refusal (DESIGN §4)."""

import datetime
from decimal import Decimal
from unittest.mock import patch

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance_procurement.money import to_pennies
from orders.models import Requisition, RequisitionEvent
from orders.services import requisitions as services
from orders.services.requisitions import LineInput
from suppliers.models import Contract
from tests import factories
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    cost_centre_fixture,
    fast_passwords_fixture,
    future,
    item_fixture,
    make_draft,
    make_submitted,
    priced_item,
    site_fixture,
    trust_user,
)
from trusts.models import Role

pytestmark = pytest.mark.django_db


def _create(requester, site, cost_centre, lines, **overrides):
    kwargs = {
        "requester": requester,
        "site_id": site.pk,
        "cost_centre_id": cost_centre.pk,
        "needed_by": future(),
        "notes": "",
        "lines": lines,
    }
    kwargs.update(overrides)
    return services.requisition_create(**kwargs)


def _messages(exc: ValidationError) -> list[str]:
    return exc.messages


# --- raise ------------------------------------------------------------------


def test_create_saves_a_numbered_draft_with_its_lines(
    requisitioner, site, cost_centre, item
):
    """A new requisition is a draft numbered <TRUST>-R-<year>-00001 with its lines."""
    requisition = _create(
        requisitioner, site, cost_centre, [LineInput(item_id=item.pk, quantity=5)]
    )
    year = timezone.localdate().year
    assert requisition.status == Requisition.Status.DRAFT
    assert requisition.number == f"WMAS-R-{year}-00001"
    assert [(ln.item_id, ln.quantity) for ln in requisition.lines.all()] == [
        (item.pk, 5)
    ]
    assert requisition.trust == requisitioner.membership.trust


def test_create_records_who_created_it(requisitioner, site, cost_centre, item):
    """Creating appends a 'created' event naming the requester."""
    requisition = _create(
        requisitioner, site, cost_centre, [LineInput(item_id=item.pk, quantity=5)]
    )
    event = requisition.events.get()
    assert (event.action, event.actor) == (
        RequisitionEvent.Action.CREATED,
        requisitioner,
    )


def test_numbers_run_on_per_trust(requisitioner, site, cost_centre, item, other_trust):
    """Numbers count up within a trust; another trust starts its own sequence."""
    first = _create(requisitioner, site, cost_centre, [LineInput(item.pk, 1)])
    second = _create(requisitioner, site, cost_centre, [LineInput(item.pk, 1)])
    other = trust_user(other_trust, Role.REQUISITIONER)
    other_item = priced_item([other_trust])
    theirs = make_draft(other, [(other_item, 1)])
    year = timezone.localdate().year
    assert first.number.endswith("-00001")
    assert second.number == f"WMAS-R-{year}-00002"
    assert theirs.number == f"SECAMB-R-{year}-00001"


def test_create_refuses_another_trusts_site(
    requisitioner, cost_centre, item, other_trust
):
    """The delivery site must be one of the requester's trust; nothing is saved."""
    foreign_site = factories.SiteFactory(trust=other_trust)
    with pytest.raises(ValidationError) as caught:
        _create(requisitioner, foreign_site, cost_centre, [LineInput(item.pk, 1)])
    assert "site" in caught.value.error_dict
    assert not Requisition.objects.exists()


def test_create_refuses_another_trusts_cost_centre(
    requisitioner, site, item, other_trust
):
    """The cost centre must be one of the requester's trust."""
    foreign = factories.CostCentreFactory(trust=other_trust)
    with pytest.raises(ValidationError) as caught:
        _create(requisitioner, site, foreign, [LineInput(item.pk, 1)])
    assert "cost_centre" in caught.value.error_dict
    assert not Requisition.objects.exists()


def test_create_refuses_a_needed_by_date_in_the_past(
    requisitioner, site, cost_centre, item
):
    """The needed-by date may be today but not earlier."""
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as caught:
        _create(
            requisitioner,
            site,
            cost_centre,
            [LineInput(item.pk, 1)],
            needed_by=yesterday,
        )
    assert "needed_by" in caught.value.error_dict
    assert not Requisition.objects.exists()


def test_create_accepts_today_as_needed_by(requisitioner, site, cost_centre, item):
    """Today is not in the past."""
    requisition = _create(
        requisitioner,
        site,
        cost_centre,
        [LineInput(item.pk, 1)],
        needed_by=timezone.localdate(),
    )
    assert requisition.pk


def test_create_refuses_no_lines(requisitioner, site, cost_centre):
    """A requisition needs at least one line."""
    with pytest.raises(ValidationError) as caught:
        _create(requisitioner, site, cost_centre, [])
    assert "Add at least one line." in _messages(caught.value)
    assert not Requisition.objects.exists()


def test_create_refuses_an_inactive_item_naming_its_line(
    requisitioner, site, cost_centre, item
):
    """An inactive item is refused, and the error names its line."""
    retired = priced_item([requisitioner.membership.trust], is_active=False)
    with pytest.raises(ValidationError) as caught:
        _create(
            requisitioner,
            site,
            cost_centre,
            [LineInput(item.pk, 1), LineInput(retired.pk, 2)],
        )
    [message] = _messages(caught.value)
    assert message.startswith("Line 2: Item:")
    assert retired.sku in message
    assert not Requisition.objects.exists()


@pytest.mark.parametrize("quantity", [0, -1, 10_000_001])
def test_create_refuses_a_quantity_out_of_range(
    requisitioner, site, cost_centre, item, quantity
):
    """Quantities are whole numbers from 1 to 10,000,000 (DESIGN §3)."""
    with pytest.raises(ValidationError) as caught:
        _create(requisitioner, site, cost_centre, [LineInput(item.pk, quantity)])
    [message] = _messages(caught.value)
    assert message.startswith("Line 1: Quantity")


def test_create_accepts_the_largest_quantity(requisitioner, site, cost_centre, item):
    """10,000,000 is allowed."""
    requisition = _create(
        requisitioner, site, cost_centre, [LineInput(item.pk, 10_000_000)]
    )
    assert requisition.lines.get().quantity == 10_000_000


def test_create_refuses_an_item_twice(requisitioner, site, cost_centre, item):
    """Each item appears on one line only, so each line has one estimated price."""
    with pytest.raises(ValidationError) as caught:
        _create(
            requisitioner,
            site,
            cost_centre,
            [LineInput(item.pk, 1), LineInput(item.pk, 3)],
        )
    [message] = _messages(caught.value)
    assert message.startswith("Line 2: Item:")
    assert "line 1" in message


def test_create_refuses_someone_not_a_requisitioner(approver, site, cost_centre, item):
    """Only requisitioners raise requisitions (DESIGN §7)."""
    with pytest.raises(PermissionDenied):
        _create(approver, site, cost_centre, [LineInput(item.pk, 1)])


# --- edit -------------------------------------------------------------------


def test_update_replaces_a_drafts_details_and_lines(
    requisitioner, site, cost_centre, item
):
    """Editing a draft replaces its lines and records an 'edited' event."""
    draft = _create(requisitioner, site, cost_centre, [LineInput(item.pk, 1)])
    other_item = priced_item([requisitioner.membership.trust])
    services.requisition_update(
        requisition_id=draft.pk,
        editor=requisitioner,
        site_id=site.pk,
        cost_centre_id=cost_centre.pk,
        needed_by=future(30),
        notes="Changed",
        lines=[LineInput(other_item.pk, 7)],
    )
    draft.refresh_from_db()
    assert draft.notes == "Changed"
    assert draft.needed_by == future(30)
    assert [(ln.item_id, ln.quantity) for ln in draft.lines.all()] == [
        (other_item.pk, 7)
    ]
    assert list(draft.events.values_list("action", flat=True)) == [
        "created",
        "edited",
    ]


def test_update_refuses_once_submitted(requisitioner, item):
    """Only a draft can be edited."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_update(
            requisition_id=submitted.pk,
            editor=requisitioner,
            site_id=submitted.site_id,
            cost_centre_id=submitted.cost_centre_id,
            needed_by=future(),
            lines=[LineInput(item.pk, 99)],
        )
    assert caught.value.code == "not_draft"
    assert submitted.lines.get().quantity == 1


def test_update_with_bad_lines_saves_nothing(requisitioner, site, cost_centre, item):
    """A refused edit leaves the draft exactly as it was."""
    draft = _create(requisitioner, site, cost_centre, [LineInput(item.pk, 4)])
    with pytest.raises(ValidationError):
        services.requisition_update(
            requisition_id=draft.pk,
            editor=requisitioner,
            site_id=site.pk,
            cost_centre_id=cost_centre.pk,
            needed_by=future(),
            notes="Should not stick",
            lines=[LineInput(item.pk, 0)],
        )
    draft.refresh_from_db()
    assert draft.notes == ""
    assert draft.lines.get().quantity == 4


def test_update_of_another_trusts_draft_is_not_found(requisitioner, item, other_trust):
    """Another trust's requisition does not exist for an editor."""
    theirs = make_draft(
        trust_user(other_trust, Role.REQUISITIONER),
        [(priced_item([other_trust]), 1)],
    )
    with pytest.raises(Requisition.DoesNotExist):
        services.requisition_update(
            requisition_id=theirs.pk,
            editor=requisitioner,
            site_id=theirs.site_id,
            cost_centre_id=theirs.cost_centre_id,
            needed_by=future(),
            lines=[LineInput(item.pk, 1)],
        )


# --- submit -----------------------------------------------------------------


def test_submit_prices_each_line_at_its_own_quantitys_tier(requisitioner, item):
    """Each line takes the tier its own quantity reaches; the total sums the nets."""
    bulk = priced_item(
        [requisitioner.membership.trust], tiers=((1, "2.0000"), (50, "1.3333"))
    )
    requisition = make_submitted(requisitioner, [(item, 150), (bulk, 7)])
    lines = {ln.item_id: ln for ln in requisition.lines.all()}
    assert lines[item.pk].estimated_unit_price == Decimal("8.5000")
    assert lines[item.pk].estimated_net == Decimal("1275.00")
    assert lines[bulk.pk].estimated_unit_price == Decimal("2.0000")
    assert lines[bulk.pk].estimated_net == Decimal("14.00")
    requisition.refresh_from_db()
    assert requisition.estimated_total == Decimal("1289.00")
    assert requisition.status == Requisition.Status.SUBMITTED
    assert requisition.submitted_at is not None


def test_submit_takes_the_cheapest_contract_open_to_the_trust(
    requisitioner, trust, other_trust
):
    """Among active contracts open to the trust, the lowest unit price wins."""
    item = priced_item([trust], tiers=((1, "9.0000"),))
    factories.contract_item_with_tiers(
        tiers=((1, "7.5000"),),
        contract=factories.ContractFactory(trusts=[trust]),
        item=item,
    )
    factories.contract_item_with_tiers(
        tiers=((1, "1.0000"),),
        contract=factories.ContractFactory(trusts=[other_trust]),
        item=item,
    )
    requisition = make_submitted(requisitioner, [(item, 2)])
    assert requisition.lines.get().estimated_unit_price == Decimal("7.5000")


def test_submit_refuses_an_item_without_a_contract_open_to_the_trust(
    requisitioner, item, other_trust
):
    """Each item needs an active contract open to the trust; the error names it."""
    theirs_only = priced_item([other_trust], name="Defibrillator pads")
    draft = make_draft(requisitioner, [(item, 1), (theirs_only, 2)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_submit(requisition_id=draft.pk, submitter=requisitioner)
    [message] = caught.value.messages
    assert message.startswith("Line 2:")
    assert "Defibrillator pads" in message
    draft.refresh_from_db()
    assert draft.status == Requisition.Status.DRAFT
    assert draft.estimated_total is None
    assert all(ln.estimated_unit_price is None for ln in draft.lines.all())


def test_submit_refuses_an_item_whose_contract_has_ended(requisitioner, trust):
    """A contract that is not active does not price a line."""
    contract = factories.ContractFactory(trusts=[trust], status=Contract.Status.ENDED)
    item = priced_item([trust], contract=contract)
    draft = make_draft(requisitioner, [(item, 1)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_submit(requisition_id=draft.pk, submitter=requisitioner)
    assert caught.value.error_list[0].code == "no_contract"


def test_submit_refuses_twice(requisitioner, item):
    """A requisition is submitted once."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_submit(
            requisition_id=submitted.pk, submitter=requisitioner
        )
    assert caught.value.code == "not_draft"


def test_submit_refuses_a_needed_by_date_now_past(requisitioner, item):
    """A draft whose needed-by date has passed must be edited before submitting."""
    draft = make_draft(requisitioner, [(item, 1)])
    Requisition.objects.filter(pk=draft.pk).update(
        needed_by=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as caught:
        services.requisition_submit(requisition_id=draft.pk, submitter=requisitioner)
    assert "needed_by" in caught.value.error_dict


def test_submit_records_an_event_and_queues_the_approvers_email(
    requisitioner, item, django_capture_on_commit_callbacks
):
    """Submitting appends an event and queues the e-mail only on commit."""
    draft = make_draft(requisitioner, [(item, 1)])
    with (
        patch("orders.tasks.send_requisition_submitted_email_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.requisition_submit(requisition_id=draft.pk, submitter=requisitioner)
    delay.assert_called_once_with(draft.pk)
    assert draft.events.last().action == RequisitionEvent.Action.SUBMITTED


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    lines=st.lists(
        st.tuples(
            st.integers(min_value=1, max_value=10_000_000),
            st.decimals(
                min_value=Decimal("0.0001"),
                max_value=Decimal("9999.9999"),
                places=4,
                allow_nan=False,
                allow_infinity=False,
            ),
        ),
        min_size=1,
        max_size=4,
    )
)
def test_estimated_total_is_the_sum_of_penny_rounded_line_nets(
    requisitioner, trust, lines
):
    """Each net is quantity x unit price rounded half up; the total is their sum."""
    items = [(priced_item([trust], tiers=((1, str(price)),)), q) for q, price in lines]
    requisition = make_submitted(requisitioner, items)
    stored = list(requisition.lines.order_by("pk"))
    for line, (quantity, price) in zip(stored, lines, strict=True):
        assert line.estimated_net == to_pennies(quantity * price)
    requisition.refresh_from_db()
    assert requisition.estimated_total == sum(ln.estimated_net for ln in stored)


# --- approve and reject -------------------------------------------------------


def test_approve_within_the_limit(requisitioner, approver, item):
    """An approver approves a submitted requisition up to their limit."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    approved = services.requisition_approve(
        requisition_id=submitted.pk, approver=approver
    )
    assert approved.status == Requisition.Status.APPROVED
    assert approved.decided_by == approver
    assert approved.decided_at is not None
    event = approved.events.last()
    assert (event.action, event.actor) == ("approved", approver)


def test_approve_exactly_at_the_limit(requisitioner, trust, item):
    """A total equal to the limit may be approved."""
    submitted = make_submitted(requisitioner, [(item, 10)])  # £100.00
    approver = trust_user(trust, Role.APPROVER, limit="100.00")
    approved = services.requisition_approve(
        requisition_id=submitted.pk, approver=approver
    )
    assert approved.status == Requisition.Status.APPROVED


def test_approve_refuses_over_the_limit_saying_by_how_much(requisitioner, trust, item):
    """Over the limit is refused, naming the total, the limit and the excess in £."""
    submitted = make_submitted(requisitioner, [(item, 150)])  # 150 x 8.50 = £1,275.00
    approver = trust_user(trust, Role.APPROVER, limit="1000.00")
    with pytest.raises(ValidationError) as caught:
        services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    assert caught.value.code == "over_limit"
    assert caught.value.messages == [
        "The estimated total of £1,275.00 exceeds your approval limit of £1,000.00 "
        "by £275.00."
    ]
    submitted.refresh_from_db()
    assert submitted.status == Requisition.Status.SUBMITTED


def test_approve_refuses_the_approvers_own_requisition(trust, item):
    """Nobody approves their own requisition."""
    both = trust_user(trust, Role.REQUISITIONER, Role.APPROVER)
    submitted = make_submitted(both, [(item, 1)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_approve(requisition_id=submitted.pk, approver=both)
    assert caught.value.code == "own_requisition"


@pytest.mark.parametrize("status", ["draft", "approved", "rejected", "cancelled"])
def test_approve_refuses_unless_submitted(requisitioner, approver, item, status):
    """Only a submitted requisition can be approved."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    Requisition.objects.filter(pk=submitted.pk).update(status=status)
    with pytest.raises(ValidationError) as caught:
        services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    assert caught.value.code == "not_submitted"


def test_approve_refuses_another_trusts_approver(requisitioner, item, other_trust):
    """Another trust's approver cannot even find the requisition."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    with pytest.raises(Requisition.DoesNotExist):
        services.requisition_approve(
            requisition_id=submitted.pk,
            approver=trust_user(other_trust, Role.APPROVER),
        )


def test_approve_refuses_a_non_approver(requisitioner, finance, item):
    """Finance may read but not approve."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    with pytest.raises(PermissionDenied):
        services.requisition_approve(requisition_id=submitted.pk, approver=finance)


def test_approve_queues_the_requesters_email(
    requisitioner, approver, item, django_capture_on_commit_callbacks
):
    """Approval queues the e-mail to the requester on commit."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    with (
        patch("orders.tasks.send_requisition_decision_email_task.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    delay.assert_called_once_with(submitted.pk)


def test_reject_records_the_reason(requisitioner, approver, item):
    """A rejection keeps its reason on the requisition and in the history."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    rejected = services.requisition_reject(
        requisition_id=submitted.pk, approver=approver, reason="  Duplicate order  "
    )
    assert rejected.status == Requisition.Status.REJECTED
    assert rejected.rejection_reason == "Duplicate order"
    event = rejected.events.last()
    assert (event.action, event.note, event.actor) == (
        "rejected",
        "Duplicate order",
        approver,
    )


@pytest.mark.parametrize("reason", ["", "   "])
def test_reject_requires_a_reason(requisitioner, approver, item, reason):
    """A rejection without a reason is refused."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_reject(
            requisition_id=submitted.pk, approver=approver, reason=reason
        )
    assert "reason" in caught.value.error_dict
    submitted.refresh_from_db()
    assert submitted.status == Requisition.Status.SUBMITTED


def test_reject_refuses_the_approvers_own_requisition(trust, item):
    """Nobody rejects their own requisition either."""
    both = trust_user(trust, Role.REQUISITIONER, Role.APPROVER)
    submitted = make_submitted(both, [(item, 1)])
    with pytest.raises(ValidationError) as caught:
        services.requisition_reject(
            requisition_id=submitted.pk, approver=both, reason="No"
        )
    assert caught.value.code == "own_requisition"


def test_reject_ignores_the_limit(requisitioner, trust, item):
    """Rejecting commits no money, so the approval limit does not apply."""
    submitted = make_submitted(requisitioner, [(item, 150)])
    small = trust_user(trust, Role.APPROVER, limit="1.00")
    rejected = services.requisition_reject(
        requisition_id=submitted.pk, approver=small, reason="Too much"
    )
    assert rejected.status == Requisition.Status.REJECTED


def test_reject_refuses_once_approved(requisitioner, approver, item):
    """An approved requisition can no longer be rejected."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    with pytest.raises(ValidationError) as caught:
        services.requisition_reject(
            requisition_id=submitted.pk, approver=approver, reason="Late"
        )
    assert caught.value.code == "not_submitted"


# --- cancel -----------------------------------------------------------------


@pytest.mark.parametrize("stage", ["draft", "submitted", "approved"])
def test_cancel_from_draft_submitted_or_approved(requisitioner, approver, item, stage):
    """A requisitioner of the trust cancels a draft, submitted or approved one."""
    requisition = make_draft(requisitioner, [(item, 1)])
    if stage != "draft":
        services.requisition_submit(
            requisition_id=requisition.pk, submitter=requisitioner
        )
    if stage == "approved":
        services.requisition_approve(requisition_id=requisition.pk, approver=approver)
    cancelled = services.requisition_cancel(
        requisition_id=requisition.pk, actor=requisitioner
    )
    assert cancelled.status == Requisition.Status.CANCELLED
    assert cancelled.cancelled_at is not None
    assert cancelled.events.last().action == "cancelled"


def test_cancel_by_another_requisitioner_of_the_trust(requisitioner, trust, item):
    """Any requisitioner of the trust may cancel, not only the requester."""
    draft = make_draft(requisitioner, [(item, 1)])
    colleague = trust_user(trust, Role.REQUISITIONER)
    cancelled = services.requisition_cancel(requisition_id=draft.pk, actor=colleague)
    assert cancelled.events.last().actor == colleague


def test_cancel_refuses_a_rejected_requisition(requisitioner, approver, item):
    """A rejected requisition stays rejected."""
    submitted = make_submitted(requisitioner, [(item, 1)])
    services.requisition_reject(
        requisition_id=submitted.pk, approver=approver, reason="No"
    )
    with pytest.raises(ValidationError) as caught:
        services.requisition_cancel(requisition_id=submitted.pk, actor=requisitioner)
    assert caught.value.code == "not_cancellable"


def test_cancel_refuses_once_a_line_is_pooled(requisitioner, approver, item):
    """A requisition with a live allocation cannot be cancelled."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    factories.AllocationFactory(
        requisition_line=submitted.lines.get(),
        order_line__item=item,
        share__trust=submitted.trust,
        quantity=10,
    )
    with pytest.raises(ValidationError) as caught:
        services.requisition_cancel(requisition_id=submitted.pk, actor=requisitioner)
    assert caught.value.code == "pooled"
    submitted.refresh_from_db()
    assert submitted.status == Requisition.Status.APPROVED


def test_cancel_allowed_when_the_allocation_was_cancelled(
    requisitioner, approver, item
):
    """An allocation of a cancelled order no longer holds the requisition."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    services.requisition_approve(requisition_id=submitted.pk, approver=approver)
    factories.AllocationFactory(
        requisition_line=submitted.lines.get(),
        order_line__item=item,
        share__trust=submitted.trust,
        quantity=10,
        is_cancelled=True,
    )
    cancelled = services.requisition_cancel(
        requisition_id=submitted.pk, actor=requisitioner
    )
    assert cancelled.status == Requisition.Status.CANCELLED


def test_cancel_refuses_an_approver(requisitioner, approver, item):
    """Approvers decide; cancelling is for requisitioners."""
    draft = make_draft(requisitioner, [(item, 1)])
    with pytest.raises(PermissionDenied):
        services.requisition_cancel(requisition_id=draft.pk, actor=approver)


# --- history ----------------------------------------------------------------


def test_history_only_grows(requisitioner, approver, item):
    """Each transition appends an event; earlier events stay as they were."""
    draft = make_draft(requisitioner, [(item, 1)])
    created = draft.events.get()
    services.requisition_submit(requisition_id=draft.pk, submitter=requisitioner)
    services.requisition_reject(
        requisition_id=draft.pk, approver=approver, reason="Why"
    )
    events = list(draft.events.order_by("pk"))
    assert [e.action for e in events] == ["created", "submitted", "rejected"]
    assert (events[0].pk, events[0].at, events[0].actor_id) == (
        created.pk,
        created.at,
        created.actor_id,
    )
    assert [e.actor for e in events] == [requisitioner, requisitioner, approver]
