"""Issue and cancel joint purchase orders, and record receipts (DESIGN §5).

Order states: ``draft -> issued -> part_received -> received -> closed``,
and ``cancelled`` before any receipt. Requisitions follow their lines:
``ordered`` once all are on issued orders, ``received`` once all are
received, back to ``approved`` when their order is cancelled.
"""

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.models import (
    Allocation,
    JointPurchaseOrder,
    Receipt,
    Requisition,
    RequisitionEvent,
    RequisitionLine,
)
from orders.services import documents
from trusts import selectors as trust_selectors
from trusts import services as trust_services

LIVE_ORDER_STATUSES = (
    JointPurchaseOrder.Status.ISSUED,
    JointPurchaseOrder.Status.PART_RECEIVED,
    JointPurchaseOrder.Status.RECEIVED,
    JointPurchaseOrder.Status.CLOSED,
)
RECEIVABLE_STATUSES = (
    JointPurchaseOrder.Status.ISSUED,
    JointPurchaseOrder.Status.PART_RECEIVED,
)


def _requisition_ids(order: JointPurchaseOrder) -> list[int]:
    return list(
        Allocation.objects.filter(order_line__order=order)
        .order_by()
        .values_list("requisition_line__requisition_id", flat=True)
        .distinct()
    )


def _lock_requisitions(ids: list[int]) -> list[Requisition]:
    return list(
        Requisition.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    )


def _record_events(
    requisitions: list[Requisition], action: str, actor, note: str
) -> None:
    RequisitionEvent.objects.bulk_create(
        RequisitionEvent(requisition=r, action=action, actor=actor, note=note)
        for r in requisitions
    )


@transaction.atomic(durable=True)
def joint_order_issue(*, order_id: int, buyer: AbstractBaseUser) -> JointPurchaseOrder:
    """Issue a draft order to its supplier, recording who and when.

    Requisitions whose lines are now all on issued orders become ``ordered``
    with an event (DESIGN §4). Raises ``ValidationError`` ``not_draft``.
    """
    order = JointPurchaseOrder.objects.select_for_update().get(pk=order_id)
    if order.status != JointPurchaseOrder.Status.DRAFT:
        raise ValidationError(
            _("Only a draft order can be issued; this one is %(status)s.")
            % {"status": order.get_status_display().lower()},
            code="not_draft",
        )
    order.status = JointPurchaseOrder.Status.ISSUED
    order.issued_at = timezone.now()
    order.issued_by = buyer
    order.save(update_fields=["status", "issued_at", "issued_by"])
    # The consolidated PDF and each trust's share are built by a worker,
    # queued when this transaction commits (DESIGN §6).
    documents.order_documents_request(order_id=order.pk, actor=buyer)
    _mark_ordered(order, buyer)
    trust_services.audit_record(
        actor=buyer,
        action="orders.order.issued",
        obj=order,
        detail={"number": order.number},
    )
    return order


def _mark_ordered(order: JointPurchaseOrder, actor) -> None:
    requisitions = _lock_requisitions(_requisition_ids(order))
    on_issued_order = Allocation.objects.filter(
        requisition_line=OuterRef("pk"),
        is_cancelled=False,
        order_line__order__status__in=LIVE_ORDER_STATUSES,
    )
    waiting = set(
        RequisitionLine.objects.filter(requisition__in=[r.pk for r in requisitions])
        .filter(~Exists(on_issued_order))
        .values_list("requisition_id", flat=True)
    )
    ready = [
        r
        for r in requisitions
        if r.pk not in waiting and r.status == Requisition.Status.APPROVED
    ]
    Requisition.objects.filter(pk__in=[r.pk for r in ready]).update(
        status=Requisition.Status.ORDERED
    )
    _record_events(
        ready,
        RequisitionEvent.Action.ORDERED,
        actor,
        _("Order %(number)s issued") % {"number": order.number},
    )


@transaction.atomic(durable=True)
def joint_order_cancel(*, order_id: int, buyer: AbstractBaseUser) -> JointPurchaseOrder:
    """Cancel an order before any receipt; its lines return to approved.

    Allocations stay as history, flagged ``is_cancelled``, so their lines
    are free to pool again; each requisition gets an ``unpooled`` event and
    is ``approved`` again (DESIGN §5). Raises ``ValidationError``
    ``not_cancellable`` (already cancelled, received or closed) or
    ``has_receipts``.
    """
    order = JointPurchaseOrder.objects.select_for_update().get(pk=order_id)
    if order.status not in (
        JointPurchaseOrder.Status.DRAFT,
        JointPurchaseOrder.Status.ISSUED,
    ):
        raise ValidationError(
            _("This order is %(status)s and can no longer be cancelled.")
            % {"status": order.get_status_display().lower()},
            code="not_cancellable",
        )
    if Receipt.objects.filter(allocation__order_line__order=order).exists():
        raise ValidationError(
            _("Goods have been received against this order: it cannot be cancelled."),
            code="has_receipts",
        )
    requisitions = _lock_requisitions(_requisition_ids(order))
    order.status = JointPurchaseOrder.Status.CANCELLED
    order.cancelled_at = timezone.now()
    order.cancelled_by = buyer
    order.save(update_fields=["status", "cancelled_at", "cancelled_by"])
    Allocation.objects.filter(order_line__order=order).update(is_cancelled=True)
    Requisition.objects.filter(
        pk__in=[r.pk for r in requisitions],
        status__in=[Requisition.Status.APPROVED, Requisition.Status.ORDERED],
    ).update(status=Requisition.Status.APPROVED)
    _record_events(
        requisitions,
        RequisitionEvent.Action.UNPOOLED,
        buyer,
        _("Order %(number)s cancelled") % {"number": order.number},
    )
    trust_services.audit_record(
        actor=buyer,
        action="orders.order.cancelled",
        obj=order,
        detail={
            "number": order.number,
            "requisitions": sorted(r.number for r in requisitions),
        },
    )
    return order


@transaction.atomic(durable=True)
def allocation_receive(
    *, allocation_id: int, user: AbstractBaseUser, quantity: int, note: str = ""
) -> Receipt:
    """Record goods received against one allocation of the user's trust.

    Partial receipts are allowed, never above the ordered quantity. The
    order becomes ``part_received`` or, with every live allocation fully
    received, ``received``; a requisition becomes ``received`` when all its
    lines are (DESIGN §4, §5). The order is locked before the allocation so
    simultaneous receipts on one order settle its status one at a time.
    Raises ``ValidationError``: ``not_receivable``, ``quantity`` or
    ``over_receipt``; ``Allocation.DoesNotExist`` for another trust's line.
    """
    trust = trust_selectors.user_trust(user)
    order_id = (
        Allocation.objects.filter(pk=allocation_id, trust=trust)
        .values_list("order_line__order_id", flat=True)
        .get()
    )
    order = JointPurchaseOrder.objects.select_for_update().get(pk=order_id)
    allocation = Allocation.objects.select_for_update().get(pk=allocation_id)
    if order.status not in RECEIVABLE_STATUSES or allocation.is_cancelled:
        raise ValidationError(
            _("Goods can be received only against an issued order."),
            code="not_receivable",
        )
    if quantity < 1:
        raise ValidationError(
            {
                "quantity": ValidationError(
                    _("Enter a quantity of at least 1."), code="quantity"
                )
            }
        )
    outstanding = allocation.quantity - allocation.received_quantity
    if quantity > outstanding:
        raise ValidationError(
            {
                "quantity": ValidationError(
                    _("Only %(outstanding)s remain to be received on this line.")
                    % {"outstanding": outstanding},
                    code="over_receipt",
                )
            }
        )
    receipt = Receipt(
        allocation=allocation, quantity=quantity, received_by=user, note=note
    )
    receipt.full_clean()
    receipt.save()
    Allocation.objects.filter(pk=allocation.pk).update(
        received_quantity=F("received_quantity") + quantity
    )
    outstanding_on_order = Allocation.objects.filter(
        order_line__order=order, is_cancelled=False
    ).filter(received_quantity__lt=F("quantity"))
    order.status = (
        JointPurchaseOrder.Status.PART_RECEIVED
        if outstanding_on_order.exists()
        else JointPurchaseOrder.Status.RECEIVED
    )
    order.save(update_fields=["status"])
    _mark_received(allocation, user)
    trust_services.audit_record(
        actor=user,
        action="orders.allocation.received",
        obj=allocation,
        detail={
            "order_reference": f"{order.number}/{trust.code}",
            "quantity": quantity,
            "receipt_id": receipt.pk,
            "order_status": order.status,
        },
    )
    return receipt


def _mark_received(allocation: Allocation, actor) -> None:
    requisition = Requisition.objects.select_for_update().get(
        lines=allocation.requisition_line_id
    )
    fully_received = Allocation.objects.filter(
        requisition_line=OuterRef("pk"),
        is_cancelled=False,
        received_quantity=F("quantity"),
    )
    if (
        requisition.status != Requisition.Status.RECEIVED
        and not requisition.lines.filter(~Exists(fully_received)).exists()
    ):
        requisition.status = Requisition.Status.RECEIVED
        requisition.save(update_fields=["status"])
        _record_events(
            [requisition],
            RequisitionEvent.Action.RECEIVED,
            actor,
            _("All lines received"),
        )
