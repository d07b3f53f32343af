"""Reads about requisitions, scoped to the asking user (DESIGN §7).

Trust users (requisitioner, approver, finance) see their own trust's
requisitions; buyers see approved (and later ordered or received)
requisitions of every trust, read-only; anyone else sees none. Views fetch
every requisition through ``requisitions_visible_to``, so another trust's is
a 404.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from alliance_procurement.money import to_pennies, to_unit_price
from catalogue.models import Item
from orders.models import Allocation, Requisition, RequisitionEvent, RequisitionLine
from suppliers import selectors as supplier_selectors
from trusts import selectors as trust_selectors
from trusts.models import Role, Trust

TRUST_READERS = (Role.REQUISITIONER, Role.APPROVER, Role.FINANCE)
#: Who may open requisition pages at all; anyone else gets a 403.
REQUISITION_READERS = (*TRUST_READERS, Role.BUYER)
#: States a buyer may read (DESIGN §7: approved lines, all trusts).
BUYER_VISIBLE = (
    Requisition.Status.APPROVED,
    Requisition.Status.ORDERED,
    Requisition.Status.RECEIVED,
)
ITEM_SEARCH_LIMIT = 10


def _is_trust_reader(user) -> bool:
    return any(trust_selectors.user_has_role(user, role) for role in TRUST_READERS)


def requisitions_visible_to(user: AbstractBaseUser) -> QuerySet[Requisition]:
    """Return the requisitions ``user`` may read.

    A trust user reads their own trust's; a buyer reads approved, ordered and
    received requisitions of every trust; everyone else reads none.
    """
    trust = trust_selectors.user_trust(user)
    if trust is not None and _is_trust_reader(user):
        return Requisition.objects.for_trust(trust)
    if trust_selectors.user_has_role(user, Role.BUYER):
        return Requisition.objects.filter(status__in=BUYER_VISIBLE)
    return Requisition.objects.none()


def requisition_list(*, user: AbstractBaseUser) -> QuerySet[Requisition]:
    """The user's trust's requisitions for the tracking table (newest first)."""
    trust = trust_selectors.user_trust(user)
    if trust is None or not _is_trust_reader(user):
        return Requisition.objects.none()
    return (
        Requisition.objects.for_trust(trust)
        .select_related("trust", "site", "cost_centre", "requester")
        .order_by("-created_at", "-pk")
    )


def requisition_get(*, user: AbstractBaseUser, pk: int) -> Requisition:
    """One visible requisition with lines, items and history.

    Raises ``Requisition.DoesNotExist`` when it is not visible to the user.
    """
    return (
        requisitions_visible_to(user)
        .select_related("trust", "site", "cost_centre", "requester", "decided_by")
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=RequisitionLine.objects.select_related("item").order_by("pk"),
            ),
            Prefetch(
                "events",
                queryset=RequisitionEvent.objects.select_related("actor").order_by(
                    "at", "pk"
                ),
            ),
        )
        .get(pk=pk)
    )


def approval_queue(*, user: AbstractBaseUser) -> QuerySet[Requisition]:
    """Submitted requisitions of the approver's trust, oldest submitted first."""
    trust = trust_selectors.user_trust(user)
    if trust is None or not trust_selectors.user_has_role(user, Role.APPROVER):
        return Requisition.objects.none()
    return (
        Requisition.objects.for_trust(trust)
        .filter(status=Requisition.Status.SUBMITTED)
        .select_related("site", "cost_centre", "requester")
        .order_by("submitted_at", "pk")
    )


def live_allocations_of(line_ref) -> Exists:
    """``Exists`` of an allocation that is not cancelled for a requisition line."""
    return Exists(
        Allocation.objects.filter(requisition_line=line_ref, is_cancelled=False)
    )


def approved_lines_list(*, user: AbstractBaseUser) -> QuerySet[RequisitionLine]:
    """Approved, unpooled requisition lines of every trust, for buyers.

    A line is unpooled while it has no allocation that is not cancelled
    (DESIGN §5). Oldest submitted first. Anyone but a buyer gets none.
    """
    if not trust_selectors.user_has_role(user, Role.BUYER):
        return RequisitionLine.objects.none()
    return (
        RequisitionLine.objects.filter(requisition__status=Requisition.Status.APPROVED)
        .exclude(live_allocations_of(OuterRef("pk")))
        .select_related("requisition", "requisition__trust", "item")
        .order_by("requisition__submitted_at", "requisition_id", "pk")
    )


def requisition_is_pooled(requisition: Requisition) -> bool:
    """Tell whether any line has an allocation that is not cancelled."""
    return Allocation.objects.filter(
        requisition_line__requisition=requisition, is_cancelled=False
    ).exists()


@dataclass(frozen=True)
class RequisitionActions:
    """What the user may do to one requisition now (buttons shown)."""

    edit: bool = False
    submit: bool = False
    approve: bool = False
    reject: bool = False
    cancel: bool = False
    over_limit_by: Decimal | None = None

    @property
    def any(self) -> bool:
        return self.edit or self.submit or self.approve or self.reject or self.cancel


def requisition_actions(
    *, user: AbstractBaseUser, requisition: Requisition
) -> RequisitionActions:
    """Decide which actions ``user`` may take on a visible requisition.

    Mirrors the services' rules (DESIGN §4, §7) so that buttons appear only
    when the action would be allowed; the services still decide.
    """
    membership = trust_selectors.membership_get(user)
    if membership is None or membership.trust_id != requisition.trust_id:
        return RequisitionActions()
    status = requisition.status
    is_requisitioner = membership.is_requisitioner
    may_decide = (
        membership.is_approver
        and status == Requisition.Status.SUBMITTED
        and requisition.requester_id != user.pk
    )
    total = requisition.estimated_total or Decimal("0.00")
    over_limit = may_decide and total > membership.approval_limit
    cancellable = status in (
        Requisition.Status.DRAFT,
        Requisition.Status.SUBMITTED,
        Requisition.Status.APPROVED,
    )
    return RequisitionActions(
        edit=is_requisitioner and status == Requisition.Status.DRAFT,
        submit=is_requisitioner and status == Requisition.Status.DRAFT,
        approve=may_decide and not over_limit,
        reject=may_decide,
        cancel=is_requisitioner
        and cancellable
        and not (
            status == Requisition.Status.APPROVED and requisition_is_pooled(requisition)
        ),
        over_limit_by=(total - membership.approval_limit) if over_limit else None,
    )


def item_search(*, text: str, limit: int = ITEM_SEARCH_LIMIT) -> list[Item]:
    """Active items whose name, SKU or NHS code contains ``text``.

    An exact SKU or NHS code comes first, then the rest by name. Fewer than
    two characters find nothing.
    """
    text = (text or "").strip()
    if len(text) < 2 or "\x00" in text:  # no item holds NUL; PostgreSQL refuses it
        return []
    active = Item.objects.active()
    exact = list(active.filter(Q(sku__iexact=text) | Q(nhs_code__iexact=text))[:limit])
    rest = (
        active.filter(
            Q(name__icontains=text)
            | Q(sku__icontains=text)
            | Q(nhs_code__icontains=text)
        )
        .exclude(pk__in=[item.pk for item in exact])
        .order_by("name", "sku")[: limit - len(exact)]
    )
    return exact + list(rest)


def item_find(*, text: str) -> Item | None:
    """The item a typed text names: its SKU or NHS code exactly, or its exact
    name when only one item has it; ``None`` otherwise. Inactive items are
    found too, so that the rules can say why they cannot be used."""
    text = (text or "").strip()
    if not text or "\x00" in text:  # no item holds NUL; PostgreSQL refuses it
        return None
    for lookup in ("sku__iexact", "nhs_code__iexact", "name__iexact"):
        found = list(Item.objects.filter(**{lookup: text})[:2])
        if len(found) == 1:
            return found[0]
    return None


@dataclass(frozen=True)
class LineEstimate:
    """The estimated price of one line as typed (DESIGN §3)."""

    item: Item
    quantity: int | None
    unit_price: Decimal | None
    net: Decimal | None
    contract_reference: str = ""
    tier_min_quantity: int | None = None


def line_estimate(
    *, trust: Trust, item: Item, quantity: int | None, on: datetime.date
) -> LineEstimate:
    """Price ``quantity`` of ``item`` for ``trust``: the cheapest active contract
    open to it, at the tier the quantity reaches. Without a quantity the first
    tier (quantity 1) is shown; without a contract, no price."""
    priced_quantity = quantity or 1
    quotes = supplier_selectors.best_quotes_for_trust(
        trust=trust, quantities={item.pk: priced_quantity}, on=on
    )
    offer = quotes.get(item.pk)
    if offer is None:
        return LineEstimate(item=item, quantity=quantity, unit_price=None, net=None)
    unit_price = to_unit_price(offer.unit_price)
    return LineEstimate(
        item=item,
        quantity=quantity,
        unit_price=unit_price,
        net=to_pennies(quantity * unit_price) if quantity else None,
        contract_reference=offer.contract.reference,
        tier_min_quantity=offer.tier.min_quantity,
    )


def draft_estimates(
    *, requisition: Requisition, on: datetime.date
) -> dict[int, Decimal]:
    """Per line id, the unit price the line would be estimated at today.

    For showing a draft, whose estimates are stored only on submit.
    """
    lines = list(requisition.lines.all())
    quotes = supplier_selectors.best_quotes_for_trust(
        trust=requisition.trust,
        quantities={line.item_id: line.quantity for line in lines},
        on=on,
    )
    return {
        line.pk: to_unit_price(quotes[line.item_id].unit_price)
        for line in lines
        if line.item_id in quotes
    }


def requesters_of_trust(trust: Trust | None) -> QuerySet:
    """Users who raised requisitions in the trust, for the tracking filter."""
    user_model = Requisition._meta.get_field("requester").related_model
    if trust is None:
        return user_model.objects.none()
    # One index probe per user (``requisition_trust_requester``), not a scan
    # of the trust's requisitions on every page of the list.
    raised = Requisition.objects.for_trust(trust).filter(requester=OuterRef("pk"))
    return user_model.objects.filter(Exists(raised)).order_by(
        "last_name", "first_name", "username"
    )
