"""Monthly savings figures vs an independent sum over allocations (DESIGN §6)."""

import datetime
import zoneinfo
from collections import defaultdict
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import Allocation, JointPurchaseOrder
from reports import selectors
from tests import factories
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = pytest.mark.django_db

LONDON = zoneinfo.ZoneInfo("Europe/London")
MARCH = datetime.date(2026, 3, 1)


def _at(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=LONDON)


@pytest.fixture
def trusts():
    return build_trusts()


@pytest.fixture
def month_of_orders(trusts):
    """Orders in, before and after March 2026, some cancelled or draft."""
    categories = [factories.CategoryFactory(name=f"Cat {n}") for n in range(3)]
    items = [
        factories.ItemFactory(category=categories[n % 3], sku=f"SKU-{n:03d}")
        for n in range(12)
    ]
    build_order(trusts=trusts, lines=6, items=items, issued_at=_at(2026, 3, 1), seed=1)
    build_order(
        trusts=trusts, lines=9, items=items, issued_at=_at(2026, 3, 31, 23, 59), seed=2
    )
    build_order(
        trusts=trusts[:2],
        lines=4,
        items=items[3:],
        issued_at=_at(2026, 3, 15, 12),
        seed=3,
    )
    build_order(trusts=trusts, lines=5, items=items, issued_at=_at(2026, 4, 1), seed=4)
    build_order(
        trusts=trusts, lines=5, items=items, issued_at=_at(2026, 2, 28, 23, 59), seed=5
    )
    build_order(
        trusts=trusts,
        lines=3,
        items=items,
        issued_at=_at(2026, 3, 10),
        status=JointPurchaseOrder.Status.CANCELLED,
        seed=6,
    )
    build_order(
        trusts=trusts,
        lines=3,
        items=items,
        status=JointPurchaseOrder.Status.DRAFT,
        seed=7,
    )


def _expected(month: datetime.date, trust=None):
    """Sum the allocations of the month in Python, independently of the SQL."""
    totals = [Decimal(0)] * 3
    by_category = defaultdict(lambda: [Decimal(0)] * 3)
    by_supplier = defaultdict(lambda: [Decimal(0)] * 3)
    by_item = defaultdict(lambda: [Decimal(0)] * 3)
    allocations = Allocation.objects.select_related(
        "order_line__order__supplier", "order_line__item__category"
    )
    for allocation in allocations:
        order = allocation.order_line.order
        if order.issued_at is None or order.status in ("cancelled", "draft"):
            continue
        local = timezone.localtime(order.issued_at, LONDON).date()
        if (local.year, local.month) != (month.year, month.month):
            continue
        if trust is not None and allocation.trust_id != trust.pk:
            continue
        figures = (allocation.net, allocation.standalone_net, allocation.savings)
        for bucket in (
            totals,
            by_category[allocation.order_line.item.category.name],
            by_supplier[order.supplier.name],
            by_item[allocation.order_line.item.sku],
        ):
            for n, value in enumerate(figures):
                bucket[n] += value
    return totals, by_category, by_supplier, by_item


def _figures(row):
    return [row.pooled_spend, row.standalone_spend, row.savings]


@pytest.mark.usefixtures("month_of_orders")
@pytest.mark.parametrize("scope", [None, "WMAS", "SWASFT"])
def test_summary_reconciles_to_the_penny_with_allocations(scope):
    """Totals and breakdowns equal sums of the month's allocations, to the penny."""
    trust = factories.TrustFactory(code=scope) if scope else None
    summary = selectors.savings_summary(month=MARCH, trust=trust)
    totals, by_category, by_supplier, by_item = _expected(MARCH, trust)
    assert _figures(summary.totals) == totals
    assert totals[0] > 0
    assert {row.label: _figures(row) for row in summary.by_category} == by_category
    assert {row.label: _figures(row) for row in summary.by_supplier} == by_supplier
    top = sorted(by_item.items(), key=lambda entry: (-entry[1][2], entry[0]))[:10]
    assert [(row.code, _figures(row)) for row in summary.top_items] == top
    assert summary.totals.savings == (
        summary.totals.standalone_spend - summary.totals.pooled_spend
    )


@pytest.mark.usefixtures("month_of_orders")
def test_alliance_totals_are_the_sum_of_the_trusts():
    """The alliance figures are the trusts' figures added up."""
    summary = selectors.savings_summary(month=MARCH)
    assert len(summary.by_trust) == 3
    for n in range(3):
        assert (
            sum(_figures(row)[n] for row in summary.by_trust)
            == _figures(summary.totals)[n]
        )


@pytest.mark.usefixtures("month_of_orders")
def test_history_covers_twelve_months_oldest_first():
    """The chart's history has the twelve months up to the report's month."""
    history = selectors.savings_history(month=datetime.date(2026, 4, 1))
    assert len(history) == 12
    assert history[0].month == datetime.date(2025, 5, 1)
    assert history[-1].month == datetime.date(2026, 4, 1)
    march = next(e for e in history if e.month == MARCH)
    assert _figures(march.figures) == _expected(MARCH)[0]
    assert history[0].figures.pooled_spend == 0


@pytest.mark.parametrize(
    ("issued_at", "month"),
    [
        # 23:30 UTC on 31 March is 00:30 BST on 1 April: April's.
        (datetime.datetime(2026, 3, 31, 23, 30, tzinfo=datetime.UTC), (2026, 4)),
        # 22:59 UTC on 31 March is 23:59 BST: still March.
        (datetime.datetime(2026, 3, 31, 22, 59, tzinfo=datetime.UTC), (2026, 3)),
        # 00:30 UTC on 1 March is 00:30 GMT: March, not February.
        (datetime.datetime(2026, 3, 1, 0, 30, tzinfo=datetime.UTC), (2026, 3)),
        # 23:30 UTC on 31 October is 23:30 GMT (clocks went back on the 25th).
        (datetime.datetime(2026, 10, 31, 23, 30, tzinfo=datetime.UTC), (2026, 10)),
        # 23:30 UTC on 30 September is 00:30 BST on 1 October.
        (datetime.datetime(2026, 9, 30, 23, 30, tzinfo=datetime.UTC), (2026, 10)),
    ],
)
def test_month_is_counted_by_the_london_date(trusts, issued_at, month):
    """An order counts in the month of its issue date in Europe/London."""
    build_order(trusts=trusts, lines=1, issued_at=issued_at)
    counted = datetime.date(*month, 1)
    other = selectors.month_add(counted, -1 if issued_at.day < 15 else 1)
    assert selectors.savings_totals(month=counted).pooled_spend > 0
    assert selectors.savings_totals(month=other).pooled_spend == 0


def test_month_bounds_follow_summer_time():
    """A summer month starts at 23:00 UTC the day before; a winter one at 00:00."""
    start, end = selectors.month_bounds(datetime.date(2026, 4, 1))
    assert start.astimezone(datetime.UTC) == datetime.datetime(
        2026, 3, 31, 23, tzinfo=datetime.UTC
    )
    assert end.astimezone(datetime.UTC) == datetime.datetime(
        2026, 4, 30, 23, tzinfo=datetime.UTC
    )
    start, _ = selectors.month_bounds(datetime.date(2026, 3, 1))
    assert start.astimezone(datetime.UTC) == datetime.datetime(
        2026, 3, 1, tzinfo=datetime.UTC
    )


@pytest.mark.parametrize(
    ("savings", "standalone", "percent"),
    [
        ("0.00", "0.00", "0.0"),
        ("10.00", "0.00", "0.0"),
        ("1.00", "3.00", "33.3"),
        ("2.00", "3.00", "66.7"),
        ("0.05", "100.00", "0.1"),  # 0.05% rounds half up
        ("0.04", "100.00", "0.0"),
    ],
)
def test_savings_percent_is_rounded_to_one_place(savings, standalone, percent):
    """Savings % is savings over standalone spend, 1 place half up; 0 if none."""
    figures = selectors.SavingsFigures(
        savings=Decimal(savings), standalone_spend=Decimal(standalone)
    )
    assert figures.savings_percent == Decimal(percent)


def test_an_empty_month_is_all_zero(trusts):
    """A month with no issued orders reports zeros, not errors."""
    summary = selectors.savings_summary(month=MARCH)
    assert _figures(summary.totals) == [0, 0, 0]
    assert summary.totals.savings_percent == 0
    assert summary.by_category == []
