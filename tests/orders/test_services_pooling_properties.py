"""Committed money adds up to the penny for any tiers, trusts and quantities."""

from decimal import Decimal

import pytest
from django.db.models import Count, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orders.models import (
    Allocation,
    JointPurchaseOrder,
    OrderLine,
    OrderShare,
    Requisition,
)
from orders.selectors import pooling as selectors
from orders.services import pooling as services
from tests.factories import (
    ApprovedRequisitionLineFactory,
    ContractFactory,
    ItemFactory,
    PoolingRoundFactory,
    TrustFactory,
    UserFactory,
    contract_item_with_tiers,
)

pytestmark = pytest.mark.django_db

FIELDS = ("net", "vat", "standalone_net", "savings")


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@st.composite
def tiers(draw):
    breaks = sorted(draw(st.sets(st.integers(2, 400), max_size=3)))
    price = draw(
        st.decimals(min_value=Decimal("0.0001"), max_value=Decimal("99"), places=4)
    )
    result = [(1, price)]
    for minimum in breaks:
        price -= draw(st.decimals(min_value=0, max_value=price, places=4))
        result.append((minimum, price))
    return result


scenario = st.fixed_dictionaries(
    {
        "trusts": st.integers(1, 4),
        "contracts": st.lists(
            st.tuples(tiers(), st.sets(st.integers(0, 3), min_size=1)),
            min_size=1,
            max_size=3,
        ),
        "lines": st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 1), st.integers(1, 300)),
            min_size=1,
            max_size=12,
        ),
        "vat": st.sampled_from(["0.20", "0.05", "0.00"]),
    }
)


def _sums(queryset):
    return queryset.aggregate(**{field: Sum(field) for field in FIELDS})


def _figures(obj):
    return {field: getattr(obj, field) for field in FIELDS}


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=scenario)
def test_committed_orders_add_up_to_the_penny(data, db):
    """Allocations add to order lines and shares, lines and shares to orders;
    savings are never negative; each line is pooled at most once; the preview
    shows what the commit stores."""
    # Examples share one test transaction: retire what earlier ones left.
    Requisition.objects.filter(status="approved").update(status="cancelled")
    buyer = UserFactory(membership__is_buyer=True)
    trusts = [TrustFactory() for _ in range(data["trusts"])]
    items = [ItemFactory(vat_rate=Decimal(data["vat"])) for _ in range(2)]
    for tier_list, trust_indexes in data["contracts"]:
        contract = ContractFactory(
            trusts=[trusts[i % len(trusts)] for i in trust_indexes]
        )
        for item in items:
            contract_item_with_tiers(tiers=tier_list, item=item, contract=contract)
    for trust_index, item_index, quantity in data["lines"]:
        ApprovedRequisitionLineFactory(
            requisition__trust=trusts[trust_index % len(trusts)],
            item=items[item_index],
            quantity=quantity,
        )
    pooling_round = PoolingRoundFactory(cut_off=timezone.now())
    preview = selectors.pooling_round_preview(pooling_round=pooling_round)
    if not preview.groups:
        return
    orders = services.pooling_round_commit(round_id=pooling_round.pk, buyer=buyer)
    order_ids = [order.pk for order in orders]
    allocations = Allocation.objects.filter(order_line__order__in=order_ids)

    assert allocations.count() == preview.line_count
    for line in OrderLine.objects.filter(order__in=order_ids):
        assert _sums(line.allocations) == _figures(line)
        assert line.allocations.aggregate(q=Sum("quantity"))["q"] == line.quantity
    for share in OrderShare.objects.filter(order__in=order_ids):
        assert _sums(share.allocations) == _figures(share)
    for order in JointPurchaseOrder.objects.filter(pk__in=order_ids):
        assert _sums(order.lines) == _figures(order)
        assert _sums(order.shares) == _figures(order)
    assert not allocations.filter(savings__lt=0).exists()
    assert not (
        Allocation.objects.filter(is_cancelled=False)
        .values("requisition_line")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )
    assert sum(order.net for order in orders) == preview.money.net
    assert sum(order.savings for order in orders) == preview.money.savings
