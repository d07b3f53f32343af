"""Open pooling rounds and commit them into joint purchase orders (DESIGN §5).

The commit locks the round, then the candidate lines (in primary-key order),
reads their quantities with one GROUP BY, chooses contracts as the preview
does, and writes orders, lines and shares in bulk; allocations go in with
one ``INSERT … SELECT`` on PostgreSQL (one round-trip for any number of
lines) and with ``bulk_create`` elsewhere. A line is pooled at most once: the
partial unique constraint ``allocation_line_pooled_once`` is the last guard.
"""

import datetime
from collections import defaultdict
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import pricing
from orders.models import (
    Allocation,
    JointPurchaseOrder,
    OrderLine,
    OrderNumberCounter,
    OrderShare,
    PoolingRound,
    RequisitionEvent,
    RequisitionLine,
)
from orders.selectors import pooling as selectors
from trusts import services as trust_services

POOLED_ONCE = "allocation_line_pooled_once"
# The commit's locked lines, a temporary table of its own transaction.
LOCKED_LINES = "pooling_locked_lines"
BATCH_SIZE = 2000


@transaction.atomic(durable=True)
def pooling_round_open(
    *, buyer: AbstractBaseUser, cut_off: datetime.datetime
) -> PoolingRound:
    """Open a round that pools approved lines submitted before ``cut_off``.

    Its pricing date is today (Europe/London) and stays fixed: the preview
    and the commit price on it (DESIGN §3, §5).
    """
    pooling_round = PoolingRound(
        cut_off=cut_off, pricing_date=timezone.localdate(), opened_by=buyer
    )
    pooling_round.full_clean()
    pooling_round.save()
    trust_services.audit_record(
        actor=buyer,
        action="orders.pooling_round.opened",
        obj=pooling_round,
        detail={"cut_off": pooling_round.cut_off.isoformat()},
    )
    return pooling_round


def pooling_round_commit(
    *, round_id: int, buyer: AbstractBaseUser
) -> list[JointPurchaseOrder]:
    """Turn a round's preview into draft joint purchase orders, all or nothing.

    One order per contract, one order line per item, one share per trust
    (reference ``<number>/<TRUST>``), one allocation per requisition line, and
    a ``pooled`` event per requisition (DESIGN §5). Committing a committed
    round returns its orders and changes nothing. Raises ``ValidationError``:
    ``round_cancelled``, ``nothing_to_pool``, or ``pooled_elsewhere`` when a
    simultaneous commit pooled some of the same lines first (then nothing of
    this commit remains).
    """
    try:
        return _commit(round_id=round_id, buyer=buyer)
    except IntegrityError as exc:
        text = str(exc)
        if POOLED_ONCE in text or "orders_allocation.requisition_line_id" in text:
            raise ValidationError(
                _(
                    "Some of these lines were pooled by another round at the same "
                    "time. Nothing was saved: open the round again to see what is "
                    "left to pool."
                ),
                code="pooled_elsewhere",
            ) from exc
        raise


@transaction.atomic(durable=True)
def _commit(*, round_id: int, buyer: AbstractBaseUser) -> list[JointPurchaseOrder]:
    # Lock the round first: of two commits of one round, the second waits
    # here and then finds it committed.
    pooling_round = PoolingRound.objects.select_for_update().get(pk=round_id)
    if pooling_round.status == PoolingRound.Status.COMMITTED:
        return list(pooling_round.orders.order_by("number"))
    if pooling_round.status != PoolingRound.Status.OPEN:
        raise ValidationError(
            _("This round was cancelled and cannot be committed."),
            code="round_cancelled",
        )
    # From here on the commit reads only the lines it locked: a line approved
    # meanwhile waits for the next round instead of failing this one.
    lines = _lock_candidate_lines(pooling_round.cut_off)
    preview = selectors.build_preview(pooling_round=pooling_round, lines=lines)
    if not preview.groups:
        raise ValidationError(
            _("There is nothing to pool in this round."), code="nothing_to_pool"
        )
    orders = _create_orders(pooling_round, preview)
    order_lines, shares = _create_lines_and_shares(orders, preview)
    inserted = _create_allocations(preview, lines, orders, order_lines, shares)
    if inserted != preview.line_count:
        raise ValidationError(
            _(
                "Some lines changed while this round was committed (another "
                "round pooled them, or their requisition changed). Nothing was "
                "saved: open the round again to see what is left to pool."
            ),
            code="lines_changed",
        )
    _record_pooled_events(orders, buyer, pooling_round)
    pooling_round.status = PoolingRound.Status.COMMITTED
    pooling_round.committed_by = buyer
    pooling_round.committed_at = timezone.now()
    pooling_round.save(update_fields=["status", "committed_by", "committed_at"])
    numbers = sorted(order.number for order in orders.values())
    trust_services.audit_record(
        actor=buyer,
        action="orders.pooling_round.committed",
        obj=pooling_round,
        detail={
            "orders": numbers,
            "lines": preview.line_count,
            "net": str(preview.money.net),
        },
    )
    return sorted(orders.values(), key=lambda order: order.number)


def _lock_candidate_lines(cut_off: datetime.datetime) -> QuerySet[RequisitionLine]:
    """Lock every candidate line, in primary-key order, and return them.

    On PostgreSQL the locked lines' ids go into a temporary table (dropped at
    commit) in the same statement, and the returned query set reads only
    those lines: whatever is approved while the commit runs cannot slip into
    the allocations unlocked. Lines another commit pooled while this one
    waited for their locks are no longer candidates when the lock is taken.
    """
    candidates = selectors.candidate_lines(cut_off=cut_off)
    if not connection.features.has_select_for_update:
        return candidates  # SQLite: one writer at a time anyway.
    locking = candidates.select_for_update(of=("self",)).order_by("pk").values("pk")
    sql, params = locking.query.sql_with_params()
    with connection.cursor() as cursor:
        # Dropped at commit; dropped here too for a caller's enclosing
        # transaction that commits more than one round.
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{LOCKED_LINES}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {LOCKED_LINES} (id bigint) ON COMMIT DROP"
        )
        cursor.execute(
            f"WITH locked AS ({sql}) INSERT INTO {LOCKED_LINES} SELECT * FROM locked",  # noqa: S608 -- SQL built by the ORM, values are parameters  # nosec B608
            params,
        )
        cursor.execute(f"ANALYZE {LOCKED_LINES}")
    locked = RawSQL(f"SELECT id FROM {LOCKED_LINES}", ())  # noqa: S608, S611 -- a fixed statement, no input  # nosec B608 B611
    return candidates.filter(pk__in=locked)


def next_order_numbers(count: int) -> list[str]:
    """Take ``count`` order numbers of this year, gapless (DESIGN §5).

    The year's counter row is locked until the caller's transaction ends, so
    numbers are handed out one transaction at a time; a transaction that
    rolls back gives its numbers back. Call inside an atomic block.
    """
    year = timezone.localdate().year
    OrderNumberCounter.objects.bulk_create(
        [OrderNumberCounter(year=year)], ignore_conflicts=True
    )
    counter = OrderNumberCounter.objects.select_for_update().get(year=year)
    first = counter.last_number + 1
    counter.last_number += count
    counter.save(update_fields=["last_number"])
    return [f"AP-{year}-{number:06d}" for number in range(first, first + count)]


def _create_orders(
    pooling_round: PoolingRound, preview: selectors.Preview
) -> dict[int, JointPurchaseOrder]:
    by_contract: dict[int, list[selectors.PreviewGroup]] = defaultdict(list)
    for group in preview.groups:
        by_contract[group.contract.pk].append(group)
    contracts = sorted(
        (groups[0].contract for groups in by_contract.values()),
        key=lambda contract: contract.reference,
    )
    numbers = next_order_numbers(len(contracts))
    orders = []
    for number, contract in zip(numbers, contracts, strict=True):
        money = sum(
            (group.money for group in by_contract[contract.pk]), pricing.MoneyTotals()
        )
        orders.append(
            JointPurchaseOrder(
                number=number,
                pooling_round=pooling_round,
                contract=contract,
                supplier_id=contract.supplier_id,
                pricing_date=pooling_round.pricing_date,
                status=JointPurchaseOrder.Status.DRAFT,
                **_totals(money),
            )
        )
    JointPurchaseOrder.objects.bulk_create(orders)
    return {order.contract_id: order for order in orders}


def _create_lines_and_shares(
    orders: dict[int, JointPurchaseOrder], preview: selectors.Preview
) -> tuple[dict[tuple[int, int], OrderLine], dict[tuple[int, int], OrderShare]]:
    """One order line per (order, item), one share per (order, trust)."""
    lines: dict[tuple[int, int], OrderLine] = {}
    share_money: dict[tuple[int, int], pricing.MoneyTotals] = defaultdict(
        pricing.MoneyTotals
    )
    trusts = {}
    for group in preview.groups:
        order = orders[group.contract.pk]
        lines[(order.pk, group.item.pk)] = OrderLine(
            order=order,
            item=group.item,
            supplier_code=group.offer.supplier_code,
            quantity=group.combined_quantity,
            unit_price=group.unit_price,
            tier_min_quantity=group.tier.min_quantity,
            **_totals(group.money),
        )
        for share in group.shares:
            key = (order.pk, share.trust.pk)
            share_money[key] += share.money
            trusts[share.trust.pk] = share.trust
    order_by_pk = {order.pk: order for order in orders.values()}
    shares = {
        (order_id, trust_id): OrderShare(
            order=order_by_pk[order_id],
            trust=trusts[trust_id],
            reference=f"{order_by_pk[order_id].number}/{trusts[trust_id].code}",
            **_totals(money),
        )
        for (order_id, trust_id), money in sorted(share_money.items())
    }
    OrderLine.objects.bulk_create(lines.values(), batch_size=BATCH_SIZE)
    OrderShare.objects.bulk_create(shares.values(), batch_size=BATCH_SIZE)
    return lines, shares


def _create_allocations(
    preview: selectors.Preview,
    candidates: QuerySet[RequisitionLine],
    orders: dict[int, JointPurchaseOrder],
    lines: dict[tuple[int, int], OrderLine],
    shares: dict[tuple[int, int], OrderShare],
) -> int:
    """Write one allocation per candidate line of a pooled group; return how many."""
    # (item id, trust id) -> order line, share, pooled price, standalone price, VAT
    plan: dict[tuple[int, int], tuple[int, int, Decimal, Decimal, Decimal]] = {}
    for group in preview.groups:
        order = orders[group.contract.pk]
        line = lines[(order.pk, group.item.pk)]
        for share in group.shares:
            plan[(group.item.pk, share.trust.pk)] = (
                line.pk,
                shares[(order.pk, share.trust.pk)].pk,
                group.unit_price,
                share.standalone_unit_price,
                group.item.vat_rate,
            )
    if connection.vendor == "postgresql":
        return _insert_allocations_in_sql(candidates, plan)
    return _bulk_create_allocations(candidates, plan)


def _candidate_rows(candidates: QuerySet[RequisitionLine]) -> QuerySet:
    """Each candidate line as ``(id, item, quantity, trust, site, cost centre)``."""
    return candidates.order_by().values_list(
        "pk",
        "item_id",
        "quantity",
        "requisition__trust_id",
        "requisition__site_id",
        "requisition__cost_centre_id",
    )


def _candidate_rows_sql(candidates: QuerySet[RequisitionLine]) -> tuple[str, tuple]:
    return _candidate_rows(candidates).query.sql_with_params()


def _insert_allocations_in_sql(candidates: QuerySet[RequisitionLine], plan) -> int:
    """One ``INSERT … SELECT`` for every allocation; PostgreSQL rounds half up.

    PostgreSQL's ``round(numeric, 2)`` rounds halves away from zero, which is
    ``ROUND_HALF_UP``, so each stored figure equals ``allocation_money``.
    """
    if not plan:
        return 0
    keys = list(plan)
    values = [plan[key] for key in keys]
    candidates_sql, params = _candidate_rows_sql(candidates)
    table = Allocation._meta.db_table
    sql = f"""
        INSERT INTO {table} (
            order_line_id, share_id, requisition_line_id, trust_id, site_id,
            cost_centre_id, quantity, unit_price, standalone_unit_price,
            received_quantity, is_cancelled, net, vat, standalone_net, savings
        )
        SELECT plan.order_line_id, plan.share_id, c.id, c.trust_id, c.site_id,
               c.cost_centre_id, c.quantity, plan.pooled, plan.standalone,
               0, FALSE, money.net, round(money.net * plan.vat_rate, 2),
               money.standalone_net, money.standalone_net - money.net
        FROM ({candidates_sql}) AS c (
            id, item_id, quantity, trust_id, site_id, cost_centre_id
        )
        JOIN unnest(
            %s::bigint[], %s::bigint[], %s::bigint[], %s::bigint[],
            %s::numeric[], %s::numeric[], %s::numeric[]
        ) AS plan (
            item_id, trust_id, order_line_id, share_id, pooled, standalone, vat_rate
        ) ON plan.item_id = c.item_id AND plan.trust_id = c.trust_id
        CROSS JOIN LATERAL (
            SELECT round(c.quantity * plan.pooled, 2) AS net,
                   round(c.quantity * plan.standalone, 2) AS standalone_net
        ) AS money
        ORDER BY c.id
    """  # noqa: S608 -- table name from model meta, candidate SQL from the ORM
    # Each array goes as one text literal: one parameter, parsed by the server.
    columns = [[key[0] for key in keys], [key[1] for key in keys]]
    columns += [[value[n] for value in values] for n in range(5)]
    arrays = ["{" + ",".join(map(str, column)) + "}" for column in columns]
    with connection.cursor() as cursor:
        selectors.sort_memory_raise(cursor)
        cursor.execute(sql, (*params, *arrays))
        return cursor.rowcount


def _bulk_create_allocations(candidates: QuerySet[RequisitionLine], plan) -> int:
    """The same allocations through the ORM, for SQLite and small rounds."""
    rows = _candidate_rows(candidates).order_by("pk")
    batch: list[Allocation] = []
    inserted = 0
    for line_id, item_id, quantity, trust_id, site_id, cost_centre_id in rows:
        planned = plan.get((item_id, trust_id))
        if planned is None:
            continue
        order_line_id, share_id, pooled, standalone, vat_rate = planned
        money = pricing.allocation_money(
            quantity=quantity,
            pooled_unit_price=pooled,
            standalone_unit_price=standalone,
            vat_rate=vat_rate,
        )
        batch.append(
            Allocation(
                order_line_id=order_line_id,
                share_id=share_id,
                requisition_line_id=line_id,
                trust_id=trust_id,
                site_id=site_id,
                cost_centre_id=cost_centre_id,
                quantity=quantity,
                unit_price=pooled,
                standalone_unit_price=standalone,
                net=money.net,
                vat=money.vat,
                standalone_net=money.standalone_net,
                savings=money.savings,
            )
        )
        if len(batch) >= BATCH_SIZE:
            Allocation.objects.bulk_create(batch)
            inserted += len(batch)
            batch = []
    Allocation.objects.bulk_create(batch)
    return inserted + len(batch)


def _record_pooled_events(
    orders: dict[int, JointPurchaseOrder],
    buyer: AbstractBaseUser,
    pooling_round: PoolingRound,
) -> None:
    """One ``pooled`` event per requisition with lines in these orders."""
    event_table = RequisitionEvent._meta.db_table
    allocation_table = Allocation._meta.db_table
    line_table = RequisitionLine._meta.db_table
    order_line_table = OrderLine._meta.db_table
    order_ids = [order.pk for order in orders.values()]
    placeholders = ", ".join(["%s"] * len(order_ids))
    sql = f"""
        INSERT INTO {event_table} (requisition_id, action, actor_id, at, note)
        SELECT DISTINCT rl.requisition_id, %s, %s, %s, %s
        FROM {allocation_table} a
        JOIN {line_table} rl ON rl.id = a.requisition_line_id
        JOIN {order_line_table} ol ON ol.id = a.order_line_id
        WHERE ol.order_id IN ({placeholders}) AND a.is_cancelled = %s
    """  # noqa: S608 -- table names from model meta; values are parameters
    note = _("Pooled in round %(round)s") % {"round": pooling_round.pk}
    at = connection.ops.adapt_datetimefield_value(timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            (
                RequisitionEvent.Action.POOLED.value,
                buyer.pk,
                at,
                note,
                *order_ids,
                False,
            ),
        )


def _totals(money: pricing.MoneyTotals) -> dict[str, Decimal]:
    return {
        "net": money.net,
        "vat": money.vat,
        "standalone_net": money.standalone_net,
        "savings": money.savings,
    }
