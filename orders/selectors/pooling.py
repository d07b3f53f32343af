"""Reads for pooling rounds: candidate lines and the preview (DESIGN §5).

The preview reads every candidate line's item, trust and quantity once (a
binary ``COPY`` of one packed bigint a line on PostgreSQL), groups them into
(item, trust) pairs and prices every line exactly as the commit stores it in
integer arrays (``orders.pricing.pairs_pennies``); contracts are chosen in
Python over the pairs (pure functions in ``orders.pricing``).
"""

import contextlib
import datetime
import gc
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, QuerySet, Sum, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce
from psycopg import errors as psycopg_errors
from psycopg import pq

from alliance_procurement.money import ZERO
from catalogue.models import Item
from orders import pricing
from orders.models import (
    Allocation,
    JointPurchaseOrder,
    PoolingRound,
    Requisition,
    RequisitionLine,
)
from suppliers import selectors as supplier_selectors
from suppliers.models import MAX_LINE_QUANTITY, Contract, ContractItem, PriceTier
from suppliers.pricing import Tier
from trusts.models import Trust


class PairLines(NamedTuple):
    """One trust's candidate lines of one item."""

    quantity: int
    line_count: int
    index: int  # the pair's number in its ``CandidateQuantities``


# (item id, trust id) -> pooled unit price, standalone unit price, VAT rate
MoneyPlan = dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]]


@dataclass(frozen=True)
class CandidateQuantities:
    """Every candidate line's quantity and the (item, trust) pair it is of.

    ``pairs`` maps ``(item id, trust id)`` to the pair's totals and number;
    row ``r`` of ``quantities`` and ``weights`` stands for ``weights[r]``
    lines of ``quantities[r]`` units of pair number ``pair_of_row[r]``.
    """

    pairs: dict[tuple[int, int], PairLines]
    quantities: np.ndarray
    weights: np.ndarray
    pair_of_row: np.ndarray

    def pennies(self, plan: MoneyPlan) -> dict[tuple[int, int], pricing.Pennies]:
        """Each planned pair's allocation money in pennies, every line
        rounded as the commit rounds it (``allocation_money``)."""
        prices = [(ZERO, ZERO, ZERO)] * len(self.pairs)
        for key, value in plan.items():
            prices[self.pairs[key].index] = value
        sums = pricing.pairs_pennies(
            quantities=self.quantities,
            weights=self.weights,
            pair_of_row=self.pair_of_row,
            prices=prices,
        )
        return {key: sums[self.pairs[key].index] for key in plan}


@dataclass
class PreviewShare:
    """One trust's part of a group."""

    trust: Trust
    quantity: int
    line_count: int
    pair: PairLines
    standalone_tier: Tier
    standalone_unit_price: Decimal
    pennies: pricing.Pennies

    @property
    def money(self) -> pricing.MoneyTotals:
        return self.pennies.money()


@dataclass
class PreviewGroup:
    """Lines of one item pooled on one contract."""

    item: Item
    contract: Contract
    offer: pricing.Offer
    combined_quantity: int
    tier: Tier
    unit_price: Decimal
    shares: list[PreviewShare]
    money: pricing.MoneyTotals
    next_tier: pricing.NextTier | None

    @property
    def line_count(self) -> int:
        return sum(share.line_count for share in self.shares)


@dataclass
class HeldPair:
    """Some trust's lines of one item that stay out, and why."""

    item: Item
    trust: Trust
    quantity: int
    line_count: int
    reason: str
    contract: Contract | None = None

    @property
    def message(self) -> str:
        return pricing.HELD_REASONS[self.reason]


@dataclass
class HeldLine:
    """A requisition line that stays out of the round, with its reason."""

    requisition_line: RequisitionLine
    reason: str
    contract: Contract | None = None

    @property
    def message(self) -> str:
        return pricing.HELD_REASONS[self.reason]


@dataclass
class Preview:
    """What committing a round would order, and what it would leave out."""

    pooling_round: PoolingRound
    groups: list[PreviewGroup]
    held: list[HeldPair]
    money: pricing.MoneyTotals = field(default_factory=pricing.MoneyTotals)
    remaining_ceilings: dict[int, Decimal] = field(default_factory=dict)
    committed_values: dict[int, Decimal] = field(default_factory=dict)

    @property
    def line_count(self) -> int:
        return sum(group.line_count for group in self.groups)

    @property
    def held_line_count(self) -> int:
        return sum(pair.line_count for pair in self.held)

    def held_lines(self) -> list[HeldLine]:
        """The held requisition lines one by one (one query)."""
        return held_lines_for(self.pooling_round, self.held)

    def contract_summaries(self) -> list["ContractSummary"]:
        """One row per order the commit would make, by contract reference."""
        summaries: dict[int, ContractSummary] = {}
        trusts: dict[int, set[int]] = defaultdict(set)
        for group in self.groups:
            contract = group.contract
            summary = summaries.get(contract.pk)
            if summary is None:
                summary = summaries[contract.pk] = ContractSummary(
                    contract=contract,
                    ceiling_left=self.remaining_ceilings.get(contract.pk),
                )
            summary.group_count += 1
            summary.line_count += group.line_count
            summary.money += group.money
            trusts[contract.pk].update(share.trust.pk for share in group.shares)
        for pk, summary in summaries.items():
            summary.trust_count = len(trusts[pk])
        return sorted(summaries.values(), key=lambda row: row.contract.reference)

    def held_reasons(self) -> list[tuple[str, int]]:
        """``(message, lines)`` per reason lines are held, most lines first."""
        lines: Counter = Counter()
        for pair in self.held:
            lines[pair.message] += pair.line_count
        return sorted(lines.items(), key=lambda row: (-row[1], row[0]))

    def groups_matching(
        self, *, contract_id: int | None = None, text: str = ""
    ) -> list[PreviewGroup]:
        """Groups on one contract (any when ``None``) whose item SKU or name
        contains ``text`` (ignoring case), in the preview's order."""
        needle = text.strip().casefold()
        return [
            group
            for group in self.groups
            if (contract_id is None or group.contract.pk == contract_id)
            and (
                not needle
                or needle in group.item.sku.casefold()
                or needle in group.item.name.casefold()
            )
        ]


@dataclass
class ContractSummary:
    """What one order of the round would hold: its groups, lines and money."""

    contract: Contract
    ceiling_left: Decimal | None
    group_count: int = 0
    line_count: int = 0
    trust_count: int = 0
    money: pricing.MoneyTotals = field(default_factory=pricing.MoneyTotals)


def pooling_rounds_list() -> QuerySet[PoolingRound]:
    """Rounds, newest first, with who opened them and how many orders they made."""
    return PoolingRound.objects.select_related("opened_by", "committed_by").annotate(
        order_count=Count("orders")
    )


def pooling_round_get(*, pk: int) -> PoolingRound:
    """One round; raises ``PoolingRound.DoesNotExist``."""
    return PoolingRound.objects.select_related("opened_by", "committed_by").get(pk=pk)


def candidate_lines(*, cut_off: datetime.datetime) -> QuerySet[RequisitionLine]:
    """Approved lines with no live allocation, submitted before ``cut_off``.

    A line whose order was cancelled has only cancelled allocations and is a
    candidate again (DESIGN §5).
    """
    live = Allocation.objects.filter(
        requisition_line=OuterRef("pk"), is_cancelled=False
    )
    return RequisitionLine.objects.filter(
        ~Exists(live),
        requisition__status=Requisition.Status.APPROVED,
        requisition__submitted_at__lt=cut_off,
    )


def candidate_quantities(
    *, cut_off: datetime.datetime, lines: QuerySet[RequisitionLine] | None = None
) -> CandidateQuantities:
    """Read the candidate lines' quantities, grouped by (item, trust).

    PostgreSQL sends every line's item, trust and quantity in one binary
    ``COPY``; other databases send each distinct (item, trust, quantity)
    with its number of lines. ``lines`` narrows the candidates (the commit
    passes the lines it locked).
    """
    if lines is None:
        lines = candidate_lines(cut_off=cut_off)
    columns = lines.order_by().values_list(
        "item_id", "requisition__trust_id", "quantity"
    )
    if connection.vendor == "postgresql":
        items, trusts, quantities = _copied_lines(columns)
        weights = np.ones_like(quantities)
    else:
        rows = np.array(list(columns.annotate(lines=Count("pk"))), dtype=np.int64)
        items, trusts, quantities, weights = rows.reshape(-1, 4).T
    return group_pairs(items, trusts, quantities, weights)


def group_pairs(
    items: np.ndarray, trusts: np.ndarray, quantities: np.ndarray, weights: np.ndarray
) -> CandidateQuantities:
    """Number the (item, trust) pairs of rows of (item, trust, quantity, lines).

    Pairs are numbered in item, then trust order. With ids as the database
    hands them out, each row's pair is looked up in a table indexed by
    ``item × (largest trust + 1) + trust`` (a few milliseconds for a million
    rows); when that table would be much larger than the rows, the rows are
    sorted instead.
    """
    width = int(trusts.max()) + 1 if len(trusts) else 1
    size = int(items.max()) * width + width if len(items) else 0
    if size <= max(4 * len(items), _PAIR_TABLE_ROWS) and (
        not len(items) or min(int(items.min()), int(trusts.min())) >= 0
    ):
        keys = items * width + trusts
        present = np.zeros(size, dtype=bool)
        present[keys] = True
        pair_keys = np.flatnonzero(present)
        pair_of_row = (np.cumsum(present) - 1)[keys]
        pair_items, pair_trusts = pair_keys // width, pair_keys % width
    else:
        unique, pair_of_row = np.unique(
            np.stack((items, trusts), axis=1), axis=0, return_inverse=True
        )
        pair_items, pair_trusts = unique[:, 0], unique[:, 1]
    pair_of_row = pair_of_row.reshape(-1)
    count = len(pair_items)
    totals = pricing.pair_sums(quantities * weights, pair_of_row, count)
    line_counts = pricing.pair_sums(weights, pair_of_row, count)
    pairs = {
        (item_id, trust_id): PairLines(total, line_count, index)
        for index, (item_id, trust_id, total, line_count) in enumerate(
            zip(
                pair_items.tolist(),
                pair_trusts.tolist(),
                totals,
                line_counts,
                strict=True,
            )
        )
    }
    return CandidateQuantities(pairs, quantities, weights, pair_of_row)


# A pair table of up to this many entries (1 MB) is always small enough.
_PAIR_TABLE_ROWS = 2**20


# PostgreSQL's binary COPY format: a header, then per row a field count and
# each field as its length and big-endian value, then a trailer.
_COPY_SIGNATURE = b"PGCOPY\n\xff\r\n\x00"
_COPY_TRAILER = b"\xff\xff"

# A line's item, trust and quantity packed by the server into one bigint,
# ``item << 39 | trust << 24 | quantity`` (a quantity is at most
# ``MAX_LINE_QUANTITY``: 24 bits): a binary COPY of one field a row is written
# a tenth faster than of three. A line with an id or a quantity that does not
# fit its bits comes over as -1, and then every line is read again as three
# columns.
_QUANTITY_BITS = MAX_LINE_QUANTITY.bit_length()
_TRUST_BITS = 15
_ITEM_BITS = 63 - _TRUST_BITS - _QUANTITY_BITS
_PACKED = (
    f"CASE WHEN c.a BETWEEN 0 AND {2**_ITEM_BITS - 1}"
    f" AND c.b BETWEEN 0 AND {2**_TRUST_BITS - 1}"
    f" AND c.c BETWEEN 0 AND {2**_QUANTITY_BITS - 1}"
    f" THEN (c.a::bigint << {_TRUST_BITS + _QUANTITY_BITS})"
    f" | (c.b::bigint << {_QUANTITY_BITS}) | c.c::bigint ELSE -1 END"
)


def _copied_lines(columns: QuerySet) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A query set of (item id, trust id, quantity), as three arrays.

    A million lines come over as 14 MB of binary ``COPY`` read straight into
    arrays: several times faster than psycopg building a tuple per row, and
    it leaves one pass over the lines for the whole preview.
    """
    # COPY takes no bind parameters: psycopg quotes the ORM's values into it;
    # the rest of each statement is this module's own text.
    query = connection.ops.compose_sql(*columns.query.sql_with_params())
    lines = f"FROM ({query}) AS c (a, b, c)"
    (packed,) = _copied_bigints(f"SELECT {_PACKED} {lines}", 1)  # nosec B608
    if not len(packed) or int(packed.min()) >= 0:
        quantities = packed & (2**_QUANTITY_BITS - 1)
        trusts = (packed >> _QUANTITY_BITS) & (2**_TRUST_BITS - 1)
        return packed >> (_TRUST_BITS + _QUANTITY_BITS), trusts, quantities
    three = f"SELECT c.a::bigint, c.b::bigint, c.c::bigint {lines}"  # nosec B608
    return _copied_bigints(three, 3)


def _copied_bigints(query: str, count: int) -> tuple[np.ndarray, ...]:
    """The rows of ``query``, ``count`` non-null bigint columns, as arrays."""
    data = bytearray()
    copy_out(f"COPY ({query}) TO STDOUT (FORMAT BINARY)", data.extend)
    return _bigints(memoryview(data), count)


def copy_out(statement: str, write: Callable[[memoryview], object]) -> None:
    """Run ``COPY … TO STDOUT`` on Django's connection, handing ``write``
    each row the server sends.

    The rows are taken straight from libpq through psycopg's ``pgconn``:
    psycopg's ``Copy`` waits for each row through a generator, which for a
    million rows costs as much again as the server takes to send them.
    Whatever happens (an error from the server, or from ``write``), the
    connection is left ready for its next statement; the server's errors
    are raised as Django's.
    """
    connection.ensure_connection()
    client = connection.connection
    pgconn = client.pgconn
    with connection.wrap_database_errors:
        pgconn.send_query(statement.encode())
        copying = False
        try:
            result = pgconn.get_result()
            copying = result.status == pq.ExecStatus.COPY_OUT
            if copying:
                read = pgconn.get_copy_data
                # Blocking reads: a row's length, or -1 once the copy is done.
                while (received := read(0))[0] > 0:
                    write(received[1])
                copying = False
                result = pgconn.get_result()
        except BaseException:
            if copying:  # stop the server, then throw away what it still sends
                client.cancel_safe()
                while pgconn.get_copy_data(0)[0] > 0:
                    pass
            raise
        finally:
            while pgconn.get_result() is not None:
                pass
        if result.status != pq.ExecStatus.COMMAND_OK:
            raise psycopg_errors.error_from_result(
                result, encoding=client.info.encoding
            )


def _bigints(data: memoryview, count: int) -> tuple[np.ndarray, ...]:
    """A binary ``COPY`` of ``count`` non-null bigint columns, as arrays."""
    if bytes(data[:11]) != _COPY_SIGNATURE or bytes(data[-2:]) != _COPY_TRAILER:
        raise ValueError("Not a PostgreSQL binary COPY.")
    extension = int.from_bytes(data[15:19], "big")
    body = data[19 + extension : -2]
    row = _bigint_row(count)
    if len(body) % row.itemsize:
        raise ValueError(f"Expected {count} non-null bigint columns.")
    rows = np.frombuffer(body, dtype=row)
    if (rows["fields"] != count).any() or any(
        (rows[f"length_{n}"] != 8).any() for n in range(count)
    ):
        raise ValueError(f"Expected {count} non-null bigint columns.")
    return tuple(rows[f"value_{n}"].astype(np.int64) for n in range(count))


def _bigint_row(count: int) -> np.dtype:
    """A binary ``COPY`` row of ``count`` bigints: the number of fields, then
    each field's length and big-endian value."""
    fields = [("fields", ">i2")]
    for n in range(count):
        fields += [(f"length_{n}", ">i4"), (f"value_{n}", ">i8")]
    return np.dtype(fields)


def ids_parameter(ids) -> list[int] | RawSQL:
    """``ids`` for an ``__in`` filter: on PostgreSQL one array parameter (a
    statement with thousands of placeholders costs more to build and parse
    than to run), elsewhere the list itself."""
    ids = [int(pk) for pk in ids]
    if connection.vendor != "postgresql":
        return ids
    return RawSQL("SELECT unnest(%s::bigint[])", ["{" + ",".join(map(str, ids)) + "}"])


def committed_values(contract_ids) -> dict[int, Decimal]:
    """Net of each contract's orders that are not cancelled (DESIGN §5)."""
    rows = (
        JointPurchaseOrder.objects.not_cancelled()
        .filter(contract_id__in=list(contract_ids))
        .order_by()
        .values_list("contract_id")
        .annotate(total=Coalesce(Sum("net"), Value(ZERO)))
    )
    return dict(rows)


def offers_for(
    *, item_ids, on: datetime.date
) -> tuple[dict[int, list[pricing.Offer]], dict[int, Contract]]:
    """Active contracts' offers per item id, and those contracts by id.

    Four queries whatever the number of items: contract items, their tiers,
    the contracts' trusts, the index prices in force.
    """
    active = Contract.objects.active_on(on)
    item_ids = ids_parameter(item_ids)
    rows = list(
        ContractItem.objects.filter(item_id__in=item_ids, contract__in=active)
        .order_by()
        .values_list(
            "pk",
            "item_id",
            "contract_id",
            "contract__reference",
            "supplier_code",
            "minimum_order_quantity",
            "order_multiple",
            "price_basis",
            "fuel_index_id",
        )
    )
    tiers: dict[int, list[Tier]] = defaultdict(list)
    for contract_item_id, min_quantity, unit_price in (
        PriceTier.objects.filter(
            contract_item__item_id__in=item_ids, contract_item__contract__in=active
        )
        .order_by("contract_item_id", "min_quantity")
        .values_list("contract_item_id", "min_quantity", "unit_price")
    ):
        tiers[contract_item_id].append(Tier(min_quantity, unit_price))
    contract_ids = {row[2] for row in rows}
    contracts = Contract.objects.select_related("supplier").in_bulk(contract_ids)
    trust_ids: dict[int, set[int]] = defaultdict(set)
    for contract_id, trust_id in Contract.trusts.through.objects.filter(
        contract_id__in=contract_ids
    ).values_list("contract_id", "trust_id"):
        trust_ids[contract_id].add(trust_id)
    index_prices = supplier_selectors.index_prices_in_force(
        {row[8] for row in rows if row[8]}, on
    )
    offers: dict[int, list[pricing.Offer]] = defaultdict(list)
    for (
        pk,
        item_id,
        contract_id,
        reference,
        supplier_code,
        moq,
        multiple,
        basis,
        index_id,
    ) in rows:
        if not tiers[pk]:
            continue
        offers[item_id].append(
            pricing.Offer(
                contract_id=contract_id,
                reference=reference,
                trust_ids=frozenset(trust_ids[contract_id]),
                tiers=tuple(tiers[pk]),
                minimum_order_quantity=moq,
                order_multiple=multiple,
                price_basis=basis,
                index_price=index_prices.get(index_id),
                contract_item_id=pk,
                supplier_code=supplier_code,
            )
        )
    return offers, contracts


# Enough for the commit's joins of a million lines to stay in memory: with
# PostgreSQL's default (4 MB) they sort on disk.
POOLING_WORK_MEM = "64MB"


def sort_memory_raise(cursor) -> None:
    """Give this transaction's pooling queries ``POOLING_WORK_MEM`` to sort in."""
    cursor.execute("SELECT set_config('work_mem', %s, true)", [POOLING_WORK_MEM])


def build_preview(
    *,
    pooling_round: PoolingRound,
    lines: QuerySet[RequisitionLine] | None = None,
) -> Preview:
    """Group a round's candidate lines and price them (DESIGN §5).

    ``lines`` narrows the candidate lines: the commit passes the lines it
    locked, so that a line approved meanwhile waits for the next round.
    Groups are read in item SKU order, then contract reference; the contract
    ceiling is used up in that order.
    """
    with _collector_paused():
        return _build_preview(pooling_round, lines)


@contextlib.contextmanager
def _collector_paused():
    """Pause Python's cycle collector while the preview builds its objects.

    A round of a million lines makes a few hundred thousand small objects
    that live until the page is rendered; each batch of them would start a
    collection that walks every object in the process (a third of the
    preview's time at that size). Nothing here makes reference cycles that
    need collecting meanwhile; the collector runs again afterwards.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _build_preview(
    pooling_round: PoolingRound, lines: QuerySet[RequisitionLine] | None
) -> Preview:
    candidates = candidate_quantities(cut_off=pooling_round.cut_off, lines=lines)
    pairs = candidates.pairs
    by_item: dict[int, dict[int, PairLines]] = defaultdict(dict)
    for (item_id, trust_id), pair in pairs.items():
        by_item[item_id][trust_id] = pair
    items = {
        item.pk: item
        for item in Item.objects.only("sku", "name", "unit", "vat_rate").filter(
            pk__in=ids_parameter(by_item)
        )
    }
    trusts = Trust.objects.in_bulk({trust_id for _, trust_id in pairs})
    offers, contracts = offers_for(
        item_ids=list(by_item), on=pooling_round.pricing_date
    )

    chosen: list[tuple[pricing.GroupChoice, Item]] = []
    held: list[HeldPair] = []
    for item_id in sorted(by_item, key=lambda pk: items[pk].sku):
        item = items[item_id]
        trust_counts = by_item[item_id]
        choice = pricing.choose_groups(
            item_id=item_id,
            trust_quantities={t: p.quantity for t, p in trust_counts.items()},
            offers=offers.get(item_id, []),
        )
        for trust_id, reason in choice.unplaced.items():
            held.append(_held(item, trusts[trust_id], trust_counts[trust_id], reason))
        chosen.extend((group, item) for group in choice.groups)

    plan: MoneyPlan = {}
    for group, item in chosen:
        item_id, pooled, vat_rate = item.pk, group.unit_price, item.vat_rate
        for trust_id, (_tier, standalone) in group.standalone.items():
            plan[(item_id, trust_id)] = (pooled, standalone, vat_rate)
    pennies = candidates.pennies(plan)
    choices = [
        (
            group,
            _priced_group(group, item, trusts, by_item[item.pk], contracts, pennies),
        )
        for group, item in chosen
    ]

    contract_ids = {group.offer.contract_id for group, _ in choices}
    committed = committed_values(contract_ids)
    ceilings = {
        pk: contract.value_ceiling - committed.get(pk, ZERO)
        for pk, contract in _contracts(choices).items()
    }
    left = pricing.apply_ceilings(
        ((group, preview.money.net) for group, preview in choices), ceilings
    )
    groups = []
    total = pricing.MoneyTotals()
    for group, preview in choices:
        if group.held_reason:
            held.extend(
                _held(
                    preview.item,
                    share.trust,
                    share.pair,
                    group.held_reason,
                    preview.contract,
                )
                for share in preview.shares
            )
            continue
        groups.append(preview)
        total += preview.money
    held.sort(key=lambda pair: (pair.item.sku, pair.trust.code))
    return Preview(
        pooling_round=pooling_round,
        groups=groups,
        held=held,
        money=total,
        remaining_ceilings=left,
        committed_values=committed,
    )


def pooling_round_preview(*, pooling_round: PoolingRound) -> Preview:
    """The preview a buyer reads before committing (DESIGN §5)."""
    return build_preview(pooling_round=pooling_round)


def held_lines_for(pooling_round: PoolingRound, held: list[HeldPair]) -> list[HeldLine]:
    """The requisition lines behind held pairs, in one query.

    Each (item, trust) pair is one number, ``item × (largest trust + 1) +
    trust``, and the lines are those whose pair is among them: one hashed
    lookup per line, however many pairs are held (one condition per pair
    grew with the square of their number: 68 s for 2,000 pairs at a million
    lines).
    """
    if not held:
        return []
    reasons = {(pair.item.pk, pair.trust.pk): pair for pair in held}
    item_ids = {item_id for item_id, _ in reasons}
    trust_ids = {trust_id for _, trust_id in reasons}
    # Every line read is of one of these trusts, so no two pairs share a number.
    width = max(trust_ids) + 1
    lines = (
        candidate_lines(cut_off=pooling_round.cut_off)
        .filter(
            item_id__in=ids_parameter(item_ids),
            requisition__trust_id__in=ids_parameter(trust_ids),
        )
        .alias(pair=F("item_id") * width + F("requisition__trust_id"))
        .filter(
            pair__in=ids_parameter(
                item_id * width + trust_id for item_id, trust_id in reasons
            )
        )
        .select_related("item", "requisition", "requisition__trust")
        .order_by("item__sku", "requisition__trust__code", "pk")
    )
    result = []
    for line in lines:
        pair = reasons[(line.item_id, line.requisition.trust_id)]
        result.append(HeldLine(line, pair.reason, pair.contract))
    return result


def _held(item, trust, pair: PairLines, reason: str, contract=None) -> HeldPair:
    return HeldPair(
        item=item,
        trust=trust,
        quantity=pair.quantity,
        line_count=pair.line_count,
        reason=reason,
        contract=contract,
    )


def _contracts(choices) -> dict[int, Contract]:
    return {preview.contract.pk: preview.contract for _, preview in choices}


def _priced_group(
    group: pricing.GroupChoice,
    item: Item,
    trusts: dict[int, Trust],
    trust_counts: dict[int, PairLines],
    contracts: dict[int, Contract],
    pair_pennies: dict[tuple[int, int], pricing.Pennies],
) -> PreviewGroup:
    shares = []
    net = vat = standalone_net = 0
    item_id = item.pk
    for trust_id, quantity in group.trust_quantities.items():
        standalone_tier, standalone_price = group.standalone[trust_id]
        pair = trust_counts[trust_id]
        pennies = pair_pennies[(item_id, trust_id)]
        net += pennies.net
        vat += pennies.vat
        standalone_net += pennies.standalone_net
        shares.append(
            PreviewShare(
                trust=trusts[trust_id],
                quantity=quantity,
                line_count=pair.line_count,
                pair=pair,
                standalone_tier=standalone_tier,
                standalone_unit_price=standalone_price,
                pennies=pennies,
            )
        )
    shares.sort(key=lambda share: share.trust.code)
    return PreviewGroup(
        item=item,
        contract=contracts[group.offer.contract_id],
        offer=group.offer,
        combined_quantity=group.combined_quantity,
        tier=group.tier,
        unit_price=group.unit_price,
        shares=shares,
        money=pricing.Pennies(net, vat, standalone_net).money(),
        next_tier=pricing.next_tier_nudge(group.offer, group.combined_quantity),
    )
