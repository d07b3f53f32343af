"""Issue, cancel and receive joint purchase orders (DESIGN §4, §5)."""

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from orders.models import (
    Allocation,
    JointPurchaseOrder,
    Receipt,
    Requisition,
    RequisitionEvent,
)
from orders.selectors import pooling as pooling_selectors
from orders.services import pooling as pooling_services
from orders.services import purchase_orders as services
from tests.factories import (
    ApprovedRequisitionLineFactory,
    ContractFactory,
    ItemFactory,
    PoolingRoundFactory,
    UserFactory,
    contract_item_with_tiers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def order_setup(trust, other_trust, buyer):
    """A draft order: WMAS's requisition of two lines, SECAMB's of one."""
    gloves, aprons = ItemFactory(sku="GLOVE"), ItemFactory(sku="APRON")
    contract = ContractFactory(trusts=[trust, other_trust])
    for item in (gloves, aprons):
        contract_item_with_tiers(tiers=[(1, "2.0000")], item=item, contract=contract)
    first = ApprovedRequisitionLineFactory(
        requisition__trust=trust, item=gloves, quantity=10
    )
    second = ApprovedRequisitionLineFactory(
        requisition=first.requisition, item=aprons, quantity=4
    )
    theirs = ApprovedRequisitionLineFactory(
        requisition__trust=other_trust, item=gloves, quantity=6
    )
    [order] = pooling_services.pooling_round_commit(
        round_id=PoolingRoundFactory(cut_off=timezone.now()).pk, buyer=buyer
    )
    return {"order": order, "lines": [first, second, theirs], "buyer": buyer}


def _status(requisition) -> str:
    requisition.refresh_from_db()
    return requisition.status


def test_issuing_records_who_and_when(order_setup):
    """A draft order becomes issued, with the buyer and the time."""
    order = services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    assert order.status == JointPurchaseOrder.Status.ISSUED
    assert order.issued_by == order_setup["buyer"]
    assert order.issued_at is not None


def test_issuing_marks_requisitions_ordered_when_all_lines_are_on_issued_orders(
    order_setup,
):
    """Requisitions whose every line is on an issued order become ``ordered``."""
    services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    for line in order_setup["lines"]:
        assert _status(line.requisition) == Requisition.Status.ORDERED
    assert RequisitionEvent.objects.filter(action="ordered").count() == 2


def test_a_requisition_with_a_line_still_unpooled_stays_approved(order_setup):
    """A requisition with a line not yet on an issued order is not ``ordered``."""
    first = order_setup["lines"][0]
    ApprovedRequisitionLineFactory(
        requisition=first.requisition, item=ItemFactory(), quantity=1
    )
    services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    assert _status(first.requisition) == Requisition.Status.APPROVED


def test_only_a_draft_order_can_be_issued(order_setup):
    """Issuing an issued order is refused."""
    kwargs = {"order_id": order_setup["order"].pk, "buyer": order_setup["buyer"]}
    services.joint_order_issue(**kwargs)
    with pytest.raises(ValidationError) as error:
        services.joint_order_issue(**kwargs)
    assert error.value.code == "not_draft"


def test_cancelling_frees_the_lines_to_pool_again(order_setup):
    """Allocations are flagged cancelled; lines are candidates again; each
    requisition is approved again with an ``unpooled`` event."""
    kwargs = {"order_id": order_setup["order"].pk, "buyer": order_setup["buyer"]}
    services.joint_order_issue(**kwargs)
    order = services.joint_order_cancel(**kwargs)
    assert order.status == JointPurchaseOrder.Status.CANCELLED
    assert order.cancelled_by == order_setup["buyer"]
    assert not Allocation.objects.filter(is_cancelled=False).exists()
    for line in order_setup["lines"]:
        assert _status(line.requisition) == Requisition.Status.APPROVED
    assert RequisitionEvent.objects.filter(action="unpooled").count() == 2
    candidates = pooling_selectors.candidate_lines(cut_off=timezone.now())
    assert candidates.count() == 3


def test_cancelled_lines_can_be_pooled_into_a_new_order(order_setup):
    """After a cancel, a new round pools the same lines into a new order."""
    services.joint_order_cancel(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    [again] = pooling_services.pooling_round_commit(
        round_id=PoolingRoundFactory(cut_off=timezone.now()).pk,
        buyer=order_setup["buyer"],
    )
    assert again.number != order_setup["order"].number
    assert Allocation.objects.filter(is_cancelled=False).count() == 3


def test_an_order_with_a_receipt_cannot_be_cancelled(order_setup, requisitioner):
    """Cancel is refused once anything was received."""
    kwargs = {"order_id": order_setup["order"].pk, "buyer": order_setup["buyer"]}
    services.joint_order_issue(**kwargs)
    allocation = order_setup["lines"][0].allocations.get()
    services.allocation_receive(
        allocation_id=allocation.pk, user=requisitioner, quantity=1
    )
    with pytest.raises(ValidationError) as error:
        services.joint_order_cancel(**kwargs)
    assert error.value.code in {"has_receipts", "not_cancellable"}
    assert Allocation.objects.filter(is_cancelled=True).count() == 0


def test_a_partial_receipt_makes_the_order_part_received(order_setup, requisitioner):
    """Receiving part of a line records it and the order is part received."""
    services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    allocation = order_setup["lines"][0].allocations.get()
    receipt = services.allocation_receive(
        allocation_id=allocation.pk, user=requisitioner, quantity=4, note="Box 1"
    )
    allocation.refresh_from_db()
    order = JointPurchaseOrder.objects.get()
    assert (receipt.quantity, receipt.received_by) == (4, requisitioner)
    assert allocation.received_quantity == 4
    assert order.status == JointPurchaseOrder.Status.PART_RECEIVED


def test_receiving_everything_makes_order_and_requisitions_received(
    order_setup, requisitioner, other_trust
):
    """All allocations received: the order and each requisition are received."""
    services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    their_user = UserFactory(
        membership__trust=other_trust, membership__is_requisitioner=True
    )
    for line in order_setup["lines"]:
        allocation = line.allocations.get()
        user = requisitioner if allocation.trust_id != other_trust.pk else their_user
        services.allocation_receive(
            allocation_id=allocation.pk, user=user, quantity=allocation.quantity
        )
    assert JointPurchaseOrder.objects.get().status == JointPurchaseOrder.Status.RECEIVED
    for line in order_setup["lines"]:
        assert _status(line.requisition) == Requisition.Status.RECEIVED
    assert RequisitionEvent.objects.filter(action="received").count() == 2


def test_a_receipt_never_exceeds_the_ordered_quantity(order_setup, requisitioner):
    """More than what remains is refused and nothing is recorded."""
    services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    allocation = order_setup["lines"][0].allocations.get()
    services.allocation_receive(
        allocation_id=allocation.pk, user=requisitioner, quantity=8
    )
    with pytest.raises(ValidationError) as error:
        services.allocation_receive(
            allocation_id=allocation.pk, user=requisitioner, quantity=3
        )
    assert error.value.error_dict["quantity"][0].code == "over_receipt"
    assert Receipt.objects.count() == 1


def test_nothing_is_received_against_a_draft_order(order_setup, requisitioner):
    """Receipts need an issued order."""
    allocation = order_setup["lines"][0].allocations.get()
    with pytest.raises(ValidationError) as error:
        services.allocation_receive(
            allocation_id=allocation.pk, user=requisitioner, quantity=1
        )
    assert error.value.code == "not_receivable"


def test_a_trust_cannot_receive_against_another_trusts_allocation(
    order_setup, requisitioner
):
    """Another trust's allocation does not exist for this user."""
    services.joint_order_issue(
        order_id=order_setup["order"].pk, buyer=order_setup["buyer"]
    )
    theirs = order_setup["lines"][2].allocations.get()
    with pytest.raises(Allocation.DoesNotExist):
        services.allocation_receive(
            allocation_id=theirs.pk, user=requisitioner, quantity=1
        )
