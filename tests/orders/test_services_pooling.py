"""Pooling rounds: preview, held lines and commit (DESIGN §5)."""

import datetime
import gc
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import timezone

from orders import pricing
from orders.models import (
    Allocation,
    JointPurchaseOrder,
    OrderLine,
    OrderNumberCounter,
    OrderShare,
    PoolingRound,
    Requisition,
    RequisitionEvent,
)
from orders.selectors import pooling as selectors
from orders.services import pooling as services
from tests.factories import (
    AllocationFactory,
    ApprovedRequisitionLineFactory,
    ContractFactory,
    FuelIndexPriceFactory,
    FuelPriceIndexFactory,
    ItemFactory,
    JointPurchaseOrderFactory,
    PoolingRoundFactory,
    TrustFactory,
    contract_item_with_tiers,
)
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db

TIERS = [(1, "10.0000"), (100, "8.0000"), (500, "7.5000")]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Every requisition brings a requester; hashing their passwords slowly
    # would only slow the suite.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def trusts(db):
    return [
        TrustFactory(code="WMAS"),
        TrustFactory(code="SECAMB"),
        TrustFactory(code="SWASFT"),
    ]


@pytest.fixture
def item(db):
    return ItemFactory(sku="GLOVE-M", vat_rate=Decimal("0.20"))


def _round(**kwargs):
    return PoolingRoundFactory(cut_off=timezone.now(), **kwargs)


def _line(trust, item, quantity, **kwargs):
    return ApprovedRequisitionLineFactory(
        requisition__trust=trust, item=item, quantity=quantity, **kwargs
    )


def _held_reasons(preview):
    return {(pair.item.sku, pair.trust.code): pair.reason for pair in preview.held}


def test_preview_pools_every_trust_on_one_contract(trusts, item):
    """Lines of one item from trusts a contract is open to form one group."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    for trust, quantity in zip(trusts, (60, 30, 20), strict=True):
        _line(trust, item, quantity)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    [group] = preview.groups
    assert group.combined_quantity == 110
    assert group.tier.min_quantity == 100
    assert group.unit_price == Decimal("8.0000")
    assert [share.trust.code for share in group.shares] == ["SECAMB", "SWASFT", "WMAS"]
    assert preview.held == []


def test_preview_prices_each_trust_alone_at_the_tier_its_own_quantity_reaches(
    trusts, item
):
    """The standalone price is the tier a trust's own quantity reaches."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    _line(trusts[0], item, 60)
    _line(trusts[0], item, 50)
    _line(trusts[1], item, 30)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    shares = {share.trust.code: share for share in preview.groups[0].shares}
    assert shares["WMAS"].quantity == 110
    assert shares["WMAS"].standalone_unit_price == Decimal("8.0000")
    assert shares["SECAMB"].standalone_unit_price == Decimal("10.0000")
    assert shares["SECAMB"].money.savings == Decimal("60.00")  # 30 × (10 - 8)
    assert shares["WMAS"].money.savings == Decimal("0.00")
    assert preview.groups[0].money.savings == Decimal("60.00")


def test_preview_picks_the_contract_cheapest_for_the_combined_quantity(trusts, item):
    """Among active contracts the lowest unit price for the combined quantity wins."""
    contract_item_with_tiers(
        tiers=[(1, "9.0000")],
        item=item,
        contract=ContractFactory(reference="A-FLAT", trusts=trusts),
    )
    cheap = ContractFactory(reference="B-TIERED", trusts=trusts)
    contract_item_with_tiers(tiers=TIERS, item=item, contract=cheap)
    _line(trusts[0], item, 80)
    _line(trusts[1], item, 40)
    [group] = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert group.contract == cheap
    assert group.unit_price == Decimal("8.0000")


def test_preview_breaks_a_price_tie_by_contract_reference(trusts, item):
    """Equal prices go to the contract whose reference sorts first."""
    first = ContractFactory(reference="AAA-1", trusts=trusts)
    contract_item_with_tiers(tiers=[(1, "5.0000")], item=item, contract=first)
    contract_item_with_tiers(
        tiers=[(1, "5.0000")],
        item=item,
        contract=ContractFactory(reference="ZZZ-1", trusts=trusts),
    )
    _line(trusts[0], item, 5)
    [group] = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert group.contract == first


def test_trusts_a_contract_is_not_open_to_go_to_the_next_contract(trusts, item):
    """Lines of trusts outside the cheapest contract are grouped on another one."""
    narrow = ContractFactory(reference="NARROW", trusts=trusts[:2])
    contract_item_with_tiers(tiers=[(1, "4.0000")], item=item, contract=narrow)
    wide = ContractFactory(reference="WIDE", trusts=trusts)
    contract_item_with_tiers(tiers=[(1, "6.0000")], item=item, contract=wide)
    for trust in trusts:
        _line(trust, item, 10)
    groups = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert [(g.contract.reference, g.combined_quantity) for g in groups] == [
        ("NARROW", 20),
        ("WIDE", 10),
    ]
    assert [s.trust.code for s in groups[1].shares] == ["SWASFT"]


def test_contracts_not_active_on_the_pricing_date_are_not_used(trusts, item):
    """Only contracts active on the round's pricing date can be chosen."""
    contract_item_with_tiers(
        tiers=[(1, "1.0000")],
        item=item,
        contract=ContractFactory(
            trusts=trusts, end_date=datetime.date(2021, 1, 1), reference="OLD"
        ),
    )
    _line(trusts[0], item, 10)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    assert preview.groups == []
    assert _held_reasons(preview) == {("GLOVE-M", "WMAS"): pricing.HELD_NO_CONTRACT}


def test_a_line_with_no_contract_open_to_its_trust_is_held(trusts, item):
    """No active contract open to the trust: held with ``no_contract``."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts[:1])
    )
    _line(trusts[0], item, 10)
    _line(trusts[2], item, 10)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    assert _held_reasons(preview) == {("GLOVE-M", "SWASFT"): pricing.HELD_NO_CONTRACT}
    [held] = preview.held_lines()
    assert held.requisition_line.requisition.trust == trusts[2]
    assert held.message == pricing.HELD_REASONS[pricing.HELD_NO_CONTRACT]


def test_held_lines_are_exactly_those_of_the_held_pairs(trusts, item):
    """Lines of a held item for another trust, or of another held pair's
    trust for this item, are not held lines: only the pairs themselves."""
    other = ItemFactory(sku="APRON")
    lines = {
        (line.item.sku, line.requisition.trust.code): line
        for line in (
            _line(trust, each, 5) for trust in trusts for each in (item, other)
        )
    }
    held = [
        selectors.HeldPair(
            item=each,
            trust=trust,
            quantity=5,
            line_count=1,
            reason=pricing.HELD_NO_CONTRACT,
        )
        for each, trust in ((item, trusts[0]), (other, trusts[2]))
    ]
    found = selectors.held_lines_for(_round(), held)
    assert [held_line.requisition_line for held_line in found] == [
        lines[("APRON", "SWASFT")],
        lines[("GLOVE-M", "WMAS")],
    ]
    assert {held_line.reason for held_line in found} == {pricing.HELD_NO_CONTRACT}


def test_a_group_below_the_minimum_order_quantity_is_held(trusts, item):
    """A combined quantity below the contract's MOQ is held, though each line may be."""
    contract_item_with_tiers(
        tiers=[(50, "3.0000")],
        item=item,
        contract=ContractFactory(trusts=trusts),
        minimum_order_quantity=50,
    )
    _line(trusts[0], item, 20)
    _line(trusts[1], item, 29)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    assert preview.groups == []
    assert set(_held_reasons(preview).values()) == {pricing.HELD_BELOW_MOQ}


def test_lines_below_the_moq_alone_are_pooled_when_combined_they_reach_it(trusts, item):
    """Pooling decides whether the combined quantity reaches the MOQ (DESIGN §3)."""
    contract_item_with_tiers(
        tiers=[(50, "3.0000")],
        item=item,
        contract=ContractFactory(trusts=trusts),
        minimum_order_quantity=50,
    )
    _line(trusts[0], item, 20)
    _line(trusts[1], item, 30)
    [group] = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert group.combined_quantity == 50


def test_a_group_not_a_multiple_of_the_order_multiple_is_held(trusts, item):
    """The combined quantity must be a multiple of the contract's order multiple."""
    contract_item_with_tiers(
        tiers=TIERS,
        item=item,
        contract=ContractFactory(trusts=trusts),
        order_multiple=12,
    )
    _line(trusts[0], item, 12)
    _line(trusts[1], item, 13)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    assert set(_held_reasons(preview).values()) == {pricing.HELD_NOT_MULTIPLE}


def test_a_group_over_the_remaining_ceiling_is_held(trusts, item):
    """Ceiling less committed orders less this round's earlier groups must cover it."""
    contract = ContractFactory(trusts=trusts, value_ceiling=Decimal("1000.00"))
    contract_item_with_tiers(tiers=[(1, "10.0000")], item=item, contract=contract)
    other_item = ItemFactory(sku="APRON")
    contract_item_with_tiers(tiers=[(1, "10.0000")], item=other_item, contract=contract)
    JointPurchaseOrderFactory(contract=contract, net=Decimal("300.00"))
    _line(trusts[0], other_item, 50)  # 500.00: fits, leaves 200.00
    _line(trusts[0], item, 21)  # 210.00: over what is left
    preview = selectors.pooling_round_preview(pooling_round=_round())
    assert [g.item.sku for g in preview.groups] == ["APRON"]
    assert _held_reasons(preview) == {("GLOVE-M", "WMAS"): pricing.HELD_EXCEEDS_CEILING}
    assert preview.remaining_ceilings[contract.pk] == Decimal("200.00")


def test_cancelled_orders_do_not_count_against_the_ceiling(trusts, item):
    """The committed value is the net of orders that are not cancelled."""
    contract = ContractFactory(trusts=trusts, value_ceiling=Decimal("100.00"))
    contract_item_with_tiers(tiers=[(1, "10.0000")], item=item, contract=contract)
    JointPurchaseOrderFactory(
        contract=contract,
        net=Decimal("100.00"),
        status=JointPurchaseOrder.Status.CANCELLED,
    )
    _line(trusts[0], item, 10)
    assert len(selectors.pooling_round_preview(pooling_round=_round()).groups) == 1


def test_fuel_without_an_index_price_in_force_is_held(trusts):
    """An index-linked item with no index entry on the pricing date is held."""
    diesel = ItemFactory(sku="DIESEL", unit="litre", kind="fuel")
    index = FuelPriceIndexFactory()
    FuelIndexPriceFactory(index=index, effective_date=datetime.date(2099, 1, 1))
    contract_item_with_tiers(
        tiers=[(1, "0.0500")],
        item=diesel,
        contract=ContractFactory(trusts=trusts),
        price_basis="index_linked",
        fuel_index=index,
    )
    _line(trusts[0], diesel, 1000)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    assert _held_reasons(preview) == {("DIESEL", "WMAS"): pricing.HELD_NO_INDEX_PRICE}


def test_index_linked_fuel_is_priced_at_index_plus_margin_by_hand(trusts):
    """Fuel: index in force + tier margin; savings = margin difference × litres."""
    diesel = ItemFactory(sku="DIESEL", unit="litre", kind="fuel", vat_rate="0.20")
    index = FuelPriceIndexFactory()
    FuelIndexPriceFactory(
        index=index,
        effective_date=datetime.date(2020, 1, 1),
        price_per_litre=Decimal("1.1000"),
    )
    FuelIndexPriceFactory(
        index=index,
        effective_date=datetime.date(2025, 6, 1),
        price_per_litre=Decimal("1.2345"),
    )
    contract_item_with_tiers(
        tiers=[(1, "0.0800"), (10000, "0.0450"), (50000, "-0.0100")],
        item=diesel,
        contract=ContractFactory(trusts=trusts),
        price_basis="index_linked",
        fuel_index=index,
    )
    _line(trusts[0], diesel, 7001)
    _line(trusts[1], diesel, 4000)
    preview = selectors.pooling_round_preview(pooling_round=_round())
    [group] = preview.groups
    # 11,001 litres reach the 10,000 tier: 1.2345 + 0.0450 = 1.2795 a litre.
    assert group.unit_price == Decimal("1.2795")
    shares = {share.trust.code: share for share in group.shares}
    wmas = shares["WMAS"]
    assert wmas.standalone_unit_price == Decimal("1.3145")  # 1.2345 + 0.0800
    assert wmas.money.net == Decimal("8957.78")  # 7001 × 1.2795 = 8957.7795
    assert wmas.money.vat == Decimal("1791.56")  # 8957.78 × 0.20 = 1791.556
    assert wmas.money.standalone_net == Decimal("9202.81")  # 7001 × 1.3145
    assert wmas.money.savings == Decimal("245.03")  # 7001 × 0.0350 = 245.035
    assert shares["SECAMB"].money.savings == Decimal("140.00")  # 4000 × 0.0350
    # The next tier is 50,000 litres at a 1 p discount on the index.
    assert group.next_tier.units_needed == 38999
    assert group.next_tier.unit_price == Decimal("1.2245")
    # 11001 × 1.2795 = 14075.78 now; 11001 × 1.2245 = 13470.72 at that tier.
    assert group.next_tier.extra_savings == Decimal("605.06")


def test_the_next_tier_nudge_is_shown_honestly(trusts, item):
    """Units to the next tier, what the wanted units would save there, and the
    change in the bill if the group bought exactly that tier's minimum."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    _line(trusts[0], item, 90)
    [group] = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert group.next_tier.min_quantity == 100
    assert group.next_tier.units_needed == 10
    assert group.next_tier.extra_savings == Decimal("180.00")  # 90 × (10 - 8)
    assert group.next_tier.extra_spend == Decimal("-100.00")  # 800 - 900


def test_the_top_tier_has_no_nudge(trusts, item):
    """No next tier, no nudge."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    _line(trusts[0], item, 600)
    [group] = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert group.next_tier is None


def test_lines_submitted_after_the_cut_off_wait_for_a_later_round(trusts, item):
    """Only lines submitted before the cut-off are gathered."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    _line(trusts[0], item, 10)
    pooling_round = PoolingRoundFactory(
        cut_off=timezone.now() - datetime.timedelta(hours=2)
    )
    assert selectors.pooling_round_preview(pooling_round=pooling_round).groups == []


def test_only_lines_of_approved_requisitions_are_gathered(trusts, item):
    """Draft, submitted, rejected or cancelled requisitions are not pooled."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    for status in ("draft", "submitted", "rejected", "cancelled", "ordered"):
        _line(trusts[0], item, 10, requisition__status=status)
    assert selectors.pooling_round_preview(pooling_round=_round()).groups == []


def test_a_line_pooled_on_a_live_order_is_not_gathered_again(trusts, item):
    """A line with a live allocation is already pooled."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts)
    )
    allocation = AllocationFactory(order_line__item=item, share__trust=trusts[0])
    line = allocation.requisition_line
    line.requisition.submitted_at = timezone.now() - datetime.timedelta(hours=1)
    line.requisition.save()
    assert selectors.pooling_round_preview(pooling_round=_round()).groups == []
    Allocation.objects.filter(pk=allocation.pk).update(is_cancelled=True)
    [group] = selectors.pooling_round_preview(pooling_round=_round()).groups
    assert group.combined_quantity == line.quantity


# --- commit ----------------------------------------------------------------


@pytest.fixture
def pooled_setup(trusts, item, buyer):
    contract_a = ContractFactory(reference="C-A", trusts=trusts)
    contract_b = ContractFactory(reference="C-B", trusts=trusts)
    contract_item_with_tiers(tiers=TIERS, item=item, contract=contract_a)
    apron = ItemFactory(sku="APRON", vat_rate=Decimal("0.05"))
    contract_item_with_tiers(
        tiers=[(1, "0.3333"), (40, "0.2999")], item=apron, contract=contract_b
    )
    lines = [
        _line(trusts[0], item, 60),
        _line(trusts[0], item, 7),
        _line(trusts[1], item, 45),
        _line(trusts[2], apron, 33),
        _line(trusts[1], apron, 11),
    ]
    return {"round": _round(), "lines": lines, "buyer": buyer}


def test_commit_makes_one_order_per_contract_with_gapless_numbers(pooled_setup):
    """One draft order per contract, numbered AP-<year>-<6 digits> from 1."""
    orders = services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    year = timezone.localdate().year
    assert [o.number for o in orders] == [f"AP-{year}-000001", f"AP-{year}-000002"]
    assert [o.contract.reference for o in orders] == ["C-A", "C-B"]
    assert {o.status for o in orders} == {JointPurchaseOrder.Status.DRAFT}
    assert OrderNumberCounter.objects.get(year=year).last_number == 2


def test_commit_writes_one_line_per_item_one_share_per_trust_one_allocation_per_line(
    pooled_setup,
):
    """Order lines per item, shares per trust with their references, allocations
    per requisition line."""
    orders = services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    first = orders[0]
    assert first.lines.get().quantity == 112
    assert sorted(first.shares.values_list("reference", flat=True)) == [
        f"{first.number}/SECAMB",
        f"{first.number}/WMAS",
    ]
    assert Allocation.objects.count() == 5
    for line in pooled_setup["lines"]:
        assert line.allocations.get().quantity == line.quantity


def test_committed_figures_add_up_to_the_penny(pooled_setup):
    """Allocations add up to lines and shares; lines and shares to orders."""
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    fields = ("net", "vat", "standalone_net", "savings")
    sums = {f: Sum(f) for f in fields}
    for line in OrderLine.objects.all():
        assert line.allocations.aggregate(**sums) == {
            f: getattr(line, f) for f in fields
        }
    for share in OrderShare.objects.all():
        assert share.allocations.aggregate(**sums) == {
            f: getattr(share, f) for f in fields
        }
    for order in JointPurchaseOrder.objects.all():
        expected = {f: getattr(order, f) for f in fields}
        assert order.lines.aggregate(**sums) == expected
        assert order.shares.aggregate(**sums) == expected


def test_each_allocation_is_rounded_half_up_once(pooled_setup):
    """net = q × pooled, vat = net × rate, each to the penny half up."""
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    for allocation in Allocation.objects.select_related("order_line__item"):
        money = pricing.allocation_money(
            quantity=allocation.quantity,
            pooled_unit_price=allocation.unit_price,
            standalone_unit_price=allocation.standalone_unit_price,
            vat_rate=allocation.order_line.item.vat_rate,
        )
        assert (allocation.net, allocation.vat) == (money.net, money.vat)
        assert allocation.standalone_net == money.standalone_net
        assert allocation.savings == money.savings
    # 33 aprons alone: 33 × 0.3333 = 10.9989 -> 11.00; pooled 44 reach 0.2999.
    apron = Allocation.objects.get(quantity=33)
    assert (apron.net, apron.standalone_net, apron.vat) == (
        Decimal("9.90"),
        Decimal("11.00"),
        Decimal("0.50"),
    )


def test_commit_records_a_pooled_event_per_requisition_and_commits_the_round(
    pooled_setup,
):
    """Every pooled requisition gets a ``pooled`` event; the round is committed."""
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    events = RequisitionEvent.objects.filter(action=RequisitionEvent.Action.POOLED)
    assert events.count() == 5
    assert {e.actor for e in events} == {pooled_setup["buyer"]}
    pooling_round = PoolingRound.objects.get(pk=pooled_setup["round"].pk)
    assert pooling_round.status == PoolingRound.Status.COMMITTED
    assert pooling_round.committed_by == pooled_setup["buyer"]


def test_committing_a_committed_round_changes_nothing(pooled_setup):
    """A second commit returns the same orders and writes nothing."""
    first = services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    again = services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    assert again == first
    assert Allocation.objects.count() == 5
    assert RequisitionEvent.objects.count() == 5


def test_held_lines_are_not_committed(trusts, item, buyer):
    """Held lines stay approved and unpooled."""
    contract_item_with_tiers(
        tiers=TIERS, item=item, contract=ContractFactory(trusts=trusts[:1])
    )
    _line(trusts[0], item, 10)
    held = _line(trusts[1], item, 10)
    services.pooling_round_commit(round_id=_round().pk, buyer=buyer)
    assert not held.allocations.exists()
    held.requisition.refresh_from_db()
    assert held.requisition.status == Requisition.Status.APPROVED


def test_a_round_with_nothing_to_pool_cannot_be_committed(trusts, item, buyer):
    """Committing an empty preview is refused and leaves the round open."""
    pooling_round = _round()
    with pytest.raises(ValidationError) as error:
        services.pooling_round_commit(round_id=pooling_round.pk, buyer=buyer)
    assert error.value.code == "nothing_to_pool"
    pooling_round.refresh_from_db()
    assert pooling_round.status == PoolingRound.Status.OPEN


def test_the_orm_path_stores_the_same_figures_as_the_sql_path(
    pooled_setup, monkeypatch
):
    """Off PostgreSQL, allocations are created through the ORM with equal figures."""
    monkeypatch.setattr(
        services,
        "_insert_allocations_in_sql",
        services._bulk_create_allocations,
    )
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    apron = Allocation.objects.get(quantity=33)
    assert (apron.net, apron.vat, apron.savings) == (
        Decimal("9.90"),
        Decimal("0.50"),
        Decimal("1.10"),
    )
    for line in OrderLine.objects.all():
        assert line.allocations.aggregate(total=Sum("net"))["total"] == line.net


def test_the_preview_shows_what_the_commit_stores(pooled_setup):
    """The preview's per-trust figures equal the committed shares'."""
    preview = selectors.pooling_round_preview(pooling_round=pooled_setup["round"])
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    for group in preview.groups:
        for share in group.shares:
            stored = Allocation.objects.filter(
                order_line__item=group.item, trust=share.trust
            ).aggregate(net=Sum("net"), savings=Sum("savings"))
            assert stored == {"net": share.money.net, "savings": share.money.savings}


def test_opening_a_round_fixes_today_as_its_pricing_date(buyer):
    """The pricing date is the local date the round was opened."""
    pooling_round = services.pooling_round_open(buyer=buyer, cut_off=timezone.now())
    assert pooling_round.pricing_date == timezone.localdate()
    assert pooling_round.status == PoolingRound.Status.OPEN


def test_off_postgresql_the_generic_sql_gives_the_same_orders(
    pooled_setup, monkeypatch
):
    """Other databases (SQLite for ``make run``) group by item, trust and
    quantity and bulk-create allocations: the figures are the same."""
    from django.db import connection

    expected = selectors.pooling_round_preview(pooling_round=pooled_setup["round"])
    monkeypatch.setattr(connection, "vendor", "sqlite")
    preview = selectors.pooling_round_preview(pooling_round=pooled_setup["round"])
    assert preview.money == expected.money
    assert [g.combined_quantity for g in preview.groups] == [
        g.combined_quantity for g in expected.groups
    ]
    orders = services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    assert sum(order.net for order in orders) == expected.money.net
    assert Allocation.objects.aggregate(total=Sum("net"))["total"] == (
        expected.money.net
    )


def test_opening_and_committing_a_round_are_audited(trusts, item, buyer):
    """Who opened and committed which round, with the orders it made."""
    contract = ContractFactory(reference="C-A", trusts=trusts)
    contract_item_with_tiers(tiers=TIERS, item=item, contract=contract)
    _line(trusts[0], item, 60)
    _line(trusts[1], item, 45)
    pooling_round = services.pooling_round_open(
        buyer=buyer, cut_off=timezone.now() + datetime.timedelta(minutes=1)
    )
    opened = AuditEvent.objects.get(action="orders.pooling_round.opened")
    assert (opened.actor, opened.object_id) == (buyer, str(pooling_round.pk))
    assert opened.object_type == "orders.poolinground"

    orders = services.pooling_round_commit(round_id=pooling_round.pk, buyer=buyer)

    committed = AuditEvent.objects.get(action="orders.pooling_round.committed")
    assert committed.actor == buyer
    assert committed.object_id == str(pooling_round.pk)
    assert committed.detail["orders"] == [order.number for order in orders]
    assert committed.detail["lines"] == 2
    assert committed.detail["net"] == str(orders[0].net)


def test_a_refused_commit_is_not_audited_as_committed(trusts, item, buyer):
    pooling_round = services.pooling_round_open(buyer=buyer, cut_off=timezone.now())
    with pytest.raises(ValidationError):
        services.pooling_round_commit(round_id=pooling_round.pk, buyer=buyer)

    assert not AuditEvent.objects.filter(
        action="orders.pooling_round.committed"
    ).exists()


def test_allocations_carry_their_requisitions_trust_site_and_cost_centre(
    pooled_setup,
):
    """The copies that trust-scoped reads rely on (the database does not check
    them) are the requisition's own, for every allocation."""
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    allocations = Allocation.objects.select_related("requisition_line__requisition")
    assert allocations.count() == len(pooled_setup["lines"])
    for allocation in allocations:
        requisition = allocation.requisition_line.requisition
        assert (allocation.trust_id, allocation.site_id, allocation.cost_centre_id) == (
            requisition.trust_id,
            requisition.site_id,
            requisition.cost_centre_id,
        )
        assert allocation.share.trust_id == requisition.trust_id


@pytest.mark.parametrize(
    ("pooled", "standalone", "vat_rate"),
    [
        # Whole ten-thousandths: worked in integer arrays.
        (Decimal("0.2999"), Decimal("0.3333"), Decimal("0.05")),
        (Decimal("1.0050"), Decimal("2.5000"), Decimal("0.20")),
        # More places than the database stores: worked in Decimal.
        (Decimal("0.29995"), Decimal("0.333333"), Decimal("0.175")),
    ],
)
def test_preview_money_is_each_line_rounded_half_up(
    pooled_setup, pooled, standalone, vat_rate
):
    """The candidate lines read back from the database give, per (item,
    trust), the sum of every line's ``allocation_money``, halves rounded up."""
    cut_off = pooled_setup["round"].cut_off
    lines = pooled_setup["lines"]
    plan = {
        (line.item_id, line.requisition.trust_id): (pooled, standalone, vat_rate)
        for line in lines
    }
    candidates = selectors.candidate_quantities(cut_off=cut_off)
    totals = candidates.pennies(plan)
    assert set(candidates.pairs) == set(plan)
    for key in plan:
        pair_lines = [
            line for line in lines if (line.item_id, line.requisition.trust_id) == key
        ]
        expected = pricing.MoneyTotals()
        for line in pair_lines:
            money = pricing.allocation_money(
                quantity=line.quantity,
                pooled_unit_price=pooled,
                standalone_unit_price=standalone,
                vat_rate=vat_rate,
            )
            expected += pricing.MoneyTotals(
                money.net, money.vat, money.standalone_net, money.savings
            )
        assert totals[key].money() == expected
        pair = candidates.pairs[key]
        assert pair.quantity == sum(line.quantity for line in pair_lines)
        assert pair.line_count == len(pair_lines)


def test_candidate_quantities_leave_out_pooled_lines(pooled_setup):
    """Once committed, the same lines are no longer read as candidates."""
    cut_off = pooled_setup["round"].cut_off
    assert selectors.candidate_quantities(cut_off=cut_off).pairs
    services.pooling_round_commit(
        round_id=pooled_setup["round"].pk, buyer=pooled_setup["buyer"]
    )
    candidates = selectors.candidate_quantities(cut_off=cut_off)
    assert candidates.pairs == {}
    assert candidates.pennies({}) == {}


def test_preview_leaves_the_cycle_collector_as_it_found_it(pooled_setup):
    """The preview pauses Python's cycle collector while it builds its objects
    and turns it back on after, unless it was already off."""
    pooling_round = pooled_setup["round"]
    assert gc.isenabled()
    selectors.pooling_round_preview(pooling_round=pooling_round)
    assert gc.isenabled()
    gc.disable()
    try:
        selectors.pooling_round_preview(pooling_round=pooling_round)
        assert not gc.isenabled()
    finally:
        gc.enable()
