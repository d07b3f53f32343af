"""Money of allocations and the choice of pooled groups, as pure functions.

Nothing here touches the database: selectors pass quantities, tiers and
prices in, and every figure a person sees or pays is rounded here, once per
allocation, with ``to_pennies`` (DESIGN §3, §5).
"""

from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

import numpy as np

from alliance_procurement.money import PENNY, ZERO, to_pennies
from suppliers import pricing as tier_pricing
from suppliers.pricing import Tier

# Why a requisition line stays out of a round (DESIGN §5).
HELD_NO_CONTRACT = "no_contract"
HELD_BELOW_MOQ = "below_moq"
HELD_NOT_MULTIPLE = "not_multiple"
HELD_EXCEEDS_CEILING = "exceeds_ceiling"
HELD_NO_INDEX_PRICE = "no_index_price"

HELD_REASONS = {
    HELD_NO_CONTRACT: "No active contract open to this trust carries the item.",
    HELD_BELOW_MOQ: (
        "The combined quantity is below the contract's minimum order quantity."
    ),
    HELD_NOT_MULTIPLE: (
        "The combined quantity is not a multiple of the contract's order multiple."
    ),
    HELD_EXCEEDS_CEILING: "The order would exceed the contract's remaining ceiling.",
    HELD_NO_INDEX_PRICE: "No fuel index price is in force on the pricing date.",
}


@dataclass(frozen=True)
class AllocationMoney:
    """One allocation's figures, each rounded to the penny once."""

    net: Decimal
    vat: Decimal
    standalone_net: Decimal
    savings: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def allocation_money(
    *,
    quantity: int,
    pooled_unit_price: Decimal,
    standalone_unit_price: Decimal,
    vat_rate: Decimal,
) -> AllocationMoney:
    """Price one allocation; each figure is rounded here and nowhere else.

    ``net = quantity × pooled``, ``vat = net × vat_rate``, ``standalone_net =
    quantity × standalone``, each to the penny half up; ``savings =
    standalone_net - net``, never negative since tiers never rise (DESIGN §5).
    """
    net = to_pennies(quantity * pooled_unit_price)
    standalone_net = to_pennies(quantity * standalone_unit_price)
    return AllocationMoney(
        net=net,
        vat=to_pennies(net * vat_rate),
        standalone_net=standalone_net,
        savings=standalone_net - net,
    )


@dataclass(slots=True)
class MoneyTotals:
    """Sums of allocations' rounded figures: never rounded again."""

    net: Decimal = ZERO
    vat: Decimal = ZERO
    standalone_net: Decimal = ZERO
    savings: Decimal = ZERO

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat

    def __add__(self, other: "MoneyTotals") -> "MoneyTotals":
        return MoneyTotals(
            net=self.net + other.net,
            vat=self.vat + other.vat,
            standalone_net=self.standalone_net + other.standalone_net,
            savings=self.savings + other.savings,
        )


def _half_up(numerator: int, denominator: int) -> int:
    """Divide integers rounding half away from zero, as ``ROUND_HALF_UP`` does."""
    half = denominator // 2
    if numerator >= 0:
        return (numerator + half) // denominator
    return -((-numerator + half) // denominator)


def as_integer(value: Decimal, places: int) -> int | None:
    """``value`` in whole units of ``10 ** -places`` (pennies for 2), or
    ``None`` when it has more places than that."""
    scaled = value.scaleb(places)
    return int(scaled) if scaled == scaled.to_integral_value() else None


def lines_money(
    *,
    quantity_counts: Mapping[int, int],
    pooled_unit_price: Decimal,
    standalone_unit_price: Decimal,
    vat_rate: Decimal,
) -> MoneyTotals:
    """Add up the allocations of many lines, given as ``{quantity: lines}``.

    The result is exactly the sum of every line's ``allocation_money``
    (DESIGN §5): lines of equal quantity have equal figures, so each distinct
    quantity is priced once and multiplied by its count. Prices of 4 places
    and rates of 2 are worked in whole ten-thousandths and pennies, which
    gives the same half-up rounding as ``to_pennies`` many times faster.
    """
    pooled = as_integer(pooled_unit_price, 4)
    standalone = as_integer(standalone_unit_price, 4)
    rate = as_integer(vat_rate, 2)
    if pooled is None or standalone is None or rate is None:
        return _lines_money_decimal(
            quantity_counts, pooled_unit_price, standalone_unit_price, vat_rate
        )
    net = vat = standalone_net = 0
    for quantity, count in quantity_counts.items():
        line_net = _half_up(quantity * pooled, 100)
        net += line_net * count
        vat += _half_up(line_net * rate, 100) * count
        standalone_net += _half_up(quantity * standalone, 100) * count
    return MoneyTotals(
        net=Decimal(net).scaleb(-2),
        vat=Decimal(vat).scaleb(-2),
        standalone_net=Decimal(standalone_net).scaleb(-2),
        savings=Decimal(standalone_net - net).scaleb(-2),
    )


def _lines_money_decimal(
    quantity_counts: Mapping[int, int],
    pooled_unit_price: Decimal,
    standalone_unit_price: Decimal,
    vat_rate: Decimal,
) -> MoneyTotals:
    total = MoneyTotals()
    for quantity, count in quantity_counts.items():
        money = allocation_money(
            quantity=quantity,
            pooled_unit_price=pooled_unit_price,
            standalone_unit_price=standalone_unit_price,
            vat_rate=vat_rate,
        )
        total += MoneyTotals(
            net=money.net * count,
            vat=money.vat * count,
            standalone_net=money.standalone_net * count,
            savings=money.savings * count,
        )
    return total


# Above this no product or sum of whole units is worked in 64-bit arrays.
_INT64_LIMIT = 2**62


def _half_up_hundredths(values: np.ndarray) -> np.ndarray:
    """Integers / 100 rounded half away from zero, as ``_half_up`` does."""
    return np.where(values < 0, -((50 - values) // 100), (values + 50) // 100)


def _half_up_positive_hundredths(values: np.ndarray) -> np.ndarray:
    """``_half_up_hundredths`` for values none of which is below zero."""
    return (values + 50) // 100


def _whole_units(
    prices: Sequence[tuple[Decimal, Decimal, Decimal]],
) -> tuple[list[int], list[int], list[int]] | None:
    """Pooled and standalone prices in ten-thousandths and rates in
    hundredths, as three columns, or ``None`` when one has more places.

    Tens of thousands of runs share a few thousand price objects (their
    tiers') and three rates: each object is converted once, looked up by
    identity, which is many times cheaper than hashing a ``Decimal``.
    """
    columns: tuple[list[int], list[int], list[int]] = ([], [], [])
    for column, values, places in zip(
        columns, zip(*prices, strict=True), (4, 4, 2), strict=True
    ):
        seen: dict[int, int | None] = {}
        for value in values:
            try:
                number = seen[id(value)]
            except KeyError:
                number = seen[id(value)] = as_integer(value, places)
            if number is None:
                return None
            column.append(number)
    return columns


class Pennies(NamedTuple):
    """Sums of allocations' rounded figures, in whole pennies."""

    net: int
    vat: int
    standalone_net: int

    def money(self) -> MoneyTotals:
        # Whole pennies times a penny: exact, and the quickest way to a Decimal.
        return MoneyTotals(
            net=Decimal(self.net) * PENNY,
            vat=Decimal(self.vat) * PENNY,
            standalone_net=Decimal(self.standalone_net) * PENNY,
            savings=Decimal(self.standalone_net - self.net) * PENNY,
        )


def pairs_pennies(
    *,
    quantities: np.ndarray,
    weights: np.ndarray,
    pair_of_row: np.ndarray,
    prices: Sequence[tuple[Decimal, Decimal, Decimal]],
) -> list[Pennies]:
    """Add up the allocations of many pairs' lines at once, one sum per pair.

    Row ``r`` of ``quantities`` and ``weights`` stands for ``weights[r]``
    lines of ``quantities[r]`` units of pair ``pair_of_row[r]``; ``prices[i]``
    is pair ``i``'s pooled unit price, standalone unit price and VAT rate.
    Each sum is exactly that of its lines' ``allocation_money``, as
    ``lines_money`` gives it: here every line is rounded in one pass over
    64-bit integer arrays (whole ten-thousandths and pennies, the same
    half-up rounding), which takes milliseconds for a million lines. When a
    price has more than 4 places, a rate more than 2, or a figure could
    reach 2**62, each pair's lines go through ``lines_money`` instead.
    """
    if not len(quantities):
        return [Pennies(0, 0, 0)] * len(prices)
    whole = _whole_units(prices)
    if whole is None or not _fits_int64(quantities, weights, whole):
        return _pairs_pennies_in_decimal(quantities, weights, pair_of_row, prices)
    columns = [np.array(column, dtype=np.int64) for column in whole]
    # Prices below zero (an index under a negative margin) are rare: without
    # them every figure is rounded with one addition and one division.
    half_up = (
        _half_up_hundredths
        if min(int(column.min()) for column in columns) < 0 or int(quantities.min()) < 0
        else _half_up_positive_hundredths
    )
    pooled, standalone, rate = (column[pair_of_row] for column in columns)
    net = half_up(quantities * pooled)
    vat = half_up(net * rate)
    standalone_net = half_up(quantities * standalone)
    sums = [
        pair_sums(values * weights, pair_of_row, len(prices))
        for values in (net, vat, standalone_net)
    ]
    return list(map(Pennies, *sums))


def _pairs_pennies_in_decimal(quantities, weights, pair_of_row, prices):
    counts: list[dict[int, int]] = [{} for _ in prices]
    for pair, quantity, weight in zip(
        pair_of_row.tolist(), quantities.tolist(), weights.tolist(), strict=True
    ):
        counts[pair][quantity] = counts[pair].get(quantity, 0) + weight
    return [
        _as_pennies(
            lines_money(
                quantity_counts=quantity_counts,
                pooled_unit_price=pooled,
                standalone_unit_price=standalone,
                vat_rate=vat_rate,
            )
        )
        for quantity_counts, (pooled, standalone, vat_rate) in zip(
            counts, prices, strict=True
        )
    ]


def _as_pennies(money: MoneyTotals) -> Pennies:
    return Pennies(
        as_integer(money.net, 2),
        as_integer(money.vat, 2),
        as_integer(money.standalone_net, 2),
    )


def _fits_int64(quantities: np.ndarray, weights: np.ndarray, whole) -> bool:
    """Whether every product, line and running sum stays below 2**62."""
    pooled, standalone, rates = whole
    largest_price = max(max(map(abs, pooled)), max(map(abs, standalone)))
    largest_rate = max(max(map(abs, rates)), 1)
    largest_quantity = int(np.abs(quantities).max())
    line_net = (largest_quantity * largest_price + 50) // 100 + 1
    lines = int(np.abs(weights).sum())
    return (
        largest_quantity * largest_price + 100 < _INT64_LIMIT
        and lines * line_net * largest_rate < _INT64_LIMIT
    )


def pair_sums(values: np.ndarray, pair_of_row: np.ndarray, pairs: int) -> list[int]:
    """Sum of ``values`` per pair: row ``r`` adds to pair ``pair_of_row[r]``,
    in 64-bit integers (exact), as Python integers."""
    sums = np.zeros(pairs, dtype=np.int64)
    np.add.at(sums, pair_of_row, values)
    return sums.tolist()


# --- Choosing pooled groups (DESIGN §5) --------------------------------------


@dataclass(frozen=True)
class Offer:
    """One active contract's terms for one item, as plain values."""

    contract_id: int
    reference: str
    trust_ids: frozenset[int]
    tiers: tuple[Tier, ...]
    minimum_order_quantity: int = 1
    order_multiple: int = 1
    price_basis: str = tier_pricing.FIXED
    index_price: Decimal | None = None
    contract_item_id: int | None = None
    supplier_code: str = ""
    _breaks: tuple[int, ...] = field(default=(), init=False, repr=False, compare=False)

    def __post_init__(self):
        ordered = tuple(sorted(self.tiers))
        object.__setattr__(self, "tiers", ordered)
        object.__setattr__(
            self, "_breaks", tuple(tier.min_quantity for tier in ordered)
        )

    def tier(self, quantity: int) -> Tier:
        """The tier ``quantity`` reaches, as ``suppliers.pricing`` defines it."""
        if not self.tiers:
            raise ValueError("A contract item needs at least one price tier.")
        return self.tiers[max(bisect_right(self._breaks, quantity) - 1, 0)]

    def price(self, quantity: int) -> Decimal:
        """Unit price for ``quantity``; raises ``PriceUnavailable`` (no index)."""
        return self.tier_and_price(quantity)[1]

    def tier_and_price(self, quantity: int) -> tuple[Tier, Decimal]:
        """The tier ``quantity`` reaches and its unit price (see ``price``)."""
        tier = self.tier(quantity)
        if self.price_basis == tier_pricing.INDEX_LINKED:
            if self.index_price is None:
                raise tier_pricing.PriceUnavailable(
                    HELD_REASONS[HELD_NO_INDEX_PRICE], code=HELD_NO_INDEX_PRICE
                )
            return tier, self.index_price + tier.unit_price
        return tier, tier.unit_price

    @property
    def is_priceable(self) -> bool:
        return self.price_basis != tier_pricing.INDEX_LINKED or (
            self.index_price is not None
        )


@dataclass(frozen=True)
class NextTier:
    """What reaching the next tier would mean for a group, shown honestly.

    ``extra_savings``: how much less the quantity already wanted would cost
    at the next tier's price. ``extra_spend``: how the group's bill would
    change if it bought exactly the next tier's minimum instead (positive:
    more money; it may be negative when the bigger order costs less).
    """

    min_quantity: int
    unit_price: Decimal
    units_needed: int
    extra_savings: Decimal
    extra_spend: Decimal


def next_tier_nudge(offer: Offer, combined_quantity: int) -> NextTier | None:
    """Return the next tier above ``combined_quantity`` and what it would bring.

    Both figures are to the penny over the whole quantity (the order is one
    line): ``extra_savings = q × now - q × next``, ``extra_spend = min × next
    - q × now``. ``None`` when no higher tier exists or the offer cannot be
    priced.
    """
    upper = tier_pricing.next_tier(offer.tiers, combined_quantity)
    if upper is None or not offer.is_priceable:
        return None
    now = offer.price(combined_quantity)
    then = offer.price(upper.min_quantity)
    current_net = to_pennies(combined_quantity * now)
    return NextTier(
        min_quantity=upper.min_quantity,
        unit_price=then,
        units_needed=upper.min_quantity - combined_quantity,
        extra_savings=current_net - to_pennies(combined_quantity * then),
        extra_spend=to_pennies(upper.min_quantity * then) - current_net,
    )


@dataclass
class GroupChoice:
    """The contract chosen for some trusts' lines of one item."""

    item_id: int
    offer: Offer
    trust_quantities: dict[int, int]  # trust id -> that trust's combined quantity
    held_reason: str | None = None
    unit_price: Decimal | None = None
    tier: Tier | None = None
    standalone: dict[int, tuple[Tier, Decimal]] = field(default_factory=dict)

    @property
    def combined_quantity(self) -> int:
        return sum(self.trust_quantities.values())


@dataclass
class ItemChoice:
    """Every group formed for one item, and the trusts left without a contract."""

    groups: list[GroupChoice]
    unplaced: dict[int, str]  # trust id -> held reason


def choose_groups(
    *, item_id: int, trust_quantities: Mapping[int, int], offers: Sequence[Offer]
) -> ItemChoice:
    """Split one item's trusts into groups, each on its cheapest contract.

    Among the offers open to at least one remaining trust, the one with the
    lowest unit price for the combined quantity of the trusts it is open to
    wins; ties go to the reference that sorts first. Those trusts form the
    group; the rest go through the same choice among the remaining offers
    (DESIGN §5). An offer that cannot be priced (no index price in force) is
    never chosen; trusts left with only such offers are held with
    ``no_index_price``, trusts with none at all with ``no_contract``.

    Each group is priced at its combined quantity; each trust's standalone
    price is the tier its own quantity reaches on the same contract. Minimum
    order quantity and order multiple are checked on the combined quantity;
    the ceiling is checked by ``apply_ceilings`` once money is known.
    """
    remaining = {t: q for t, q in trust_quantities.items() if q > 0}
    candidates = sorted(offers, key=lambda offer: offer.reference)
    groups: list[GroupChoice] = []
    while remaining and candidates:
        best: tuple[Decimal, str, Offer, dict[int, int]] | None = None
        for offer in candidates:
            open_to = {t: q for t, q in remaining.items() if t in offer.trust_ids}
            if not open_to or not offer.is_priceable:
                continue
            price = offer.price(sum(open_to.values()))
            if best is None or (price, offer.reference) < (best[0], best[1]):
                best = (price, offer.reference, offer, open_to)
        if best is None:
            break
        price, _reference, offer, open_to = best
        combined = sum(open_to.values())
        group = GroupChoice(
            item_id=item_id,
            offer=offer,
            trust_quantities=dict(sorted(open_to.items())),
            unit_price=price,
            tier=offer.tier(combined),
            standalone={
                trust_id: offer.tier_and_price(quantity)
                for trust_id, quantity in open_to.items()
            },
        )
        if combined < offer.minimum_order_quantity:
            group.held_reason = HELD_BELOW_MOQ
        elif combined % offer.order_multiple:
            group.held_reason = HELD_NOT_MULTIPLE
        groups.append(group)
        candidates.remove(offer)
        for trust_id in open_to:
            del remaining[trust_id]
    unplaced = {}
    for trust_id in remaining:
        open_offers = [offer for offer in offers if trust_id in offer.trust_ids]
        unplaced[trust_id] = (
            HELD_NO_INDEX_PRICE
            if any(not offer.is_priceable for offer in open_offers)
            else HELD_NO_CONTRACT
        )
    return ItemChoice(groups=groups, unplaced=unplaced)


def apply_ceilings(
    groups: Iterable[tuple[GroupChoice, Decimal]],
    remaining_ceilings: Mapping[int, Decimal],
) -> dict[int, Decimal]:
    """Hold groups whose net would exceed their contract's remaining ceiling.

    ``groups`` pairs each group (in the order a person reads them) with its
    net; ``remaining_ceilings`` gives per contract the ceiling less the net of
    its orders that are not cancelled. Each group kept uses up its net, so a
    later group sees what this round already assigns (DESIGN §5). Return what
    is left per contract.
    """
    left = dict(remaining_ceilings)
    for group, net in groups:
        if group.held_reason:
            continue
        contract_id = group.offer.contract_id
        if net > left.get(contract_id, ZERO):
            group.held_reason = HELD_EXCEEDS_CEILING
        else:
            left[contract_id] = left.get(contract_id, ZERO) - net
    return left
