"""Build issued joint purchase orders with consistent money columns, in bulk.

Each allocation is priced as pooling prices it (DESIGN §5): every figure
rounded once with ``to_pennies``; order lines, shares and orders hold the
sums of their allocations. Rows are bulk-created, so a 10,000-line order
takes seconds.
"""

import datetime
import random
import uuid
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils import timezone

from alliance_procurement.money import to_pennies
from catalogue.models import Item
from orders.models import (
    Allocation,
    JointPurchaseOrder,
    OrderLine,
    OrderShare,
    Requisition,
    RequisitionLine,
)
from tests import factories
from trusts.models import Membership

UNUSABLE_PASSWORD = "!built-without-a-password"
VAT_RATES = (Decimal("0.20"), Decimal("0.05"), Decimal("0.00"))


def quick_user(*, trust=None, **roles):
    """A user with a membership and an unusable password (no slow hashing)."""
    user = get_user_model().objects.create(
        username=f"builder-{uuid.uuid4().hex[:12]}", password=UNUSABLE_PASSWORD
    )
    Membership.objects.create(user=user, trust=trust, **roles)
    return user


def build_trusts(codes=("WMAS", "SECAMB", "SWASFT")):
    """Return trusts by code, each with two sites and two cost centres."""
    trusts = []
    for code in codes:
        trust = factories.TrustFactory(code=code, name=f"{code} Ambulance Service")
        for n in range(2):
            factories.SiteFactory(
                trust=trust,
                code=f"{code}-S{n}",
                name=f"{code} station {n}",
                gln="5012345678900" if n == 0 else "",
                address=f"{n + 1} Ambulance Way\n{code} Town",
                postcode=f"B{n + 1} 1AA",
            )
            factories.CostCentreFactory(
                trust=trust, code=f"{code}-CC{n}", name=f"{code} operations {n}"
            )
        trusts.append(trust)
    return trusts


def build_order(
    *,
    trusts,
    lines: int = 3,
    issued_at: datetime.datetime | None = None,
    status: str = JointPurchaseOrder.Status.ISSUED,
    contract=None,
    items=None,
    seed: int = 1,
    number: str | None = None,
    one_trust_per_line: bool = False,
) -> JointPurchaseOrder:
    """Create an order of ``lines`` lines, each allocated to every trust.

    With ``one_trust_per_line`` each line goes to a single trust, in turn.
    ``items`` (optional) are reused in turn, so several orders share items,
    categories and suppliers. ``issued_at`` defaults to now for an issued
    order.
    """
    rng = random.Random(seed)
    if issued_at is None and status != JointPurchaseOrder.Status.DRAFT:
        issued_at = timezone.now()
    # An unusable password: hashing one per user would dominate the set-up.
    buyer = quick_user(is_buyer=True)
    order = factories.JointPurchaseOrderFactory(
        pooling_round__opened_by=buyer,
        status=status,
        issued_at=issued_at,
        **({"contract": contract} if contract else {}),
        **({"number": number} if number else {}),
    )
    if items is None:
        category = factories.CategoryFactory()
        items = Item.objects.bulk_create(
            Item(
                sku=f"{order.number}-{n:05d}",
                name=f"Item {n} for {order.number}",
                category=category,
                unit=Item.Unit.EACH,
                kind=Item.Kind.CONSUMABLE,
                vat_rate=VAT_RATES[n % len(VAT_RATES)],
            )
            for n in range(lines)
        )
    shares = {
        trust.pk: OrderShare.objects.create(
            order=order, trust=trust, reference=f"{order.number}/{trust.code}"
        )
        for trust in trusts
    }
    requisitions = {
        trust.pk: factories.RequisitionFactory(
            trust=trust,
            requester=quick_user(trust=trust, is_requisitioner=True),
            site=trust.sites.order_by("code").first(),
            cost_centre=trust.cost_centres.order_by("code").first(),
            status=Requisition.Status.ORDERED,
            number=f"{trust.code}-R-{order.number}",
        )
        for trust in trusts
    }
    sites = {trust.pk: list(trust.sites.order_by("code")) for trust in trusts}
    centres = {trust.pk: list(trust.cost_centres.order_by("code")) for trust in trusts}

    order_lines = []
    plan = []
    for n in range(lines):
        item = items[n % len(items)]
        pooled = Decimal(rng.randint(10_000, 900_000)) / 10_000
        standalone = pooled + Decimal(rng.randint(0, 50_000)) / 10_000
        quantities = [
            rng.randint(1, 500) if not one_trust_per_line or t == n % len(trusts) else 0
            for t in range(len(trusts))
        ]
        order_lines.append(
            OrderLine(
                order=order,
                item=item,
                supplier_code=f"SUP-{n:05d}",
                quantity=sum(quantities),
                unit_price=pooled,
                tier_min_quantity=rng.choice([1, 100, 500]),
            )
        )
        plan.append((item, pooled, standalone, quantities))
    OrderLine.objects.bulk_create(order_lines)

    requisition_lines = [
        RequisitionLine(
            requisition=requisitions[trust.pk], item=item, quantity=quantity
        )
        for item, _pooled, _standalone, quantities in plan
        for trust, quantity in zip(trusts, quantities, strict=True)
        if quantity
    ]
    RequisitionLine.objects.bulk_create(requisition_lines)

    allocations = []
    line_sums = defaultdict(lambda: [Decimal(0)] * 4)
    share_sums = defaultdict(lambda: [Decimal(0)] * 4)
    position = 0
    for n, (item, pooled, standalone, quantities) in enumerate(plan):
        for t, (trust, quantity) in enumerate(zip(trusts, quantities, strict=True)):
            if not quantity:
                continue
            net = to_pennies(quantity * pooled)
            vat = to_pennies(net * item.vat_rate)
            standalone_net = to_pennies(quantity * standalone)
            savings = standalone_net - net
            allocations.append(
                Allocation(
                    order_line=order_lines[n],
                    share=shares[trust.pk],
                    requisition_line=requisition_lines[position],
                    trust=trust,
                    site=sites[trust.pk][(n + t) % len(sites[trust.pk])],
                    cost_centre=centres[trust.pk][n % len(centres[trust.pk])],
                    quantity=quantity,
                    unit_price=pooled,
                    standalone_unit_price=standalone,
                    net=net,
                    vat=vat,
                    standalone_net=standalone_net,
                    savings=savings,
                )
            )
            position += 1
            for sums in (line_sums[n], share_sums[trust.pk]):
                for i, value in enumerate((net, vat, standalone_net, savings)):
                    sums[i] += value
    Allocation.objects.bulk_create(allocations, batch_size=5000)

    for n, order_line in enumerate(order_lines):
        (
            order_line.net,
            order_line.vat,
            order_line.standalone_net,
            order_line.savings,
        ) = line_sums[n]
    OrderLine.objects.bulk_update(
        order_lines, ["net", "vat", "standalone_net", "savings"], batch_size=5000
    )
    totals = [Decimal(0)] * 4
    for trust_id, share in shares.items():
        share.net, share.vat, share.standalone_net, share.savings = share_sums[trust_id]
        share.save(update_fields=["net", "vat", "standalone_net", "savings"])
        totals = [a + b for a, b in zip(totals, share_sums[trust_id], strict=True)]
    order.net, order.vat, order.standalone_net, order.savings = totals
    order.save(update_fields=["net", "vat", "standalone_net", "savings"])
    return order
