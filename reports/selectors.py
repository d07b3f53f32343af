"""Savings figures and who may see which (DESIGN §6, §7).

A month counts the orders issued in it, by the date in Europe/London; draft
(never issued) and cancelled orders, and cancelled allocations, count for
nothing. Every figure is a SQL sum of the allocations' stored, rounded
amounts (DESIGN §5), so the report reconciles to the penny.
"""

import datetime
import zoneinfo
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, Max, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import Http404

from orders.models import Allocation, JointPurchaseOrder
from reports.models import SavingsDocument
from trusts import selectors as trust_selectors
from trusts.models import Role, Trust

ZERO = Decimal("0.00")
PERCENT_PLACES = Decimal("0.1")
TOP_ITEMS = 10
HISTORY_MONTHS = 12
ALLIANCE = "alliance"


def _zone() -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def month_start(day: datetime.date) -> datetime.date:
    """The first day of ``day``'s month."""
    return day.replace(day=1)


def month_add(month: datetime.date, months: int) -> datetime.date:
    """The first day of the month ``months`` after (or before) ``month``."""
    index = month.year * 12 + month.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def month_bounds(month: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The instants a month starts and ends in Europe/London (end excluded).

    Midnight local time, so a month that starts in summer time starts at
    23:00 UTC the day before.
    """
    zone = _zone()
    start = datetime.datetime.combine(month_start(month), datetime.time(), zone)
    end = datetime.datetime.combine(month_add(month, 1), datetime.time(), zone)
    return start, end


@dataclass(frozen=True)
class SavingsFigures:
    """Pooled and standalone spend (net) and their difference, the savings."""

    pooled_spend: Decimal = ZERO
    standalone_spend: Decimal = ZERO
    savings: Decimal = ZERO
    label: str = ""
    code: str = ""

    @property
    def savings_percent(self) -> Decimal:
        """Savings as a percentage of standalone spend, to 1 place; 0 if none."""
        if not self.standalone_spend:
            return Decimal("0.0")
        return (self.savings * 100 / self.standalone_spend).quantize(
            PERCENT_PLACES, rounding=ROUND_HALF_UP
        )


@dataclass(frozen=True)
class MonthFigures:
    month: datetime.date
    figures: SavingsFigures


@dataclass
class SavingsSummary:
    """One month's savings, for one trust or (``trust`` None) the alliance."""

    month: datetime.date
    trust: Trust | None
    totals: SavingsFigures
    by_trust: list[SavingsFigures] = field(default_factory=list)
    by_category: list[SavingsFigures] = field(default_factory=list)
    by_supplier: list[SavingsFigures] = field(default_factory=list)
    top_items: list[SavingsFigures] = field(default_factory=list)
    history: list[MonthFigures] = field(default_factory=list)

    @property
    def scope_name(self) -> str:
        return self.trust.name if self.trust else "Alliance-wide"

    @property
    def scope_code(self) -> str:
        return self.trust.code if self.trust else ALLIANCE


def counted_allocations(
    *, start: datetime.datetime, end: datetime.datetime, trust: Trust | None = None
) -> QuerySet[Allocation]:
    """Allocations that count for savings on orders issued in ``[start, end)``."""
    allocations = Allocation.objects.filter(
        is_cancelled=False,
        order_line__order__issued_at__isnull=False,
        order_line__order__issued_at__gte=start,
        order_line__order__issued_at__lt=end,
    ).exclude(
        order_line__order__status__in=[
            JointPurchaseOrder.Status.CANCELLED,
            JointPurchaseOrder.Status.DRAFT,
        ]
    )
    if trust is not None:
        allocations = allocations.filter(trust=trust)
    return allocations


def savings_state() -> tuple:
    """What every savings figure depends on that can change, in one query.

    A figure sums the allocations of orders issued and not cancelled, and an
    allocation's money never changes once committed. An order is issued once
    (``issued_at`` stays when it is later cancelled) and cancelled once, and
    cancelling it is the only way its allocations stop counting. So the
    number of orders ever issued, the number cancelled and the newest order
    change whenever any figure can: a kept figure read under the same state
    is still right. The latest issue and cancellation times tell a database
    restored from an older backup apart too. One pass over the orders table
    (a few thousand rows a year, not the allocations).
    """
    state = JointPurchaseOrder.objects.aggregate(
        issued=Count("issued_at"),
        cancelled=Count("pk", filter=Q(status=JointPurchaseOrder.Status.CANCELLED)),
        newest=Max("pk"),
        last_issued=Max("issued_at"),
        last_cancelled=Max("cancelled_at"),
    )
    return tuple(
        value.isoformat() if isinstance(value, datetime.datetime) else value
        for value in state.values()
    )


_SUMS = {
    "pooled_spend": Coalesce(Sum("net"), ZERO),
    "standalone_spend": Coalesce(Sum("standalone_net"), ZERO),
    "savings": Coalesce(Sum("savings"), ZERO),
}


def _grouped(allocations, *, label: str, code: str, order_by) -> list[SavingsFigures]:
    rows = (
        allocations.values(label_value=F(label), code_value=F(code))
        .annotate(**_SUMS)
        .order_by(*order_by)
    )
    return [
        SavingsFigures(
            pooled_spend=row["pooled_spend"],
            standalone_spend=row["standalone_spend"],
            savings=row["savings"],
            label=row["label_value"],
            code=str(row["code_value"]),
        )
        for row in rows
    ]


def savings_totals(
    *, month: datetime.date, trust: Trust | None = None
) -> SavingsFigures:
    """One month's pooled spend, standalone spend and savings."""
    start, end = month_bounds(month)
    sums = counted_allocations(start=start, end=end, trust=trust).aggregate(**_SUMS)
    return SavingsFigures(**sums)


def savings_history(
    *, month: datetime.date, trust: Trust | None = None, months: int = HISTORY_MONTHS
) -> list[MonthFigures]:
    """The ``months`` months up to and including ``month``, oldest first."""
    first = month_add(month, -(months - 1))
    start, _ = month_bounds(first)
    _, end = month_bounds(month)
    rows = (
        counted_allocations(start=start, end=end, trust=trust)
        .annotate(
            issued_month=TruncMonth("order_line__order__issued_at", tzinfo=_zone())
        )
        .values("issued_month")
        .annotate(**_SUMS)
        .order_by("issued_month")
    )
    found = {
        row["issued_month"].date(): SavingsFigures(
            pooled_spend=row["pooled_spend"],
            standalone_spend=row["standalone_spend"],
            savings=row["savings"],
        )
        for row in rows
    }
    return [
        MonthFigures(
            month=month_add(first, n),
            figures=found.get(month_add(first, n), SavingsFigures()),
        )
        for n in range(months)
    ]


def savings_summary(
    *,
    month: datetime.date,
    trust: Trust | None = None,
    breakdowns: bool = True,
    history: bool = True,
) -> SavingsSummary:
    """A month's savings for a trust, or for the alliance when ``trust`` is None.

    Totals, then by trust (alliance only: each trust's totals), by category,
    by supplier, the ten items that saved most, and the last twelve months.
    Six queries, whatever the number of allocations. A caller that shows no
    breakdown (category, supplier, items) or no history asks for it to be
    left out (``breakdowns=False``, ``history=False``): the history sums a
    year of allocations, more than the month's figures together.
    """
    month = month_start(month)
    start, end = month_bounds(month)
    allocations = counted_allocations(start=start, end=end, trust=trust)
    summary = SavingsSummary(
        month=month,
        trust=trust,
        totals=SavingsFigures(**allocations.aggregate(**_SUMS)),
    )
    if trust is None:
        summary.by_trust = _grouped(
            allocations,
            label="trust__name",
            code="trust__code",
            order_by=["code_value"],
        )
    if breakdowns:
        summary.by_category = _grouped(
            allocations,
            label="order_line__item__category__name",
            code="order_line__item__category_id",
            order_by=["-savings", "label_value"],
        )
        summary.by_supplier = _grouped(
            allocations,
            label="order_line__order__supplier__name",
            code="order_line__order__supplier_id",
            order_by=["-savings", "label_value"],
        )
        summary.top_items = _grouped(
            allocations,
            label="order_line__item__name",
            code="order_line__item__sku",
            order_by=["-savings", "code_value"],
        )[:TOP_ITEMS]
    if history:
        summary.history = savings_history(month=month, trust=trust)
    return summary


# --- Who sees what (DESIGN §7) ----------------------------------------------


def savings_scopes_visible_to(user) -> list[Trust | None]:
    """The summaries a user may read: ``None`` stands for the alliance's.

    Buyers: the alliance's and every active trust's. Finance: the alliance's
    and their own trust's. Anyone else: ``PermissionDenied``.
    """
    if trust_selectors.user_has_role(user, Role.BUYER):
        return [None, *Trust.objects.active().order_by("code")]
    if trust_selectors.user_has_role(user, Role.FINANCE):
        own = trust_selectors.user_trust(user)
        return [None, own] if own else [None]
    raise PermissionDenied


def savings_scope_get(user, code: str) -> Trust | None:
    """The scope a code names, if the user may read it: else 404 (or 403).

    ``alliance`` is the alliance-wide summary; another trust's code is a 404.
    """
    for scope in savings_scopes_visible_to(user):
        if (scope.code if scope else ALLIANCE) == code:
            return scope
    raise Http404


def savings_documents_visible_to(user) -> QuerySet[SavingsDocument]:
    """The savings files a user may see, newest month first."""
    scopes = savings_scopes_visible_to(user)
    trust_ids = [scope.pk for scope in scopes if scope is not None]
    documents = SavingsDocument.objects.select_related("trust")
    if trust_selectors.user_has_role(user, Role.BUYER):
        return documents
    return documents.filter(trust__isnull=True) | documents.filter(
        trust_id__in=trust_ids
    )


def savings_document_get(
    user, *, month: datetime.date, code: str, file_format: str
) -> SavingsDocument:
    """One savings file the user may download, or 404."""
    scope = savings_scope_get(user, code)
    document = (
        SavingsDocument.objects.select_related("trust")
        .filter(month=month_start(month), trust=scope, format=file_format)
        .first()
    )
    if document is None:
        raise Http404
    return document


def savings_months_list(*, today: datetime.date, months: int = HISTORY_MONTHS):
    """The months a person can build or read: the last ``months`` complete
    months, newest first."""
    latest = month_add(month_start(today), -1)
    return [month_add(latest, -n) for n in range(months)]
