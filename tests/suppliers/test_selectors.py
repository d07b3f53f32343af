"""Choosing the best contract for a trust (DESIGN §5) and contract reads."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from suppliers import selectors
from suppliers.models import Contract, ContractItem
from tests import factories

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 15)


def _offer(item, trusts, price, **contract):
    return factories.contract_item_with_tiers(
        item=item,
        contract__trusts=trusts,
        tiers=[(1, price)],
        **{f"contract__{key}": value for key, value in contract.items()},
    )


def _best(trust, item, quantity=10):
    return selectors.best_quotes_for_trust(
        trust=trust, quantities={item.pk: quantity}, on=DAY
    ).get(item.pk)


def test_picks_the_cheapest_contract_open_to_the_trust(trust):
    """Among contracts open to the trust, the lowest unit price wins."""
    item = factories.ItemFactory()
    _offer(item, [trust], "5.0000", reference="AP-A")
    cheap = _offer(item, [trust], "4.0000", reference="AP-B")
    quote = _best(trust, item)
    assert quote.contract_item == cheap
    assert quote.unit_price == Decimal("4.0000")


def test_compares_prices_at_the_quantity_asked(trust):
    """The tier each contract reaches for the quantity decides."""
    item = factories.ItemFactory()
    factories.contract_item_with_tiers(
        item=item,
        contract__reference="AP-A",
        contract__trusts=[trust],
        tiers=[(1, "5.0000"), (100, "3.0000")],
    )
    _offer(item, [trust], "4.0000", reference="AP-B")
    assert _best(trust, item, 99).contract.reference == "AP-B"
    assert _best(trust, item, 100).contract.reference == "AP-A"
    assert _best(trust, item, 100).tier.min_quantity == 100


def test_tie_goes_to_the_reference_that_sorts_first(trust):
    """Equal prices: the contract whose reference sorts first wins."""
    item = factories.ItemFactory()
    _offer(item, [trust], "4.0000", reference="AP-Z")
    _offer(item, [trust], "4.0000", reference="AP-M")
    _offer(item, [trust], "4.0000", reference="AP-Q")
    assert _best(trust, item).contract.reference == "AP-M"


def test_ignores_contracts_not_open_to_the_trust(trust, other_trust):
    """A cheaper contract the trust does not take part in is not chosen."""
    item = factories.ItemFactory()
    _offer(item, [other_trust], "1.0000", reference="AP-A")
    _offer(item, [trust, other_trust], "6.0000", reference="AP-B")
    assert _best(trust, item).contract.reference == "AP-B"


@pytest.mark.parametrize(
    "status", [Contract.Status.DRAFT, Contract.Status.SUSPENDED, Contract.Status.ENDED]
)
def test_ignores_contracts_not_active(trust, status):
    """Only active contracts price a line."""
    item = factories.ItemFactory()
    _offer(item, [trust], "1.0000", reference="AP-A", status=status)
    _offer(item, [trust], "6.0000", reference="AP-B")
    assert _best(trust, item).contract.reference == "AP-B"


@pytest.mark.parametrize(
    ("start", "end", "in_force"),
    [
        (DAY, DAY, True),  # first and last day both count
        (DAY + datetime.timedelta(days=1), datetime.date(2099, 1, 1), False),
        (datetime.date(2020, 1, 1), DAY - datetime.timedelta(days=1), False),
    ],
)
def test_ignores_contracts_out_of_dates(trust, start, end, in_force):
    """A contract prices only between its start and end dates, inclusive."""
    item = factories.ItemFactory()
    _offer(item, [trust], "1.0000", reference="AP-A", start_date=start, end_date=end)
    _offer(item, [trust], "6.0000", reference="AP-B")
    expected = "AP-A" if in_force else "AP-B"
    assert _best(trust, item).contract.reference == expected


def test_no_contract_open_leaves_the_item_out(trust, other_trust):
    """An item no contract offers the trust has no quote."""
    item = factories.ItemFactory()
    _offer(item, [other_trust], "1.0000")
    assert _best(trust, item) is None


def test_index_linked_price_uses_index_in_force_plus_margin(trust):
    """Fuel is the index in force on the day plus the margin."""
    item = factories.ItemFactory()
    index = factories.FuelPriceIndexFactory()
    factories.FuelIndexPriceFactory(
        index=index, effective_date=DAY, price_per_litre=Decimal("1.3000")
    )
    factories.FuelIndexPriceFactory(
        index=index,
        effective_date=DAY + datetime.timedelta(days=1),
        price_per_litre=Decimal("9.0000"),
    )
    factories.contract_item_with_tiers(
        item=item,
        contract__trusts=[trust],
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=index,
        tiers=[(1, "-0.0200")],
    )
    assert _best(trust, item).unit_price == Decimal("1.2800")


def test_index_linked_without_index_price_is_left_out(trust):
    """Fuel without an index price in force cannot be quoted."""
    item = factories.ItemFactory()
    index = factories.FuelPriceIndexFactory()
    factories.FuelIndexPriceFactory(
        index=index, effective_date=DAY + datetime.timedelta(days=1)
    )
    factories.contract_item_with_tiers(
        item=item,
        contract__trusts=[trust],
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=index,
        tiers=[(1, "0.0500")],
    )
    assert _best(trust, item) is None


def test_contract_without_tiers_is_skipped(trust):
    """A contract item with no tiers yet cannot win."""
    item = factories.ItemFactory()
    factories.ContractItemFactory(item=item, contract__trusts=[trust])
    _offer(item, [trust], "6.0000", reference="AP-Z")
    assert _best(trust, item).contract.reference == "AP-Z"


def test_quotes_several_items_at_once(trust):
    """Each item gets its own best quote in one call."""
    first, second = factories.ItemFactory(), factories.ItemFactory()
    _offer(first, [trust], "1.0000")
    _offer(second, [trust], "2.0000")
    quotes = selectors.best_quotes_for_trust(
        trust=trust, quantities={first.pk: 1, second.pk: 1}, on=DAY
    )
    assert {pk: quote.unit_price for pk, quote in quotes.items()} == {
        first.pk: Decimal("1.0000"),
        second.pk: Decimal("2.0000"),
    }


def test_remaining_ceiling_goes_negative_when_overspent():
    """An overspent contract shows a negative remaining ceiling."""
    contract = factories.ContractFactory(value_ceiling=Decimal("100.00"))
    factories.JointPurchaseOrderFactory(contract=contract, net=Decimal("150.00"))
    found = selectors.contracts_list().get(pk=contract.pk)
    assert found.remaining_ceiling == Decimal("-50.00")


ONE_DAY = datetime.timedelta(days=1)
DATES = {
    "current": (DAY, DAY),
    "future": (DAY + ONE_DAY, DAY + 10 * ONE_DAY),
    "past": (DAY - 10 * ONE_DAY, DAY - ONE_DAY),
}
offers = st.lists(
    st.fixed_dictionaries(
        {
            "price": st.decimals(min_value=0, max_value=20, places=1),
            "open": st.booleans(),
            "status": st.sampled_from(list(Contract.Status)),
            "dates": st.sampled_from(["current", "future", "past"]),
        }
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(offers=offers)
def test_best_quote_is_the_cheapest_eligible_then_first_reference(
    trust, other_trust, offers
):
    """Whatever the mix, the quote is the minimum (price, reference) among
    active contracts in date and open to the trust; none if there is none."""
    item = factories.ItemFactory()  # new each example: earlier ones do not count
    eligible = []
    for number, offer in enumerate(offers):
        start, end = DATES[offer["dates"]]
        reference = f"AP-{item.pk}-{number:02d}"
        factories.contract_item_with_tiers(
            item=item,
            contract__reference=reference,
            contract__trusts=[trust] if offer["open"] else [other_trust],
            contract__status=offer["status"],
            contract__start_date=start,
            contract__end_date=end,
            tiers=[(1, str(offer["price"]))],
        )
        if (
            offer["open"]
            and offer["status"] == Contract.Status.ACTIVE
            and offer["dates"] == "current"
        ):
            eligible.append((offer["price"], reference))
    quote = _best(trust, item)
    if not eligible:
        assert quote is None
    else:
        assert (quote.unit_price, quote.contract.reference) == min(eligible)
