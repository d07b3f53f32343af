"""Allocation money and the choice of pooled groups, as pure functions (DESIGN §5)."""

from collections import Counter
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orders import pricing
from suppliers import pricing as tier_pricing
from suppliers.pricing import Tier

VAT_RATES = [Decimal("0.20"), Decimal("0.05"), Decimal("0.00")]


def _money(quantity, pooled, standalone="0", vat="0.20"):
    return pricing.allocation_money(
        quantity=quantity,
        pooled_unit_price=Decimal(pooled),
        standalone_unit_price=Decimal(standalone),
        vat_rate=Decimal(vat),
    )


@pytest.mark.parametrize(
    ("quantity", "price", "net"),
    [
        (1, "1.0050", "1.01"),  # a half penny rounds up
        (1, "1.0049", "1.00"),
        (3, "0.0050", "0.02"),  # 0.015 rounds up
        (1, "0.0050", "0.01"),
        (7, "0.0021", "0.01"),  # 0.0147
        (11001, "1.2795", "14075.78"),  # 14075.7795
    ],
)
def test_net_is_rounded_half_up_to_the_penny(quantity, price, net):
    """net = quantity × pooled unit price, rounded half up once."""
    assert _money(quantity, price).net == Decimal(net)


def test_vat_is_worked_on_the_rounded_net():
    """VAT is the rounded net times the rate, rounded half up."""
    # 1 × 1.0050 = 1.01 (not 1.005); 1.01 × 0.20 = 0.202 -> 0.20
    assert _money(1, "1.0050").vat == Decimal("0.20")
    # 2.50 × 0.05 = 0.125 -> 0.13
    assert _money(1, "2.5000", vat="0.05").vat == Decimal("0.13")


def test_savings_are_standalone_net_less_pooled_net():
    """savings = standalone_net - net, both rounded first."""
    money = _money(3, "0.0050", standalone="0.0070")
    assert (money.net, money.standalone_net, money.savings) == (
        Decimal("0.02"),
        Decimal("0.02"),  # 0.021
        Decimal("0.00"),
    )


prices = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("9999.9999"), places=4
)
quantities = st.integers(min_value=1, max_value=10_000_000)


@given(
    counts=st.dictionaries(quantities, st.integers(1, 50), min_size=1, max_size=20),
    pooled=prices,
    extra=st.decimals(min_value=0, max_value=Decimal("100"), places=4),
    vat=st.sampled_from(VAT_RATES),
)
def test_lines_money_is_exactly_the_sum_of_each_allocation(counts, pooled, extra, vat):
    """Totals over many lines equal the sum of every line's rounded figures."""
    standalone = pooled + extra
    total = pricing.lines_money(
        quantity_counts=counts,
        pooled_unit_price=pooled,
        standalone_unit_price=standalone,
        vat_rate=vat,
    )
    lines = [
        _money(q, pooled, standalone, vat) for q, n in counts.items() for _ in range(n)
    ]
    assert total.net == sum(m.net for m in lines)
    assert total.vat == sum(m.vat for m in lines)
    assert total.standalone_net == sum(m.standalone_net for m in lines)
    assert total.savings == sum(m.savings for m in lines) >= 0


def test_lines_money_handles_negative_fuel_prices_like_to_pennies():
    """A price below zero (index under a negative margin) rounds half away from
    zero, as ROUND_HALF_UP does."""
    total = pricing.lines_money(
        quantity_counts=Counter({1: 1}),
        pooled_unit_price=Decimal("-0.0050"),
        standalone_unit_price=Decimal("-0.0050"),
        vat_rate=Decimal("0.20"),
    )
    assert total.net == _money(1, "-0.0050", "-0.0050").net == Decimal("-0.01")


# A pair: some (quantity, lines) rows and its prices. Prices are drawn with 4
# places (the integer arrays), with more (Decimal), below zero (a negative
# fuel margin over a low index) or too big for 64 bits (Decimal again).
pair_prices = st.one_of(
    st.decimals(min_value=Decimal("-5"), max_value=Decimal("9999.9999"), places=4),
    st.decimals(min_value=Decimal("0"), max_value=Decimal("50"), places=6),
    st.just(Decimal("99999999.9999")),
)
pairs = st.lists(
    st.tuples(
        st.lists(st.tuples(quantities, st.integers(1, 5)), min_size=1, max_size=6),
        pair_prices,
        pair_prices,
        st.sampled_from([*VAT_RATES, Decimal("0.175")]),
    ),
    min_size=1,
    max_size=8,
)


@given(pairs=pairs, data=st.data())
@settings(max_examples=200)
def test_pairs_pennies_are_exactly_each_pairs_allocations_added_up(pairs, data):
    """Rounding every line of every pair at once, rows in any order, gives per
    pair the sum of its lines' ``allocation_money``: with integer arrays, in
    Decimal, below zero."""
    rows = [
        (number, quantity, lines)
        for number, (pair_rows, *_) in enumerate(pairs)
        for quantity, lines in pair_rows
    ]
    rows = data.draw(st.permutations(rows))
    sums = pricing.pairs_pennies(
        quantities=np.array([q for _, q, _ in rows], dtype=np.int64),
        weights=np.array([n for _, _, n in rows], dtype=np.int64),
        pair_of_row=np.array([number for number, _, _ in rows], dtype=np.int64),
        prices=[(pooled, standalone, vat) for _, pooled, standalone, vat in pairs],
    )
    assert len(sums) == len(pairs)
    for pennies, (pair_rows, pooled, standalone, vat) in zip(sums, pairs, strict=True):
        lines = [
            _money(q, pooled, standalone, vat) for q, n in pair_rows for _ in range(n)
        ]
        money = pennies.money()
        assert money.net == sum(m.net for m in lines)
        assert money.vat == sum(m.vat for m in lines)
        assert money.standalone_net == sum(m.standalone_net for m in lines)
        assert money.savings == sum(m.savings for m in lines)


def test_pairs_pennies_of_no_rows_are_nothing():
    empty = np.zeros(0, dtype=np.int64)
    price = (Decimal("1.00"), Decimal("2.00"), Decimal("0.20"))
    assert pricing.pairs_pennies(
        quantities=empty, weights=empty, pair_of_row=empty, prices=[price]
    ) == [pricing.Pennies(0, 0, 0)]
    assert (
        pricing.pairs_pennies(
            quantities=empty, weights=empty, pair_of_row=empty, prices=[]
        )
        == []
    )


@st.composite
def tier_lists(draw):
    breaks = sorted(draw(st.sets(st.integers(2, 5000), max_size=4)))
    price = draw(st.decimals(min_value=Decimal("1"), max_value=Decimal("50"), places=4))
    tiers = [Tier(1, price)]
    for minimum in breaks:
        price = price - draw(st.decimals(min_value=0, max_value=price / 2, places=4))
        tiers.append(Tier(minimum, price))
    return tuple(tiers)


@given(tiers=tier_lists(), quantity=st.integers(1, 20000))
def test_offer_prices_as_the_supplier_tier_rules_say(tiers, quantity):
    """An offer's price and tier match ``suppliers.pricing`` exactly."""
    offer = pricing.Offer(
        contract_id=1, reference="C", trust_ids=frozenset(), tiers=tiers
    )
    assert offer.tier(quantity) == tier_pricing.tier_for_quantity(tiers, quantity)
    assert offer.price(quantity) == tier_pricing.unit_price(
        tiers=tiers, quantity=quantity
    )


@settings(max_examples=200)
@given(
    offers=st.lists(
        st.tuples(tier_lists(), st.sets(st.integers(1, 4), min_size=1)),
        min_size=1,
        max_size=4,
    ),
    quantities=st.dictionaries(st.integers(1, 4), st.integers(1, 3000), min_size=1),
)
def test_the_chosen_contract_is_never_dearer_than_another_eligible_one(
    offers, quantities
):
    """Each group's contract is the cheapest, for the trusts still unplaced,
    among offers not yet used; every trust is placed once or held."""
    built = [
        pricing.Offer(
            contract_id=n, reference=f"C-{n}", trust_ids=frozenset(trusts), tiers=tiers
        )
        for n, (tiers, trusts) in enumerate(offers)
    ]
    choice = pricing.choose_groups(item_id=1, trust_quantities=quantities, offers=built)
    placed = [t for group in choice.groups for t in group.trust_quantities]
    assert sorted(placed + list(choice.unplaced)) == sorted(quantities)
    remaining, unused = dict(quantities), list(built)
    for group in choice.groups:
        for other in unused:
            open_to = [t for t in remaining if t in other.trust_ids]
            if open_to:
                price = other.price(sum(remaining[t] for t in open_to))
                assert (group.unit_price, group.offer.reference) <= (
                    price,
                    other.reference,
                )
        unused.remove(group.offer)
        for trust in group.trust_quantities:
            del remaining[trust]
        for trust_id, quantity in group.trust_quantities.items():
            # Standalone never cheaper than pooled: savings never negative.
            assert group.standalone[trust_id][1] >= group.unit_price
            assert group.standalone[trust_id][0] == group.offer.tier(quantity)


def test_trusts_left_with_only_unpriced_fuel_are_held_for_the_index():
    """No index price in force: held with ``no_index_price``, not ``no_contract``."""
    fuel = pricing.Offer(
        contract_id=1,
        reference="FUEL",
        trust_ids=frozenset({1}),
        tiers=(Tier(1, Decimal("0.05")),),
        price_basis=tier_pricing.INDEX_LINKED,
        index_price=None,
    )
    choice = pricing.choose_groups(
        item_id=1, trust_quantities={1: 10, 2: 5}, offers=[fuel]
    )
    assert choice.groups == []
    assert choice.unplaced == {
        1: pricing.HELD_NO_INDEX_PRICE,
        2: pricing.HELD_NO_CONTRACT,
    }


def test_ceilings_are_used_up_in_reading_order():
    """A later group sees what earlier groups of the round assigned."""
    offer = pricing.Offer(
        contract_id=7,
        reference="C",
        trust_ids=frozenset({1}),
        tiers=(Tier(1, Decimal(1)),),
    )
    first = pricing.GroupChoice(item_id=1, offer=offer, trust_quantities={1: 60})
    second = pricing.GroupChoice(item_id=2, offer=offer, trust_quantities={1: 50})
    left = pricing.apply_ceilings(
        [(first, Decimal("60.00")), (second, Decimal("50.00"))], {7: Decimal("100.00")}
    )
    assert first.held_reason is None
    assert second.held_reason == pricing.HELD_EXCEEDS_CEILING
    assert left == {7: Decimal("40.00")}


def test_the_next_tier_nudge_states_both_figures():
    """Units needed; savings on the wanted units; change of the whole bill."""
    offer = pricing.Offer(
        contract_id=1,
        reference="C",
        trust_ids=frozenset({1}),
        tiers=(Tier(1, Decimal("10")), Tier(100, Decimal("9.5"))),
    )
    nudge = pricing.next_tier_nudge(offer, 98)
    assert (nudge.units_needed, nudge.extra_savings, nudge.extra_spend) == (
        2,
        Decimal("49.00"),  # 98 × 0.50
        Decimal("-30.00"),  # 100 × 9.50 - 98 × 10
    )
    assert pricing.next_tier_nudge(offer, 100) is None
