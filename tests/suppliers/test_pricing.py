"""Tier pricing and index-linked fuel as pure functions (DESIGN §3)."""

import datetime
import itertools
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from suppliers.pricing import (
    FIXED,
    INDEX_LINKED,
    PriceUnavailable,
    Tier,
    index_price_in_force,
    next_tier,
    tier_errors,
    tier_for_quantity,
    unit_price,
)

TIERS = [
    Tier(1, Decimal("10.0000")),
    Tier(100, Decimal("9.5000")),
    Tier(500, Decimal("9.0000")),
]


def _tiers(*pairs) -> list[Tier]:
    return [Tier(quantity, Decimal(price)) for quantity, price in pairs]


# --- which tier applies -------------------------------------------------------


@pytest.mark.parametrize(
    ("quantity", "price"),
    [
        (1, "10.0000"),
        (99, "10.0000"),  # one below a break
        (100, "9.5000"),  # exactly at a break
        (101, "9.5000"),  # one above a break
        (499, "9.5000"),
        (500, "9.0000"),
        (10_000_000, "9.0000"),
    ],
)
def test_tier_is_the_largest_break_not_above_the_quantity(quantity, price):
    """The tier with the largest min_quantity <= Q applies."""
    assert unit_price(tiers=TIERS, quantity=quantity) == Decimal(price)


def test_tiers_in_any_order_give_the_same_price():
    """Tiers are sorted before use: order of entry does not matter."""
    shuffled = [TIERS[2], TIERS[0], TIERS[1]]
    assert tier_for_quantity(shuffled, 250) == TIERS[1]


@pytest.mark.parametrize("quantity", [1, 9, 49])
def test_quantity_below_first_tier_takes_first_tier(quantity):
    """Below the first break (e.g. the MOQ) the first tier's price applies."""
    tiers = _tiers((50, "5.0000"), (200, "4.0000"))
    assert tier_for_quantity(tiers, quantity) == tiers[0]
    assert unit_price(tiers=tiers, quantity=quantity) == Decimal("5.0000")


@pytest.mark.parametrize("quantity", [1, 2, 1_000_000])
def test_single_tier_prices_every_quantity(quantity):
    """One tier prices every quantity the same."""
    assert unit_price(tiers=_tiers((1, "3.2100")), quantity=quantity) == Decimal(
        "3.2100"
    )


def test_no_tiers_cannot_be_priced():
    """A contract item without tiers raises rather than guessing a price."""
    with pytest.raises(ValueError, match="at least one price tier"):
        tier_for_quantity([], 5)


@pytest.mark.parametrize(
    ("quantity", "expected"),
    [(1, 100), (99, 100), (100, 500), (499, 500), (500, None), (10_000, None)],
)
def test_next_tier_is_the_first_break_above_the_quantity(quantity, expected):
    """The next tier is the first strictly above; none past the last break."""
    found = next_tier(TIERS, quantity)
    assert (found.min_quantity if found else None) == expected


# --- index-linked fuel --------------------------------------------------------

INDEX = [
    (datetime.date(2026, 1, 5), Decimal("1.2500")),
    (datetime.date(2026, 1, 12), Decimal("1.3000")),
    (datetime.date(2026, 1, 19), Decimal("1.2800")),
]


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (datetime.date(2026, 1, 4), None),  # before the first entry
        (datetime.date(2026, 1, 5), Decimal("1.2500")),  # on its effective date
        (datetime.date(2026, 1, 11), Decimal("1.2500")),  # the day before the next
        (datetime.date(2026, 1, 12), Decimal("1.3000")),
        (datetime.date(2026, 6, 1), Decimal("1.2800")),  # latest stays in force
    ],
)
def test_index_in_force_is_the_latest_effective_on_or_before_the_day(day, expected):
    """The index price in force is the latest with effective date <= day."""
    assert index_price_in_force(INDEX, day) == expected


def test_index_in_force_ignores_entry_order():
    """Entries given out of date order still give the latest in force."""
    assert index_price_in_force(
        list(reversed(INDEX)), datetime.date(2026, 1, 13)
    ) == Decimal("1.3000")


def test_index_with_no_entries_has_nothing_in_force():
    """An index without prices has none in force."""
    assert index_price_in_force([], datetime.date(2026, 1, 1)) is None


def test_index_linked_price_is_index_plus_tier_margin():
    """Unit price = index price in force + the tier's margin per litre."""
    tiers = _tiers((1, "0.0500"), (10_000, "0.0300"))
    assert unit_price(
        tiers=tiers,
        quantity=12_000,
        price_basis=INDEX_LINKED,
        index_price=Decimal("1.2800"),
    ) == Decimal("1.3100")


def test_negative_margin_lowers_the_index_price():
    """A margin may be negative: the price is then below the index."""
    assert unit_price(
        tiers=_tiers((1, "-0.0250")),
        quantity=5_000,
        price_basis=INDEX_LINKED,
        index_price=Decimal("1.3000"),
    ) == Decimal("1.2750")


def test_index_linked_without_index_price_cannot_be_priced():
    """No index price in force: the line is held with code no_index_price."""
    with pytest.raises(PriceUnavailable) as excinfo:
        unit_price(tiers=_tiers((1, "0.0500")), quantity=10, price_basis=INDEX_LINKED)
    assert excinfo.value.code == "no_index_price"


def test_fixed_price_ignores_any_index_price():
    """A fixed-price item takes its tier price whatever an index says."""
    assert unit_price(
        tiers=_tiers((1, "2.0000")),
        quantity=1,
        price_basis=FIXED,
        index_price=Decimal("9.9999"),
    ) == Decimal("2.0000")


# --- tier rules ---------------------------------------------------------------


def test_sound_tiers_have_no_errors():
    """Tiers from 1 with falling prices pass."""
    assert tier_errors(TIERS) == []


def test_first_tier_may_start_at_the_moq():
    """The first tier may start at the minimum order quantity instead of 1."""
    assert tier_errors(_tiers((50, "5"), (100, "4")), minimum_order_quantity=50) == []


def test_no_tiers_is_an_error():
    """A contract item needs at least one tier."""
    assert tier_errors([]) == ["Give at least one price tier."]


@pytest.mark.parametrize(("first", "moq"), [(2, 1), (10, 5), (1, 1)])
def test_first_tier_must_start_at_one_or_the_moq(first, moq):
    """A first tier starting elsewhere than 1 or the MOQ is refused."""
    errors = tier_errors(_tiers((first, "5")), minimum_order_quantity=moq)
    assert bool(errors) is (first not in (1, moq))


def test_rising_price_is_an_error_naming_both_tiers():
    """A price that rises with quantity is refused, naming where."""
    errors = tier_errors(_tiers((1, "5.0000"), (100, "5.5000")))
    assert len(errors) == 1
    assert "100" in errors[0]
    assert "rise" in errors[0]


def test_equal_prices_at_consecutive_breaks_are_allowed():
    """'Never rises' allows a flat step."""
    assert tier_errors(_tiers((1, "5"), (100, "5"))) == []


def test_duplicate_break_is_an_error():
    """Two tiers at one break are refused."""
    errors = tier_errors(_tiers((1, "5"), (100, "4"), (100, "3")))
    assert any("Two tiers start at 100" in error for error in errors)


def test_negative_fixed_price_is_an_error():
    """A fixed unit price may not be negative."""
    errors = tier_errors(_tiers((1, "-0.0100")))
    assert any("negative" in error for error in errors)


def test_negative_margin_is_allowed_for_index_linked():
    """Index-linked margins may be negative."""
    assert tier_errors(_tiers((1, "-0.0100")), price_basis=INDEX_LINKED) == []


def test_zero_break_is_an_error():
    """A tier's minimum quantity is at least 1."""
    errors = tier_errors(_tiers((0, "5"), (1, "4")))
    assert any("at least 1" in error for error in errors)


# --- properties ---------------------------------------------------------------

prices = st.decimals(
    min_value=Decimal("-100"), max_value=Decimal("10000"), places=4, allow_nan=False
)
# Small breaks make duplicates and first-tier mistakes likely; large ones
# reach the 10,000,000 line limit.
breaks = st.integers(min_value=1, max_value=20) | st.integers(
    min_value=1, max_value=10_000_000
)
arbitrary_tiers = st.lists(
    st.builds(Tier, min_quantity=breaks, unit_price=prices), min_size=1, max_size=8
)


@st.composite
def sound_tiers(draw, basis=FIXED):
    """Tiers obeying DESIGN §3, in shuffled order: distinct breaks from 1,
    prices that never rise, not negative unless index-linked."""
    count = draw(st.integers(min_value=1, max_value=8))
    later = draw(
        st.lists(
            st.integers(min_value=2, max_value=10_000_000),
            min_size=count - 1,
            max_size=count - 1,
            unique=True,
        )
    )
    floor = Decimal("-1") if basis == INDEX_LINKED else Decimal("0")
    amounts = draw(
        st.lists(
            st.decimals(min_value=floor, max_value=1000, places=4),
            min_size=count,
            max_size=count,
        )
    )
    tiers = [
        Tier(quantity, price)
        for quantity, price in zip(
            [1, *sorted(later)], sorted(amounts, reverse=True), strict=True
        )
    ]
    return draw(st.permutations(tiers))


@given(basis=st.sampled_from([FIXED, INDEX_LINKED]), data=st.data())
def test_unit_price_never_rises_with_quantity_for_sound_tiers(basis, data):
    """For tiers that pass tier_errors, more units never cost more each."""
    tiers = data.draw(sound_tiers(basis) | arbitrary_tiers)
    assume(not tier_errors(tiers, price_basis=basis))
    low = data.draw(st.integers(min_value=1, max_value=10_000_000))
    high = data.draw(st.integers(min_value=low, max_value=10_000_000))
    index = data.draw(st.decimals(min_value=0, max_value=5, places=4))
    price_at = {
        quantity: unit_price(
            tiers=tiers, quantity=quantity, price_basis=basis, index_price=index
        )
        for quantity in (low, high)
    }
    assert price_at[high] <= price_at[low]


@given(basis=st.sampled_from([FIXED, INDEX_LINKED]), data=st.data())
def test_sound_tiers_built_by_rule_pass(basis, data):
    """Distinct breaks from 1 with prices that never rise always pass."""
    tiers = data.draw(sound_tiers(basis))
    assert tier_errors(tiers, price_basis=basis) == []


@given(
    tiers=sound_tiers() | arbitrary_tiers, moq=st.integers(min_value=1, max_value=30)
)
def test_tier_errors_catch_every_broken_rule(tiers, moq):
    """tier_errors is empty exactly when every rule of DESIGN §3 holds."""
    ordered = sorted(tiers, key=lambda tier: tier.min_quantity)
    quantities = [tier.min_quantity for tier in ordered]
    sound = (
        ordered[0].min_quantity in (1, moq)
        and len(set(quantities)) == len(quantities)
        and all(tier.unit_price >= 0 for tier in ordered)
        and all(
            higher.unit_price <= lower.unit_price
            for lower, higher in itertools.pairwise(ordered)
        )
    )
    assert (tier_errors(tiers, minimum_order_quantity=moq) == []) is sound
