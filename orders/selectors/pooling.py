"""Reads for pooling rounds: candidate lines and the preview (DESIGN §5).

The preview asks the database for each (item, trust) pair's quantities in
one GROUP BY, chooses contracts in Python over those few rows (pure functions
in ``orders.pricing``), and prices every line exactly as the commit stores it.
"""

import datetime
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

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
from suppliers.models import Contract, ContractItem, PriceTier
from suppliers.pricing import Tier
from trusts.models import Trust


@dataclass(frozen=True)
class PairLines:
    """One trust's candidate lines of one item, as the database added them up."""

    quantity: int
    line_count: int
    # quantity -> number of lines of that quantity; None when the database
    # adds up the money itself.
    quantity_counts: Counter | None


# (item id, trust id) -> that pair's lines
PairQuantities = dict[tuple[int, int], PairLines]


@dataclass
class PreviewShare:
    """One trust's part of a group."""

    trust: Trust
    quantity: int
    line_count: int
    pair: PairLines
    standalone_tier: Tier
    standalone_unit_price: Decimal
    money: pricing.MoneyTotals


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
) -> PairQuantities:
    """Return each (item, trust) pair's line quantities, aggregated in SQL.

    PostgreSQL groups by item and trust only: the money of each pair is
    then added up in SQL too (``pair_money_in_sql``), so ``quantity_counts``
    is ``None``. Other databases group by item, trust and quantity with a
    count, and the money is worked from those counts. Either way no Python
    loop adds up lines. ``lines`` narrows the candidates (the commit passes
    the lines it locked).
    """
    if lines is None:
        lines = candidate_lines(cut_off=cut_off)
    lines = lines.order_by()
    pairs: PairQuantities = {}
    if connection.vendor == "postgresql":
        sql, params = (
            lines.values_list("item_id", "requisition__trust_id")
            .annotate(total=Sum("quantity"), lines=Count("pk"))
            .query.sql_with_params()
        )
        # Tens of thousands of integer rows: read them straight from the
        # cursor, without the ORM's per-row converters.
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            for item_id, trust_id, total, count in cursor.fetchall():
                pairs[(item_id, trust_id)] = PairLines(total, count, None)
        return pairs
    rows = lines.values_list("item_id", "requisition__trust_id", "quantity").annotate(
        lines=Count("pk")
    )
    grouped: dict[tuple[int, int], Counter] = defaultdict(Counter)
    for item_id, trust_id, quantity, count in rows:
        grouped[(item_id, trust_id)][quantity] = count
    for key, counts in grouped.items():
        pairs[key] = PairLines(
            quantity=sum(q * c for q, c in counts.items()),
            line_count=sum(counts.values()),
            quantity_counts=counts,
        )
    return pairs


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


# Enough for the pooling queries' joins and groups of a million lines to stay
# in memory: with PostgreSQL's default (4 MB) they sort on disk.
POOLING_WORK_MEM = "64MB"


def sort_memory_raise(cursor) -> None:
    """Give this transaction's pooling queries ``POOLING_WORK_MEM`` to sort in."""
    cursor.execute("SELECT set_config('work_mem', %s, true)", [POOLING_WORK_MEM])


# Each (item, trust) pair's money in PostgreSQL, one row of ``money`` per line.
_PAIR_MONEY = """
    SELECT c.item_id, c.trust_id,
           SUM(money.net), SUM(money.vat), SUM(money.standalone_net)
    FROM ({candidates}) AS c (item_id, quantity, trust_id)
    JOIN unnest(
        %s::bigint[], %s::bigint[], %s::{kind}[], %s::{kind}[], %s::{kind}[]
    ) AS plan (item_id, trust_id, pooled, standalone, vat_rate)
      ON plan.item_id = c.item_id AND plan.trust_id = c.trust_id
    CROSS JOIN LATERAL ({money}) AS money
    GROUP BY c.item_id, c.trust_id
"""


def _hundredths_half_up(x: str) -> str:
    """SQL for integer ``x`` / 100 rounded half away from zero (half up):
    integer division truncates towards zero."""
    return f"CASE WHEN {x} < 0 THEN -((50 - {x}) / 100) ELSE ({x} + 50) / 100 END"


# A line's money from prices in whole ten-thousandths of a pound and VAT rates
# in hundredths, in whole pennies: integer arithmetic, rounded as
# ``allocation_money`` does, many times faster than ``numeric``.
_WHOLE_PENNIES = f"""
    SELECT net, standalone_net, {_hundredths_half_up("net * plan.vat_rate")} AS vat
    FROM (
        SELECT {_hundredths_half_up("c.quantity::bigint * plan.pooled")} AS net,
               {_hundredths_half_up("c.quantity::bigint * plan.standalone")}
                   AS standalone_net
    ) AS pennies
"""  # noqa: S608  # nosec B608 -- fixed column names, no values

# The same from ``numeric`` prices and rates of any precision: PostgreSQL's
# ``round(numeric, 2)`` rounds halves away from zero, which is half up.
_NUMERIC = """
    SELECT net, standalone_net, round(net * plan.vat_rate, 2) AS vat
    FROM (
        SELECT round(c.quantity * plan.pooled, 2) AS net,
               round(c.quantity * plan.standalone, 2) AS standalone_net
    ) AS pounds
"""


def _in_whole_units(plan) -> dict | None:
    """``plan`` with prices in ten-thousandths and rates in hundredths, or
    ``None`` when one has more places than that."""
    # Tens of thousands of pairs share a few thousand prices and three rates:
    # each distinct value is converted once.
    prices: dict[Decimal, int | None] = {}
    rates: dict[Decimal, int | None] = {}
    whole = {}
    for key, (pooled, standalone, vat_rate) in plan.items():
        scaled = []
        for value, seen, places in (
            (pooled, prices, 4),
            (standalone, prices, 4),
            (vat_rate, rates, 2),
        ):
            try:
                number = seen[value]
            except KeyError:
                number = seen[value] = pricing.as_integer(value, places)
            if number is None:
                return None
            scaled.append(number)
        whole[key] = tuple(scaled)
    return whole


def pair_money_in_sql(
    *,
    cut_off: datetime.datetime,
    plan: dict[tuple[int, int], tuple[Decimal, Decimal, Decimal]],
    lines: QuerySet[RequisitionLine] | None = None,
) -> dict[tuple[int, int], pricing.MoneyTotals]:
    """Add up each (item, trust) pair's allocation money in PostgreSQL.

    ``plan`` gives per pair the pooled and standalone unit prices and the VAT
    rate. Each line is rounded as ``allocation_money`` does, in whole pennies
    when prices have at most 4 places and rates 2 (always, for prices the
    database stores), else in ``numeric``.
    """
    if not plan:
        return {}
    whole = _in_whole_units(plan)
    keys = list(plan)
    values = whole or plan
    columns = [[key[0] for key in keys], [key[1] for key in keys]]
    columns += [[values[key][n] for key in keys] for n in range(3)]
    arrays = ["{" + ",".join(map(str, column)) + "}" for column in columns]
    if lines is None:
        lines = candidate_lines(cut_off=cut_off)
    candidates_sql, params = (
        lines.order_by()
        .values_list("item_id", "quantity", "requisition__trust_id")
        .query.sql_with_params()
    )
    sql = _PAIR_MONEY.format(  # nosec B608
        candidates=candidates_sql,
        kind="bigint" if whole else "numeric",
        money=_WHOLE_PENNIES if whole else _NUMERIC,
    )
    scale = -2 if whole else 0
    with transaction.atomic(), connection.cursor() as cursor:
        sort_memory_raise(cursor)
        cursor.execute(sql, (*params, *arrays))
        totals = {}
        for item_id, trust_id, net, vat, standalone_net in cursor.fetchall():
            net, vat, standalone_net = (
                Decimal(net).scaleb(scale),
                Decimal(vat).scaleb(scale),
                Decimal(standalone_net).scaleb(scale),
            )
            totals[(item_id, trust_id)] = pricing.MoneyTotals(
                net=net,
                vat=vat,
                standalone_net=standalone_net,
                savings=standalone_net - net,
            )
        return totals


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
    pairs = candidate_quantities(cut_off=pooling_round.cut_off, lines=lines)
    by_item: dict[int, dict[int, PairLines]] = defaultdict(dict)
    for (item_id, trust_id), pair in pairs.items():
        by_item[item_id][trust_id] = pair
    items = Item.objects.only("sku", "name", "unit", "vat_rate").in_bulk(list(by_item))
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

    money: dict[tuple[int, int], pricing.MoneyTotals] = {}
    if any(pair.quantity_counts is None for pair in pairs.values()):
        money = pair_money_in_sql(
            cut_off=pooling_round.cut_off,
            lines=lines,
            plan={
                (item.pk, trust_id): (
                    group.unit_price,
                    group.standalone[trust_id][1],
                    item.vat_rate,
                )
                for group, item in chosen
                for trust_id in group.trust_quantities
            },
        )
    choices = [
        (group, _priced_group(group, item, trusts, by_item[item.pk], contracts, money))
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
    """The requisition lines behind held pairs, in one query."""
    if not held:
        return []
    reasons = {(pair.item.pk, pair.trust.pk): pair for pair in held}
    condition = Q()
    for item_id, trust_id in reasons:
        condition |= Q(item_id=item_id, requisition__trust_id=trust_id)
    lines = (
        candidate_lines(cut_off=pooling_round.cut_off)
        .filter(condition)
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
    pair_money: dict[tuple[int, int], pricing.MoneyTotals],
) -> PreviewGroup:
    shares = []
    net = vat = standalone_net = ZERO
    for trust_id in group.trust_quantities:
        standalone_tier, standalone_price = group.standalone[trust_id]
        pair = trust_counts[trust_id]
        if pair.quantity_counts is None:
            share_money = pair_money[(item.pk, trust_id)]
        else:
            share_money = pricing.lines_money(
                quantity_counts=pair.quantity_counts,
                pooled_unit_price=group.unit_price,
                standalone_unit_price=standalone_price,
                vat_rate=item.vat_rate,
            )
        net += share_money.net
        vat += share_money.vat
        standalone_net += share_money.standalone_net
        shares.append(
            PreviewShare(
                trust=trusts[trust_id],
                quantity=group.trust_quantities[trust_id],
                line_count=pair.line_count,
                pair=pair,
                standalone_tier=standalone_tier,
                standalone_unit_price=standalone_price,
                money=share_money,
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
        money=pricing.MoneyTotals(
            net=net,
            vat=vat,
            standalone_net=standalone_net,
            savings=standalone_net - net,
        ),
        next_tier=pricing.next_tier_nudge(group.offer, group.combined_quantity),
    )
