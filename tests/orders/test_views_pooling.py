"""Pooling round and order pages (DESIGN §5, §7)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import JointPurchaseOrder, PoolingRound
from orders.services import pooling as pooling_services
from orders.services import purchase_orders as order_services
from tests.factories import (
    ApprovedRequisitionLineFactory,
    ContractFactory,
    ItemFactory,
    PoolingRoundFactory,
    contract_item_with_tiers,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pooled(trust, other_trust, buyer):
    """Two trusts' gloves on one contract, previewed in an open round."""
    item = ItemFactory(sku="GLOVE-M", name="Nitrile gloves")
    contract = ContractFactory(reference="AP-GLOVES", trusts=[trust, other_trust])
    contract_item_with_tiers(
        tiers=[(1, "10.0000"), (100, "8.0000")], item=item, contract=contract
    )
    lines = [
        ApprovedRequisitionLineFactory(
            requisition__trust=trust, item=item, quantity=70
        ),
        ApprovedRequisitionLineFactory(
            requisition__trust=other_trust, item=item, quantity=40
        ),
    ]
    pooling_round = PoolingRoundFactory(cut_off=timezone.now(), opened_by=buyer)
    return {"round": pooling_round, "lines": lines, "contract": contract}


def _commit(pooled, buyer) -> JointPurchaseOrder:
    [order] = pooling_services.pooling_round_commit(
        round_id=pooled["round"].pk, buyer=buyer
    )
    return order


def test_buyer_opens_a_round_with_a_cut_off(client_for, buyer):
    """Opening a round takes a cut-off and fixes today as the pricing date."""
    client = client_for(buyer)
    page = client.get(reverse("orders:round-create"))
    assert f"{timezone.localdate():%-d %B %Y}" in page.content.decode()
    response = client.post(
        reverse("orders:round-create"), {"cut_off": "2026-11-30T17:00"}
    )
    pooling_round = PoolingRound.objects.get()
    assert response.status_code == 302
    assert response.url == pooling_round.get_absolute_url()
    assert pooling_round.opened_by == buyer
    assert timezone.localtime(pooling_round.cut_off).hour == 17


def test_a_bad_cut_off_is_named_and_linked_to_its_field(client_for, buyer):
    """A form error is listed in the summary and linked to the field."""
    response = client_for(buyer).post(
        reverse("orders:round-create"), {"cut_off": "soon"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_cut_off"' in body
    assert 'aria-describedby="id_cut_off-hint id_cut_off-error"' in body
    assert not PoolingRound.objects.exists()


def test_a_cut_off_before_2000_is_named_on_its_field(client_for, buyer):
    """The service's rule comes back on the form, linked to the field."""
    response = client_for(buyer).post(
        reverse("orders:round-create"), {"cut_off": "0999-11-30T17:00"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Enter a cut-off on or after 1 January 2000." in body
    assert 'href="#id_cut_off"' in body
    assert not PoolingRound.objects.exists()


def test_round_list_shows_rounds(client_for, buyer, pooled):
    """Buyers see every round with its status."""
    body = client_for(buyer).get(reverse("orders:round-list")).content.decode()
    assert f"Round {pooled['round'].pk}" in body
    assert "Open" in body


def test_preview_page_shows_groups_prices_and_savings(client_for, buyer, pooled):
    """The preview shows the contract, trusts, tier, pooled price and savings."""
    response = client_for(buyer).get(pooled["round"].get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    assert "AP-GLOVES" in body
    assert "£8.0000" in body  # 110 gloves reach the 100 tier
    assert "£10.0000" in body  # each trust alone stays below it
    assert "£220.00" in body  # savings: 110 × £2
    assert "No lines are held." in body


def test_preview_lists_held_lines_with_their_reason(client_for, buyer, pooled):
    """A line no contract takes is listed apart with its reason."""
    ApprovedRequisitionLineFactory(
        item=ItemFactory(sku="ORPHAN"), quantity=3, requisition__number="R-HELD"
    )
    body = client_for(buyer).get(pooled["round"].get_absolute_url()).content.decode()
    assert "R-HELD" in body
    assert "No active contract open to this trust carries the item." in body


def test_commit_button_creates_draft_orders(client_for, buyer, pooled):
    """Committing from the page creates the orders and shows them."""
    client = client_for(buyer)
    response = client.post(reverse("orders:round-commit", args=[pooled["round"].pk]))
    order = JointPurchaseOrder.objects.get()
    assert response.status_code == 302
    page = client.get(response.url).content.decode()
    assert order.number in page
    assert "Round committed: 1 draft orders." in page


def test_a_refused_commit_says_why(client_for, buyer):
    """Committing a round with nothing to pool shows the reason."""
    pooling_round = PoolingRoundFactory(cut_off=timezone.now())
    client = client_for(buyer)
    response = client.post(
        reverse("orders:round-commit", args=[pooling_round.pk]), follow=True
    )
    assert "There is nothing to pool in this round." in response.content.decode()


def test_buyer_sees_order_totals_in_the_list(client_for, buyer, pooled):
    """Buyers' list shows each order's totals."""
    order = _commit(pooled, buyer)
    body = client_for(buyer).get(reverse("orders:order-list")).content.decode()
    assert order.number in body
    assert "£880.00" in body  # 110 × £8


def test_trust_users_see_only_their_share_in_the_list(
    client_for, requisitioner, buyer, pooled
):
    """A trust user's list shows their share's figures and reference, never the
    order's totals."""
    order = _commit(pooled, buyer)
    body = client_for(requisitioner).get(reverse("orders:order-list")).content.decode()
    assert f"{order.number}/WMAS" in body
    assert "£560.00" in body  # 70 × £8
    assert "£880.00" not in body
    assert 'name="trust"' not in body


def test_order_list_filters_by_trust_status_and_month(
    client_for, buyer, pooled, other_trust
):
    """The list filters by trust, status and the month of issue."""
    order = _commit(pooled, buyer)
    order_services.joint_order_issue(order_id=order.pk, buyer=buyer)
    client = client_for(buyer)
    url = reverse("orders:order-list")
    month = f"{timezone.localdate():%Y-%m}"
    assert order.number in client.get(url, {"issued": month}).content.decode()
    assert order.number not in client.get(url, {"issued": "2001-01"}).content.decode()
    assert order.number not in client.get(url, {"status": "draft"}).content.decode()
    assert order.number in client.get(url, {"trust": other_trust.pk}).content.decode()
    bad = client.get(url, {"issued": "2026-13"})
    assert bad.status_code == 200
    assert "Enter a month like 2026-11." in bad.content.decode()


def test_order_list_exports_csv(client_for, buyer, pooled):
    """The filtered list downloads as CSV with money as numbers."""
    order = _commit(pooled, buyer)
    response = client_for(buyer).get(reverse("orders:order-list"), {"_export": "csv"})
    text = response.content.decode()
    assert response["Content-Type"].startswith("text/csv")
    assert order.number in text
    assert "880.00" in text


def test_a_trust_users_order_export_holds_its_share_only(
    client_for, buyer, requisitioner, pooled
):
    """A trust user's download shows their trust's share (70 gloves at £8:
    £560.00, quoting its own reference), never the order's total (£880.00)
    nor the other trust's share (£320.00)."""
    order = _commit(pooled, buyer)
    response = client_for(requisitioner).get(
        reverse("orders:order-list"), {"_export": "csv"}
    )
    text = response.content.decode()
    assert f"{order.number}/WMAS" in text
    assert "560.00" in text
    assert "880.00" not in text
    assert "320.00" not in text
    assert "SECAMB" not in text


def test_buyer_sees_every_trust_share_and_the_contract_ceiling(
    client_for, buyer, pooled
):
    """The order page shows lines, each trust's share and reference, and the
    contract's committed value and remaining ceiling."""
    order = _commit(pooled, buyer)
    body = client_for(buyer).get(order.get_absolute_url()).content.decode()
    assert f"{order.number}/WMAS" in body
    assert f"{order.number}/SECAMB" in body
    assert "£9,999,120.00" in body  # ceiling 10,000,000 less 880
    assert re.search(r">\s*110\b", body)  # the combined quantity


def test_trust_user_sees_only_their_allocations_and_share(
    client_for, requisitioner, buyer, pooled
):
    """A trust user sees their allocations and share, no other trust's figures."""
    order = _commit(pooled, buyer)
    body = client_for(requisitioner).get(order.get_absolute_url()).content.decode()
    assert f"{order.number}/WMAS" in body
    assert "SECAMB" not in body
    assert "£880.00" not in body
    # The combined quantity, as any element's text (not inside a token or nonce).
    assert not re.search(r">\s*110\b", body)
    assert "£560.00" in body


def test_buyer_issues_and_cancels_from_the_order_page(client_for, buyer, pooled):
    """Issue and cancel are buttons on the order page."""
    order = _commit(pooled, buyer)
    client = client_for(buyer)
    client.post(reverse("orders:order-issue", args=[order.number]))
    order.refresh_from_db()
    assert order.status == JointPurchaseOrder.Status.ISSUED
    client.post(reverse("orders:order-cancel", args=[order.number]))
    order.refresh_from_db()
    assert order.status == JointPurchaseOrder.Status.CANCELLED


def test_issuing_twice_shows_a_clear_refusal(client_for, buyer, pooled):
    """A second issue is refused with a message, not an error page."""
    order = _commit(pooled, buyer)
    client = client_for(buyer)
    client.post(reverse("orders:order-issue", args=[order.number]))
    response = client.post(
        reverse("orders:order-issue", args=[order.number]), follow=True
    )
    assert "Only a draft order can be issued" in response.content.decode()


def test_trust_user_records_a_receipt(client_for, requisitioner, buyer, pooled):
    """A trust user records goods received against their own allocation."""
    order = _commit(pooled, buyer)
    order_services.joint_order_issue(order_id=order.pk, buyer=buyer)
    allocation = pooled["lines"][0].allocations.get()
    client = client_for(requisitioner)
    page = client.get(order.get_absolute_url()).content.decode()
    assert f'id="receive-{allocation.pk}-quantity"' in page
    response = client.post(
        reverse("orders:order-receive", args=[order.number]),
        {"allocation": allocation.pk, "quantity": 30},
    )
    assert response.status_code == 302
    allocation.refresh_from_db()
    assert allocation.received_quantity == 30


def test_an_over_receipt_is_refused_next_to_the_field(
    client_for, requisitioner, buyer, pooled
):
    """Receiving more than was ordered is refused, with the error on the field."""
    order = _commit(pooled, buyer)
    order_services.joint_order_issue(order_id=order.pk, buyer=buyer)
    allocation = pooled["lines"][0].allocations.get()
    response = client_for(requisitioner).post(
        reverse("orders:order-receive", args=[order.number]),
        {"allocation": allocation.pk, "quantity": 71},
    )
    body = response.content.decode()
    assert response.status_code == 400
    assert "Only 70 remain to be received on this line." in body
    assert f'href="#receive-{allocation.pk}-quantity"' in body
    allocation.refresh_from_db()
    assert allocation.received_quantity == 0


def test_receiving_against_another_trusts_allocation_is_not_found(
    client_for, requisitioner, buyer, pooled
):
    """Another trust's allocation answers 404, even on an order we share."""
    order = _commit(pooled, buyer)
    order_services.joint_order_issue(order_id=order.pk, buyer=buyer)
    theirs = pooled["lines"][1].allocations.get()
    response = client_for(requisitioner).post(
        reverse("orders:order-receive", args=[order.number]),
        {"allocation": theirs.pk, "quantity": 1},
    )
    assert response.status_code == 404


def _orders(count, trust, other_trust, buyer):
    item = ItemFactory()
    for _ in range(count):
        contract = ContractFactory(trusts=[trust, other_trust])
        contract_item_with_tiers(tiers=[(1, "2.0000")], item=item, contract=contract)
        ApprovedRequisitionLineFactory(requisition__trust=trust, item=item, quantity=5)
        pooling_services.pooling_round_commit(
            round_id=PoolingRoundFactory(cut_off=timezone.now()).pk, buyer=buyer
        )


@pytest.mark.parametrize("count", [10, 50])
def test_order_list_queries_do_not_grow_with_rows(
    client_for,
    buyer,
    requisitioner,
    trust,
    other_trust,
    count,
    django_assert_max_num_queries,
):
    """The list page asks the database a fixed number of times."""
    _orders(count, trust, other_trust, buyer)
    for user in (buyer, requisitioner):
        client = client_for(user)
        with django_assert_max_num_queries(12):
            response = client.get(reverse("orders:order-list"), {"per_page": 50})
        assert response.status_code == 200


@pytest.mark.parametrize("count", [10, 50])
def test_order_page_queries_do_not_grow_with_allocations(
    client_for,
    buyer,
    requisitioner,
    trust,
    other_trust,
    count,
    django_assert_max_num_queries,
):
    """The order page asks the database a fixed number of times."""
    item = ItemFactory()
    contract = ContractFactory(trusts=[trust, other_trust])
    contract_item_with_tiers(tiers=[(1, "2.0000")], item=item, contract=contract)
    for n in range(count):
        ApprovedRequisitionLineFactory(
            requisition__trust=trust if n % 2 else other_trust, item=item, quantity=5
        )
    [order] = pooling_services.pooling_round_commit(
        round_id=PoolingRoundFactory(cut_off=timezone.now()).pk, buyer=buyer
    )
    order_services.joint_order_issue(order_id=order.pk, buyer=buyer)
    for user in (buyer, requisitioner):
        client = client_for(user)
        with django_assert_max_num_queries(12):
            response = client.get(order.get_absolute_url())
        assert response.status_code == 200
    assert Decimal(order.net) == Decimal("10.00") * count


@pytest.fixture
def big_round(trust, other_trust, buyer):
    """30 groups on two contracts (20 + 10 items) and 27 held (item, trust) pairs."""
    from orders.models import Requisition
    from tests.factories import RequisitionFactory, RequisitionLineFactory

    contracts = [
        ContractFactory(reference="AP-A", trusts=[trust, other_trust]),
        ContractFactory(reference="AP-B", trusts=[trust, other_trust]),
    ]
    approved = {
        "status": Requisition.Status.APPROVED,
        "submitted_at": timezone.now() - timezone.timedelta(hours=1),
    }
    requisition = RequisitionFactory(trust=trust, **approved)
    for n in range(30):
        item = ItemFactory(sku=f"BIG-{n:03d}", name=f"Bandage size {n}")
        contract_item_with_tiers(
            tiers=[(1, "2.0000")], item=item, contract=contracts[n // 20]
        )
        RequisitionLineFactory(requisition=requisition, item=item, quantity=n + 1)
    held = RequisitionFactory(trust=other_trust, number="R-HELD-MANY", **approved)
    for n in range(27):
        RequisitionLineFactory(
            requisition=held, item=ItemFactory(sku=f"NONE-{n:03d}"), quantity=1
        )
    pooling_round = PoolingRoundFactory(cut_off=timezone.now(), opened_by=buyer)
    return {"round": pooling_round, "contracts": contracts}


def _groups_shown(body: str) -> list[str]:
    return re.findall(r"(BIG-\d{3}) Bandage", body)


def test_preview_shows_groups_25_a_page_with_totals_for_the_whole_round(
    client_for, buyer, big_round
):
    client = client_for(buyer)
    url = big_round["round"].get_absolute_url()
    first = client.get(url).content.decode()
    assert _groups_shown(first) == [f"BIG-{n:03d}" for n in range(25)]
    assert "Groups 1 to 25 of 30, in item order." in first
    # The totals and the commit cover every group, not only this page's.
    assert "30 lines in 30 groups; 27 held." in first
    assert "Commit round: create draft orders" in first
    assert 'href="?page=2#groups"' in first
    second = client.get(url, {"page": 2}).content.decode()
    assert _groups_shown(second) == [f"BIG-{n:03d}" for n in range(25, 30)]
    assert 'href="?page=1#groups"' in second
    # A page past the end shows the last page.
    assert _groups_shown(client.get(url, {"page": 99}).content.decode()) == (
        _groups_shown(second)
    )


def test_preview_summarises_the_order_each_contract_would_get(
    client_for, buyer, big_round
):
    body = client_for(buyer).get(big_round["round"].get_absolute_url())
    body = body.content.decode()
    rows = re.findall(
        r'<th scope="row" class="nhsuk-table__header"><a href="[^"]+">(AP-[AB])</a>'
        r"</th>\s*<td[^>]*>[^<]*</td>\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>(\d+)</td>"
        r"\s*<td[^>]*>(\d+)</td>\s*<td[^>]*>£([\d,.]+)</td>",
        body,
    )
    # AP-A: items 1..20 at £2 = £420; AP-B: items 21..30 at £2 = £510.
    assert rows == [
        ("AP-A", "20", "20", "1", "420.00"),
        ("AP-B", "10", "10", "1", "510.00"),
    ]
    assert "£9,999,580.00" in body  # AP-A's ceiling of £10m less £420


def test_preview_finds_groups_by_contract_and_by_item(client_for, buyer, big_round):
    client = client_for(buyer)
    url = big_round["round"].get_absolute_url()
    contract_b = big_round["contracts"][1]
    by_contract = client.get(url, {"contract": contract_b.pk}).content.decode()
    assert _groups_shown(by_contract) == [f"BIG-{n:03d}" for n in range(20, 30)]
    assert "Groups 1 to 10 of 10 found (of 30 in the round)" in by_contract
    by_item = client.get(url, {"item": "size 7"}).content.decode()
    assert _groups_shown(by_item) == ["BIG-007"]
    by_sku = client.get(url, {"item": "big-01"}).content.decode()
    assert _groups_shown(by_sku) == [f"BIG-{n:03d}" for n in range(10, 20)]
    nothing = client.get(url, {"item": "gauze"}).content.decode()
    assert _groups_shown(nothing) == []
    assert "No groups match." in nothing
    # Paging keeps the search.
    searched = client.get(url, {"item": "BIG"}).content.decode()
    assert 'href="?item=BIG&amp;page=2#groups"' in searched


def test_preview_names_a_contract_that_is_not_in_the_round(
    client_for, buyer, big_round
):
    response = client_for(buyer).get(
        big_round["round"].get_absolute_url(), {"contract": 999999}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Select a valid choice." in body
    assert len(_groups_shown(body)) == 25  # the search is not applied
    too_long = client_for(buyer).get(
        big_round["round"].get_absolute_url(), {"item": "BIG-007" + "x" * 100}
    )
    body = too_long.content.decode()
    assert "Ensure this value has at most 100 characters" in body
    assert len(_groups_shown(body)) == 25


def test_preview_pages_held_lines_and_counts_them_by_reason(
    client_for, buyer, big_round
):
    client = client_for(buyer)
    url = big_round["round"].get_absolute_url()
    first = client.get(url).content.decode()
    assert "27 lines: No active contract open to this trust carries the item." in first
    held_first = re.findall(r"NONE-(\d{3})", first)
    assert held_first == [f"{n:03d}" for n in range(25)]
    assert 'href="?held_page=2#held"' in first
    second = client.get(url, {"held_page": 2}).content.decode()
    assert re.findall(r"NONE-(\d{3})", second) == ["025", "026"]
    assert "R-HELD-MANY" in second
    # The groups' page stays where it was.
    assert _groups_shown(second) == [f"BIG-{n:03d}" for n in range(25)]


def test_preview_page_queries_do_not_grow_with_the_round(
    client_for, buyer, big_round, django_assert_max_num_queries
):
    client = client_for(buyer)
    url = big_round["round"].get_absolute_url()
    client.get(url)
    with django_assert_max_num_queries(20):
        client.get(url, {"page": 2, "held_page": 2})
