"""What each role has to do next, for the home page (DESIGN §1, §7).

One function per role panel. Each reads only what that role may see, through
the selectors that own visibility, in a fixed number of queries whatever the
number of rows: lists are cut to ``PANEL_ROWS`` and counted in SQL.

The savings figures are kept in the cache under the orders' state
(``savings_history_kept``, ``savings_summary_kept``): the home pages' charts,
the month's savings page and the savings API share them.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.cache import cache
from django.db import connections
from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from orders.models import JointPurchaseOrder, PoolingRound, Requisition
from orders.selectors import pooling as pooling_selectors
from orders.selectors import purchase_orders as order_selectors
from orders.selectors import requisitions as requisition_selectors
from reports import documents, selectors
from suppliers import selectors as supplier_selectors
from suppliers.models import Contract
from trusts import selectors as trust_selectors
from trusts.models import Trust

PANEL_ROWS = 10
CEILING_WARNING = Decimal("0.80")
END_WARNING_DAYS = 60
EXPIRY_DAYS = 90
ZERO = Decimal("0.00")
# The savings charts' figures are kept in the cache under the orders' state
# (``selectors.savings_state``), so an order issued or cancelled shows at once;
# this bounds how long a renamed category keeps its old name on the chart.
SAVINGS_KEPT_SECONDS = 10 * 60


# --- Requisitioner -----------------------------------------------------------


def requisitioner_panel(user) -> dict:
    """The user's own drafts and their latest submitted requisitions."""
    own = requisition_selectors.requisitions_visible_to(user).filter(requester=user)
    drafts = own.filter(status=Requisition.Status.DRAFT).order_by("-created_at", "-pk")
    return {
        "drafts": list(drafts.select_related("site")[:PANEL_ROWS]),
        "recent": list(
            own.exclude(status=Requisition.Status.DRAFT)
            .select_related("site")
            .order_by("-submitted_at", "-pk")[:PANEL_ROWS]
        ),
    }


# --- Approver ----------------------------------------------------------------


def approver_panel(user) -> dict:
    """The approval queue: its oldest entries, count, total and how many of
    them exceed the approver's limit (DESIGN §4)."""
    membership = trust_selectors.membership_get(user)
    limit = membership.approval_limit if membership else ZERO
    queue = requisition_selectors.approval_queue(user=user)
    figures = queue.aggregate(
        count=Count("pk"),
        total=Coalesce(Sum("estimated_total"), ZERO),
        over_limit=Count("pk", filter=Q(estimated_total__gt=limit)),
    )
    return {
        "queue": list(queue[:PANEL_ROWS]),
        "limit": limit,
        **figures,
    }


# --- Buyer -------------------------------------------------------------------


def waiting_lines(user) -> dict:
    """Approved, unpooled lines: how many, of how many items, and the
    ``PANEL_ROWS`` items with the most lines, each summed with how many
    trusts ask for it.

    The contract is chosen when a round is previewed (DESIGN §5), so the lines
    are grouped by item. The whole list is the approved lines page: a year of
    the alliance can leave thousands of items waiting.

    One pass over the lines: the per-item groups are counted and their lines
    summed over all groups (``OVER ()``) in the query that keeps the first
    ten, instead of a second query reading every waiting line again.
    """
    grouped = (
        requisition_selectors.approved_lines_list(user=user)
        .order_by()
        .values("item__sku", "item__name", "item__unit")
        .annotate(
            quantity=Sum("quantity"),
            line_count=Count("pk"),
            trust_count=Count("requisition__trust", distinct=True),
        )
    )
    names = [*grouped.query.values_select, *grouped.query.annotation_select]
    sql, params = grouped.query.sql_with_params()
    with connections[grouped.db].cursor() as cursor:
        cursor.execute(
            f"SELECT grouped.*, count(*) OVER (), sum(grouped.line_count) OVER () "  # noqa: S608 -- the ORM's own statement  # nosec B608
            f"FROM ({sql}) grouped "
            f"ORDER BY grouped.line_count DESC, 1 LIMIT %s",
            (*params, PANEL_ROWS),
        )
        rows = cursor.fetchall()
    width = len(names)
    return {
        "line_count": int(rows[0][width + 1]) if rows else 0,
        "item_count": rows[0][width] if rows else 0,
        "items": [dict(zip(names, row[:width], strict=True)) for row in rows],
    }


def contracts_needing_attention(*, today: datetime.date) -> list[Contract]:
    """Active contracts at least 80% committed or ending within 60 days."""
    return list(
        supplier_selectors.contracts_list()
        .filter(status=Contract.Status.ACTIVE)
        .filter(
            Q(committed_value__gte=F("value_ceiling") * CEILING_WARNING)
            | Q(end_date__lte=today + datetime.timedelta(days=END_WARNING_DAYS))
        )
        .order_by("end_date", "reference")[:PANEL_ROWS]
    )


def buyer_panel(user, *, today: datetime.date) -> dict:
    """Lines waiting for a round, open rounds, draft orders, contracts to watch,
    and the alliance's savings."""
    draft_orders = order_selectors.joint_orders_visible_to(user).filter(
        status=JointPurchaseOrder.Status.DRAFT
    )
    return {
        "waiting": waiting_lines(user),
        "open_rounds": list(
            pooling_selectors.pooling_rounds_list()
            .filter(status=PoolingRound.Status.OPEN)
            .order_by("cut_off", "pk")[:PANEL_ROWS]
        ),
        "draft_orders": list(
            draft_orders.select_related("supplier", "contract").order_by("number")[
                :PANEL_ROWS
            ]
        ),
        "draft_order_count": draft_orders.count(),
        "contracts": contracts_needing_attention(today=today),
        "savings": savings_overview(trust=None, today=today, chart_id="buyer"),
    }


# --- Finance -----------------------------------------------------------------


def finance_panel(user, *, today: datetime.date) -> dict:
    """This month's savings so far for the trust and the alliance, last month's
    files, and the trust's last twelve months."""
    trust = trust_selectors.user_trust(user)
    this_month = selectors.month_start(today)
    last_month = selectors.month_add(this_month, -1)
    files = (
        selectors.savings_documents_visible_to(user)
        .filter(month=last_month)
        .order_by("trust__code", "format")
    )
    savings = savings_overview(trust=trust, today=today, chart_id="finance")
    return {
        "trust": trust,
        "month": this_month,
        "last_month": last_month,
        # The last month of the trust's history is this month so far.
        "trust_totals": savings.history[-1].figures,
        "alliance_totals": selectors.savings_totals(month=this_month),
        "files": [
            {"document": document, "code": document.trust.code}
            if document.trust_id
            else {"document": document, "code": selectors.ALLIANCE}
            for document in files
        ],
        "savings": savings,
    }


# --- Contract manager --------------------------------------------------------


def contract_manager_panel(*, today: datetime.date) -> dict:
    """Active contracts ending within 90 days and the latest imports."""
    return {
        "expiring": list(
            Contract.objects.select_related("supplier")
            .filter(
                status=Contract.Status.ACTIVE,
                end_date__gte=today,
                end_date__lte=today + datetime.timedelta(days=EXPIRY_DAYS),
            )
            .order_by("end_date", "reference")[:PANEL_ROWS]
        ),
        "imports": list(supplier_selectors.import_batches_list()[:5]),
    }


# --- Savings charts ----------------------------------------------------------


@dataclass
class SavingsOverview:
    """Twelve months of savings for a scope, as figures and as charts."""

    trust: Trust | None
    history: list[selectors.MonthFigures]
    by_category: list[selectors.SavingsFigures]
    month_chart: SafeString
    category_chart: SafeString


def savings_by_category(
    *, first: datetime.date, last: datetime.date, trust: Trust | None
) -> list[selectors.SavingsFigures]:
    """Savings per category over the months ``first`` to ``last``."""
    start, _ = selectors.month_bounds(first)
    _, end = selectors.month_bounds(last)
    rows = (
        selectors.counted_allocations(start=start, end=end, trust=trust)
        .values(label=F("order_line__item__category__name"))
        .annotate(
            pooled_spend=Coalesce(Sum("net"), ZERO),
            standalone_spend=Coalesce(Sum("standalone_net"), ZERO),
            savings=Coalesce(Sum("savings"), ZERO),
        )
        .order_by("-savings", "label")
    )
    return [
        selectors.SavingsFigures(
            pooled_spend=row["pooled_spend"],
            standalone_spend=row["standalone_spend"],
            savings=row["savings"],
            label=row["label"],
        )
        for row in rows
    ]


def _kept(what: str, *, trust: Trust | None, month: datetime.date, state, compute):
    """``compute()``, kept in the cache per scope and month under ``state``
    (``selectors.savings_state()``) for at most ``SAVINGS_KEPT_SECONDS``."""
    key = "reports:{}:{}:{}:{}".format(
        what,
        trust.pk if trust is not None else selectors.ALLIANCE,
        month.isoformat(),
        ":".join(map(str, state)),
    )
    kept = cache.get(key)
    if kept is None:
        kept = compute()
        cache.set(key, kept, SAVINGS_KEPT_SECONDS)
    return kept


def savings_history_kept(
    *, trust: Trust | None, month: datetime.date, state: tuple | None = None
) -> list[selectors.MonthFigures]:
    """``selectors.savings_history`` of the twelve months up to ``month``
    (its first day), kept in the cache per scope and month under the orders'
    state: the home pages and the month's savings page share it. One query
    (the state, unless given) when kept, two when not."""
    return _kept(
        "savings-history",
        trust=trust,
        month=month,
        state=selectors.savings_state() if state is None else state,
        compute=lambda: selectors.savings_history(month=month, trust=trust),
    )


def savings_summary_kept(
    *,
    trust: Trust | None,
    month: datetime.date,
    breakdowns: bool = True,
    state: tuple | None = None,
) -> selectors.SavingsSummary:
    """``selectors.savings_summary`` of a month without its history, kept
    in the cache per scope and month under the orders' state, as the charts
    are: the month's savings page and the savings API read a month's figures
    again only when an order was issued or cancelled since. One query (the
    state, unless given) when kept; the month's sums when not."""
    return _kept(
        "savings-summary" if breakdowns else "savings-totals",
        trust=trust,
        month=month,
        state=selectors.savings_state() if state is None else state,
        compute=lambda: selectors.savings_summary(
            month=month, trust=trust, breakdowns=breakdowns, history=False
        ),
    )


def savings_figures(
    *, trust: Trust | None, month: datetime.date
) -> tuple[list[selectors.MonthFigures], list[selectors.SavingsFigures]]:
    """Savings of the twelve months up to ``month``: per month and per category.

    Both sum a year of allocations (a third of a second at a million lines a
    year), and every buyer and finance home page shows them: they are kept
    in the cache per scope and month under the orders' state, so one query
    over the orders tells whether the kept figures still stand. Two more
    queries when they do not.
    """
    state = selectors.savings_state()
    history = savings_history_kept(trust=trust, month=month, state=state)
    by_category = _kept(
        "savings-by-category",
        trust=trust,
        month=month,
        state=state,
        compute=lambda: savings_by_category(
            first=history[0].month, last=month, trust=trust
        ),
    )
    return history, by_category


def savings_overview(
    *, trust: Trust | None, today: datetime.date, chart_id: str
) -> SavingsOverview:
    """The last twelve months (this one included) by month and by category.

    The figures come from ``savings_figures``. The month chart is the
    savings report's own; ``chart_id`` keeps the ids of its title and
    description unique on the page.
    """
    month = selectors.month_start(today)
    history, by_category = savings_figures(trust=trust, month=month)
    summary = selectors.SavingsSummary(
        month=month,
        trust=trust,
        totals=selectors.SavingsFigures(),
        history=history,
    )
    month_chart = documents.savings_chart_svg(summary)
    # The report's chart names its title and description with fixed ids;
    # prefix them so that two charts on one page never share an id.
    month_chart = mark_safe(  # noqa: S308  # nosec B308 B703
        month_chart.replace('"chart-title', f'"{chart_id}-month-title')
        .replace('"chart-desc', f'"{chart_id}-month-desc')
        .replace(" chart-desc", f" {chart_id}-month-desc")
    )
    return SavingsOverview(
        trust=trust,
        history=history,
        by_category=by_category,
        month_chart=month_chart,
        category_chart=category_chart_svg(by_category, chart_id=chart_id),
    )


def category_chart_svg(
    rows: list[selectors.SavingsFigures], *, chart_id: str
) -> SafeString:
    """Horizontal bars of savings per category, titled and described.

    The report's chart draws months only; categories need a bar per name,
    so they get this small one, in the same plain-SVG style (no script, no
    style attribute).
    """
    width, row_h, label_w, value_w = 720, 28, 220, 110
    height = max(len(rows), 1) * row_h + 10
    peak = max((row.savings for row in rows), default=ZERO) or Decimal(1)
    plot_w = width - label_w - value_w
    title_id, desc_id = f"{chart_id}-category-title", f"{chart_id}-category-desc"
    description = "; ".join(
        f"{row.label}: savings {documents.money(row.savings)}" for row in rows
    )
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="{title_id} {desc_id}" class="app-chart">',
        f'<title id="{title_id}">Savings by category, last 12 months</title>',
        f'<desc id="{desc_id}">'
        + escape(description or "No savings in the last 12 months.")
        + "</desc>",
    ]
    for n, row in enumerate(rows):
        y = 5 + n * row_h
        bar = float(max(row.savings, ZERO) / peak) * plot_w
        parts.append(
            f'<text x="{label_w - 8}" y="{y + 18}" text-anchor="end" font-size="13" '
            f'fill="#212b32">{escape(row.label[:32])}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{bar:.1f}" height="{row_h - 10}" '
            f'fill="#007f3b"/>'
            f'<text x="{label_w + bar + 6:.1f}" y="{y + 18}" font-size="13" '
            f'fill="#212b32">{escape(documents.money(row.savings))}</text>'
        )
    if not rows:
        parts.append(
            f'<text x="{label_w}" y="22" font-size="13" fill="#4c6272">'
            "No savings yet</text>"
        )
    parts.append("</svg>")
    # Every interpolated text is escaped above; numbers are formatted here.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703
