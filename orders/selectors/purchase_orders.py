"""Reads of joint purchase orders, scoped to who asks (DESIGN §5, §7).

Buyers see every order in full. Trust users (requisitioner, approver,
finance) see orders their trust has a share in, and of those only their
own trust's allocations and share: line figures shown to them are the sums
of their own allocations, never the combined quantity or the order's totals,
which would reveal other trusts' figures. Another trust's order is a 404.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from alliance_procurement.money import ZERO
from orders.models import Allocation, JointPurchaseOrder, OrderLine, OrderShare
from suppliers.models import Contract
from trusts import selectors as trust_selectors
from trusts.models import Trust

TRUST_ROLES = ("requisitioner", "approver", "finance")


def _viewer_trust(user) -> tuple[bool, Trust | None]:
    """Return (is buyer, trust whose share the user may read)."""
    membership = trust_selectors.membership_get(user)
    if membership is None:
        return False, None
    if membership.is_buyer:
        return True, None
    if membership.trust_id and any(
        getattr(membership, f"is_{role}") for role in TRUST_ROLES
    ):
        return False, membership.trust
    return False, None


def joint_orders_visible_to(user) -> QuerySet[JointPurchaseOrder]:
    """Orders the user may open: all for buyers, their trust's share for
    trust users, none for anyone else."""
    is_buyer, trust = _viewer_trust(user)
    if is_buyer:
        return JointPurchaseOrder.objects.all()
    if trust is not None:
        return JointPurchaseOrder.objects.with_share_of(trust)
    return JointPurchaseOrder.objects.none()


def joint_orders_list(user) -> QuerySet[JointPurchaseOrder]:
    """Orders for the list page, with the figures the user may see.

    ``shown_net``, ``shown_vat``, ``shown_gross`` and ``shown_savings`` are
    the order's totals for buyers and the user's trust's share for trust
    users; ``shown_reference`` is the trust's share reference (or the order
    number).
    """
    is_buyer, trust = _viewer_trust(user)
    money = DecimalField(max_digits=14, decimal_places=2)
    base = JointPurchaseOrder.objects.select_related("supplier", "contract")
    if is_buyer:
        return base.annotate(
            shown_net=F("net"),
            shown_vat=F("vat"),
            shown_gross=ExpressionWrapper(F("net") + F("vat"), output_field=money),
            shown_savings=F("savings"),
            shown_reference=F("number"),
        )
    if trust is None:
        return base.none()
    # Filtering on the trust's share and reading its figures in one join:
    # an order has at most one share per trust.
    return base.filter(shares__trust=trust).annotate(
        shown_net=F("shares__net"),
        shown_vat=F("shares__vat"),
        shown_gross=ExpressionWrapper(
            F("shares__net") + F("shares__vat"), output_field=money
        ),
        shown_savings=F("shares__savings"),
        shown_reference=F("shares__reference"),
    )


@dataclass
class LineView:
    """An order line as the user may see it."""

    line: OrderLine
    allocations: list[Allocation]
    quantity: int
    net: Decimal
    vat: Decimal
    standalone_net: Decimal
    savings: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


@dataclass
class ShareView:
    """One trust's share with its allocations, ordered by site then item."""

    share: OrderShare
    allocations: list[Allocation]


@dataclass
class OrderView:
    """What the order page shows to one user."""

    order: JointPurchaseOrder
    is_buyer: bool
    trust: Trust | None
    lines: list[LineView]
    shares: list[ShareView]
    net: Decimal
    vat: Decimal
    standalone_net: Decimal
    savings: Decimal
    committed_value: Decimal | None = None
    remaining_ceiling: Decimal | None = None

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def joint_order_get(*, user, number: str) -> JointPurchaseOrder:
    """One visible order by number; raises ``JointPurchaseOrder.DoesNotExist``."""
    return (
        joint_orders_visible_to(user)
        .select_related("supplier", "contract", "pooling_round", "issued_by")
        .get(number=number)
    )


def contract_commitment(contract: Contract) -> tuple[Decimal, Decimal]:
    """The contract's committed value (net of orders not cancelled) and what
    remains of its ceiling (DESIGN §5)."""
    committed = (
        JointPurchaseOrder.objects.not_cancelled()
        .filter(contract=contract)
        .aggregate(total=Coalesce(Sum("net"), Value(ZERO)))["total"]
    )
    return committed, contract.value_ceiling - committed


def order_view_for(*, user, number: str) -> OrderView:
    """The order as ``user`` may see it, in a fixed number of queries.

    Raises ``JointPurchaseOrder.DoesNotExist`` when it is not visible.
    """
    is_buyer, trust = _viewer_trust(user)
    order = joint_order_get(user=user, number=number)
    allocations = Allocation.objects.select_related(
        "trust", "site", "cost_centre", "requisition_line__requisition"
    ).order_by("trust__code", "site__name", "order_line__item__sku", "pk")
    shares = OrderShare.objects.filter(order=order).select_related("trust")
    if not is_buyer:
        allocations = allocations.filter(trust=trust)
        shares = shares.filter(trust=trust)
    lines = list(
        OrderLine.objects.filter(order=order)
        .select_related("item")
        .prefetch_related(Prefetch("allocations", queryset=allocations))
        .order_by("item__sku")
    )
    line_views = []
    by_share: dict[int, list[Allocation]] = {}
    for line in lines:
        visible = list(line.allocations.all())
        if not is_buyer and not visible:
            continue
        for allocation in visible:
            allocation.order_line = line
            by_share.setdefault(allocation.share_id, []).append(allocation)
        if is_buyer:
            figures = (line.quantity, line.net, line.vat, line.standalone_net)
            savings = line.savings
        else:
            figures = (
                sum(a.quantity for a in visible),
                sum((a.net for a in visible), ZERO),
                sum((a.vat for a in visible), ZERO),
                sum((a.standalone_net for a in visible), ZERO),
            )
            savings = sum((a.savings for a in visible), ZERO)
        line_views.append(LineView(line, visible, *figures, savings))
    share_views = []
    for share in shares:
        own = sorted(
            by_share.get(share.pk, []),
            key=lambda a: (a.site.name, a.order_line.item.sku, a.pk),
        )
        share_views.append(ShareView(share, own))
    if is_buyer:
        totals = (order.net, order.vat, order.standalone_net, order.savings)
        committed, remaining = contract_commitment(order.contract)
    else:
        [own_share] = [view.share for view in share_views]
        totals = (own_share.net, own_share.vat, own_share.standalone_net)
        totals += (own_share.savings,)
        committed = remaining = None
    return OrderView(
        order,
        is_buyer,
        trust,
        line_views,
        share_views,
        *totals,
        committed_value=committed,
        remaining_ceiling=remaining,
    )


def receivable_allocation_ids(view: OrderView) -> set[int]:
    """Allocations the viewer may record receipts against now."""
    if view.is_buyer or view.order.status not in (
        JointPurchaseOrder.Status.ISSUED,
        JointPurchaseOrder.Status.PART_RECEIVED,
    ):
        return set()
    return {
        allocation.pk
        for share in view.shares
        for allocation in share.allocations
        if not allocation.is_cancelled
        and allocation.received_quantity < allocation.quantity
    }
