"""Requisitions: raise, edit, submit, approve, reject, cancel (DESIGN §4).

Every entry point is one durable transaction that locks the requisition
before checking its state, so two people acting at once give one change and
one clear refusal. Every transition appends a ``RequisitionEvent``. E-mails
are queued only once the transaction commits.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.defaultfilters import floatformat
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from alliance_procurement.money import to_pennies, to_unit_price
from catalogue.models import Item
from orders import tasks
from orders.models import (
    Allocation,
    Requisition,
    RequisitionCounter,
    RequisitionEvent,
    RequisitionLine,
)
from suppliers import selectors as supplier_selectors
from suppliers.models import MAX_LINE_QUANTITY
from trusts import selectors as trust_selectors
from trusts import services as trust_services
from trusts.models import Role, Trust

#: States a requisition may be cancelled from (DESIGN §4).
CANCELLABLE = (
    Requisition.Status.DRAFT,
    Requisition.Status.SUBMITTED,
    Requisition.Status.APPROVED,
)


@dataclass(frozen=True)
class LineInput:
    """One requisition line as typed: the item and its quantity."""

    item_id: int
    quantity: int


def pounds(amount: Decimal) -> str:
    """Format an amount for a message: ``£1,234.56``."""
    return f"£{floatformat(to_pennies(amount), '2g')}"


def _trust_of(actor: AbstractBaseUser, role: Role) -> Trust:
    """Return the actor's trust, or refuse an actor lacking ``role``."""
    if not trust_selectors.user_has_role(actor, role):
        raise PermissionDenied
    trust = trust_selectors.user_trust(actor)
    if trust is None:
        raise PermissionDenied
    return trust


def _lock(requisition_id: int, trust: Trust) -> Requisition:
    """Lock one requisition of ``trust``; another trust's raises DoesNotExist."""
    return (
        Requisition.objects.select_for_update()
        .select_related("trust")
        .get(pk=requisition_id, trust=trust)
    )


#: The audit trail's verb for each requisition event recorded here.
_AUDIT_VERBS = {
    RequisitionEvent.Action.CREATED: "created",
    RequisitionEvent.Action.EDITED: "updated",
    RequisitionEvent.Action.SUBMITTED: "submitted",
    RequisitionEvent.Action.APPROVED: "approved",
    RequisitionEvent.Action.REJECTED: "rejected",
    RequisitionEvent.Action.CANCELLED: "cancelled",
}


def _record(
    requisition: Requisition, action: str, actor: AbstractBaseUser | None, note=""
) -> RequisitionEvent:
    """Append the requisition's own event and the audit trail's (ASVS V16)."""
    detail = {"number": requisition.number, "status": requisition.status}
    if action == RequisitionEvent.Action.SUBMITTED:
        detail["estimated_total"] = requisition.estimated_total
    if note:
        detail["reason"] = note
    trust_services.audit_record(
        actor=actor,
        action=f"orders.requisition.{_AUDIT_VERBS[action]}",
        obj=requisition,
        detail=detail,
    )
    return RequisitionEvent.objects.create(
        requisition=requisition, action=action, actor=actor, note=note
    )


def _line_error(number: int, field: str, message: str, code: str) -> ValidationError:
    """An error naming the line (``Line 2: ...``); ``params`` say line and field."""
    return ValidationError(
        _("Line %(line)s: %(problem)s") % {"line": number, "problem": message},
        code=code,
        params={"line": number, "field": field},
    )


def _check_header(
    *, trust: Trust, site_id, cost_centre_id, needed_by: datetime.date
) -> dict[str, list[ValidationError]]:
    errors: dict[str, list[ValidationError]] = {}
    if not trust_selectors.sites_for_trust(trust).filter(pk=site_id).exists():
        errors["site"] = [
            ValidationError(
                _("Choose a delivery site of your trust."), code="site_not_in_trust"
            )
        ]
    if (
        not trust_selectors.cost_centres_for_trust(trust)
        .filter(pk=cost_centre_id)
        .exists()
    ):
        errors["cost_centre"] = [
            ValidationError(
                _("Choose a cost centre of your trust."),
                code="cost_centre_not_in_trust",
            )
        ]
    if needed_by is None or needed_by < timezone.localdate():
        errors["needed_by"] = [
            ValidationError(
                _("The needed-by date must be today or later."),
                code="needed_by_in_past",
            )
        ]
    return errors


def _check_lines(lines: Sequence[LineInput]) -> list[ValidationError]:
    """Check each line's quantity, item and that no item repeats."""
    if not lines:
        return [ValidationError(_("Add at least one line."), code="no_lines")]
    items = Item.objects.in_bulk({line.item_id for line in lines})
    errors = []
    first_line_of: dict[int, int] = {}
    for number, line in enumerate(lines, start=1):
        if not (
            isinstance(line.quantity, int) and 1 <= line.quantity <= MAX_LINE_QUANTITY
        ):
            errors.append(
                _line_error(
                    number,
                    "quantity",
                    _("Quantity must be a whole number from 1 to 10,000,000."),
                    "quantity_out_of_range",
                )
            )
        item = items.get(line.item_id)
        if item is None or not item.is_active:
            errors.append(
                _line_error(
                    number,
                    "item",
                    _("Item: %(item)s is not an active catalogue item.")
                    % {"item": item or line.item_id},
                    "item_inactive",
                )
            )
        elif line.item_id in first_line_of:
            errors.append(
                _line_error(
                    number,
                    "item",
                    _(
                        "Item: %(item)s is already on line %(first)s; change that "
                        "line's quantity instead."
                    )
                    % {"item": item, "first": first_line_of[line.item_id]},
                    "item_repeated",
                )
            )
        else:
            first_line_of[line.item_id] = number
    return errors


def _validate(
    *, trust: Trust, site_id, cost_centre_id, needed_by, lines: Sequence[LineInput]
) -> None:
    """Raise every problem at once: by field, and lines under ``__all__``."""
    errors = _check_header(
        trust=trust, site_id=site_id, cost_centre_id=cost_centre_id, needed_by=needed_by
    )
    line_errors = _check_lines(lines)
    if line_errors:
        errors[NON_FIELD_ERRORS] = line_errors
    if errors:
        raise ValidationError(errors)


def _write_lines(requisition: Requisition, lines: Sequence[LineInput]) -> None:
    requisition.lines.all().delete()
    RequisitionLine.objects.bulk_create(
        RequisitionLine(
            requisition=requisition, item_id=line.item_id, quantity=line.quantity
        )
        for line in lines
    )


def requisition_number_next(*, trust: Trust) -> str:
    """Give the trust's next requisition number, ``WMAS-R-2026-00042``.

    The year is today's local year. The counter row of (trust, year) is
    created if missing (a concurrent creator is ignored by ON CONFLICT) and
    then locked until the caller's transaction ends, so two requisitions
    never share a number. Must run inside a transaction.
    """
    year = timezone.localdate().year
    RequisitionCounter.objects.bulk_create(
        [RequisitionCounter(trust=trust, year=year)], ignore_conflicts=True
    )
    counter = RequisitionCounter.objects.select_for_update().get(trust=trust, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return f"{trust.code}-R-{year}-{counter.last_number:05d}"


@transaction.atomic(durable=True)
def requisition_create(
    *,
    requester: AbstractBaseUser,
    site_id: int,
    cost_centre_id: int,
    needed_by: datetime.date,
    notes: str = "",
    lines: Sequence[LineInput],
) -> Requisition:
    """Save a new draft requisition of the requester's trust and number it.

    Site and cost centre must be active ones of the requester's trust, the
    needed-by date today or later, and there must be at least one line, each
    an active item, quantity 1..10,000,000, no item twice (DESIGN §3, §4).
    Raises ``ValidationError`` naming the field or line; nothing is saved
    then. Raises ``PermissionDenied`` unless the requester is a requisitioner.
    """
    trust = _trust_of(requester, Role.REQUISITIONER)
    _validate(
        trust=trust,
        site_id=site_id,
        cost_centre_id=cost_centre_id,
        needed_by=needed_by,
        lines=lines,
    )
    requisition = Requisition(
        trust=trust,
        requester=requester,
        site_id=site_id,
        cost_centre_id=cost_centre_id,
        needed_by=needed_by,
        notes=notes,
        number=requisition_number_next(trust=trust),
    )
    requisition.full_clean()
    requisition.save()
    _write_lines(requisition, lines)
    _record(requisition, RequisitionEvent.Action.CREATED, requester)
    return requisition


@transaction.atomic(durable=True)
def requisition_update(
    *,
    requisition_id: int,
    editor: AbstractBaseUser,
    site_id: int,
    cost_centre_id: int,
    needed_by: datetime.date,
    notes: str = "",
    lines: Sequence[LineInput],
) -> Requisition:
    """Replace a draft's details and lines; the same rules as creating.

    Any requisitioner of the trust may edit its drafts. Refused with code
    ``not_draft`` once submitted. Raises ``Requisition.DoesNotExist`` for
    another trust's requisition.
    """
    trust = _trust_of(editor, Role.REQUISITIONER)
    requisition = _lock(requisition_id, trust)
    if requisition.status != Requisition.Status.DRAFT:
        raise ValidationError(
            _("Only a draft can be edited; this requisition is %(status)s.")
            % {"status": requisition.get_status_display().lower()},
            code="not_draft",
        )
    _validate(
        trust=trust,
        site_id=site_id,
        cost_centre_id=cost_centre_id,
        needed_by=needed_by,
        lines=lines,
    )
    requisition.site_id = site_id
    requisition.cost_centre_id = cost_centre_id
    requisition.needed_by = needed_by
    requisition.notes = notes
    requisition.full_clean()
    requisition.save(update_fields=["site", "cost_centre", "needed_by", "notes"])
    _write_lines(requisition, lines)
    _record(requisition, RequisitionEvent.Action.EDITED, editor)
    return requisition


@transaction.atomic(durable=True)
def requisition_submit(
    *, requisition_id: int, submitter: AbstractBaseUser
) -> Requisition:
    """Submit a draft for approval and store its estimated prices.

    Each line is priced at the cheapest active contract open to the trust,
    at the tier its own quantity reaches (DESIGN §3, §4): its
    ``estimated_unit_price`` and ``estimated_net`` (rounded to the penny);
    the requisition's ``estimated_total`` is the sum of the line nets. A line
    whose item has no such contract refuses the submission, naming the item.
    The needed-by date must still be today or later. Queues the e-mail to the
    trust's approvers on commit.
    """
    trust = _trust_of(submitter, Role.REQUISITIONER)
    requisition = _lock(requisition_id, trust)
    if requisition.status != Requisition.Status.DRAFT:
        raise ValidationError(
            _("This requisition has already been submitted."), code="not_draft"
        )
    lines = list(requisition.lines.select_related("item").order_by("pk"))
    _validate(
        trust=trust,
        site_id=requisition.site_id,
        cost_centre_id=requisition.cost_centre_id,
        needed_by=requisition.needed_by,
        lines=[LineInput(item_id=ln.item_id, quantity=ln.quantity) for ln in lines],
    )
    quotes = supplier_selectors.best_quotes_for_trust(
        trust=trust,
        quantities={line.item_id: line.quantity for line in lines},
        on=timezone.localdate(),
    )
    errors = [
        _line_error(
            number,
            "item",
            _("%(item)s is not on an active contract open to your trust.")
            % {"item": line.item},
            "no_contract",
        )
        for number, line in enumerate(lines, start=1)
        if line.item_id not in quotes
    ]
    if errors:
        raise ValidationError(errors)
    total = Decimal("0.00")
    for line in lines:
        line.estimated_unit_price = to_unit_price(quotes[line.item_id].unit_price)
        line.estimated_net = to_pennies(line.quantity * line.estimated_unit_price)
        total += line.estimated_net
    RequisitionLine.objects.bulk_update(
        lines, ["estimated_unit_price", "estimated_net"]
    )
    requisition.status = Requisition.Status.SUBMITTED
    requisition.submitted_at = timezone.now()
    requisition.estimated_total = total
    requisition.save(update_fields=["status", "submitted_at", "estimated_total"])
    _record(requisition, RequisitionEvent.Action.SUBMITTED, submitter)
    tasks.send_requisition_submitted_email_task.delay_on_commit(requisition.pk)
    return requisition


def _check_decidable(requisition: Requisition, approver: AbstractBaseUser) -> None:
    if requisition.status != Requisition.Status.SUBMITTED:
        raise ValidationError(
            _("This requisition is no longer awaiting approval: it is %(status)s.")
            % {"status": requisition.get_status_display().lower()},
            code="not_submitted",
        )
    if requisition.requester_id == approver.pk:
        raise ValidationError(
            _("You raised this requisition, so another approver must decide it."),
            code="own_requisition",
        )


@transaction.atomic(durable=True)
def requisition_approve(
    *, requisition_id: int, approver: AbstractBaseUser
) -> Requisition:
    """Approve a submitted requisition of the approver's trust (DESIGN §4).

    Refused when it is no longer submitted (``not_submitted``; of two
    approvers at once, the second lands here), when the approver raised it
    (``own_requisition``), or when its estimated total exceeds the approver's
    limit (``over_limit``, saying by how much). Queues the e-mail to the
    requester on commit.
    """
    trust = _trust_of(approver, Role.APPROVER)
    # Lock first: of two simultaneous approvals, the second waits here and
    # then finds the requisition no longer submitted.
    requisition = _lock(requisition_id, trust)
    _check_decidable(requisition, approver)
    limit = trust_selectors.membership_get(approver).approval_limit
    total = requisition.estimated_total or Decimal("0.00")
    if total > limit:
        raise ValidationError(
            _(
                "The estimated total of %(total)s exceeds your approval limit of "
                "%(limit)s by %(excess)s."
            )
            % {
                "total": pounds(total),
                "limit": pounds(limit),
                "excess": pounds(total - limit),
            },
            code="over_limit",
        )
    requisition.status = Requisition.Status.APPROVED
    requisition.decided_by, requisition.decided_at = approver, timezone.now()
    requisition.save(update_fields=["status", "decided_by", "decided_at"])
    _record(requisition, RequisitionEvent.Action.APPROVED, approver)
    tasks.send_requisition_decision_email_task.delay_on_commit(requisition.pk)
    return requisition


@transaction.atomic(durable=True)
def requisition_reject(
    *, requisition_id: int, approver: AbstractBaseUser, reason: str
) -> Requisition:
    """Reject a submitted requisition of the approver's trust, with a reason.

    The reason is required (``reason_required``). Refused as for approval
    when no longer submitted or raised by the approver; the limit does not
    apply, since rejecting commits no money. Queues the e-mail to the
    requester, with the reason, on commit.
    """
    trust = _trust_of(approver, Role.APPROVER)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            {
                "reason": [
                    ValidationError(
                        _("Give a reason for rejecting."), code="reason_required"
                    )
                ]
            }
        )
    requisition = _lock(requisition_id, trust)
    _check_decidable(requisition, approver)
    requisition.status = Requisition.Status.REJECTED
    requisition.decided_by, requisition.decided_at = approver, timezone.now()
    requisition.rejection_reason = reason
    requisition.save(
        update_fields=["status", "decided_by", "decided_at", "rejection_reason"]
    )
    _record(requisition, RequisitionEvent.Action.REJECTED, approver, note=reason)
    tasks.send_requisition_decision_email_task.delay_on_commit(requisition.pk)
    return requisition


@transaction.atomic(durable=True)
def requisition_cancel(
    *, requisition_id: int, actor: AbstractBaseUser, reason: str = ""
) -> Requisition:
    """Cancel a draft, submitted or approved requisition of the actor's trust.

    Any requisitioner of the trust may cancel (DESIGN §4). Refused
    (``not_cancellable``) in other states, and (``pooled``) once any of its
    lines has an allocation that is not cancelled. The lines are locked too,
    so a pooling commit that locks them cannot slip in between.
    """
    trust = _trust_of(actor, Role.REQUISITIONER)
    requisition = _lock(requisition_id, trust)
    if requisition.status not in CANCELLABLE:
        raise ValidationError(
            _("A %(status)s requisition cannot be cancelled.")
            % {"status": requisition.get_status_display().lower()},
            code="not_cancellable",
        )
    list(requisition.lines.select_for_update().order_by("pk"))
    if Allocation.objects.filter(
        requisition_line__requisition=requisition, is_cancelled=False
    ).exists():
        raise ValidationError(
            _(
                "Some lines are already pooled into an order, so it cannot be "
                "cancelled."
            ),
            code="pooled",
        )
    requisition.status = Requisition.Status.CANCELLED
    requisition.cancelled_at = timezone.now()
    requisition.save(update_fields=["status", "cancelled_at"])
    _record(requisition, RequisitionEvent.Action.CANCELLED, actor, note=reason.strip())
    return requisition


# --- E-mails (run by orders.tasks, outside any transaction) -----------------


def _requisition_for_email(requisition_id: int) -> Requisition:
    return Requisition.objects.select_related(
        "trust", "requester", "site", "cost_centre", "decided_by"
    ).get(pk=requisition_id)


def requisition_submitted_notify(*, requisition_id: int) -> int:
    """E-mail the trust's active approvers that a requisition awaits them.

    Returns how many were sent to (approvers without an address are skipped;
    the requester is not told about their own requisition).
    """
    requisition = _requisition_for_email(requisition_id)
    recipients = [
        membership.user.email
        for membership in trust_selectors.approvers_of_trust(requisition.trust)
        if membership.user.email and membership.user_id != requisition.requester_id
    ]
    if not recipients:
        return 0
    context = {"requisition": requisition, "site_url": settings_site_url()}
    send_mail(
        subject=_("Requisition %(number)s awaits approval")
        % {"number": requisition.number},
        message=render_to_string("orders/email/requisition_submitted.txt", context),
        from_email=None,
        recipient_list=recipients,
    )
    return len(recipients)


def requisition_decision_notify(*, requisition_id: int) -> int:
    """E-mail the requester that their requisition was approved or rejected.

    A rejection carries its reason. Anything else (e.g. since cancelled)
    sends nothing. Returns how many were sent to.
    """
    requisition = _requisition_for_email(requisition_id)
    decided = (Requisition.Status.APPROVED, Requisition.Status.REJECTED)
    if requisition.status not in decided or not requisition.requester.email:
        return 0
    context = {"requisition": requisition, "site_url": settings_site_url()}
    send_mail(
        subject=_("Requisition %(number)s %(status)s")
        % {
            "number": requisition.number,
            "status": requisition.get_status_display().lower(),
        },
        message=render_to_string("orders/email/requisition_decided.txt", context),
        from_email=None,
        recipient_list=[requisition.requester.email],
    )
    return 1


def settings_site_url() -> str:
    """The address links in e-mails start with (``SITE_URL``, may be empty)."""
    return getattr(settings, "SITE_URL", "").rstrip("/")
