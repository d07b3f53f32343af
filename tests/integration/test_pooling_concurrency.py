"""Pooling under concurrent commits, with real threads on PostgreSQL (DESIGN §5)."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from orders.models import Allocation, JointPurchaseOrder, OrderNumberCounter
from orders.selectors import pooling as selectors
from orders.services import pooling as services
from tests.factories import (
    ApprovedRequisitionLineFactory,
    ContractFactory,
    ItemFactory,
    PoolingRoundFactory,
    TrustFactory,
    UserFactory,
    contract_item_with_tiers,
)
from tests.integration.threads import run_together

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def lines():
    trusts = [TrustFactory(), TrustFactory()]
    item = ItemFactory()
    contract_item_with_tiers(
        tiers=[(1, "3.0000"), (50, "2.5000")],
        item=item,
        contract=ContractFactory(trusts=trusts),
    )
    return [
        ApprovedRequisitionLineFactory(
            requisition__trust=trusts[n % 2], item=item, quantity=10 + n
        )
        for n in range(6)
    ]


@pytest.fixture
def buyer():
    return UserFactory(membership__is_buyer=True)


def _no_line_pooled_twice():
    return not (
        Allocation.objects.filter(is_cancelled=False)
        .values("requisition_line")
        .annotate(n=Count("pk"))
        .filter(n__gt=1)
        .exists()
    )


def test_two_commits_of_one_round_make_one_set_of_orders(lines, buyer):
    """Two simultaneous commits of a round give the same orders, made once."""
    pooling_round = PoolingRoundFactory(cut_off=timezone.now())

    def commit():
        return [
            o.number
            for o in services.pooling_round_commit(
                round_id=pooling_round.pk, buyer=buyer
            )
        ]

    first, second = run_together([commit, commit])
    assert first == second
    assert len(first) == 1
    assert JointPurchaseOrder.objects.count() == 1
    assert Allocation.objects.count() == len(lines)


def test_commits_of_two_rounds_sharing_lines_pool_each_line_once(lines, buyer):
    """Two rounds over the same lines, committed at once: no line twice."""
    rounds = [PoolingRoundFactory(cut_off=timezone.now()) for _ in range(2)]

    def commit(pooling_round):
        return lambda: services.pooling_round_commit(
            round_id=pooling_round.pk, buyer=buyer
        )

    results = run_together([commit(rounds[0]), commit(rounds[1])])
    winners = [r for r in results if isinstance(r, list)]
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(winners) == 1
    assert [getattr(e, "code", None) for e in losers] in (
        ["nothing_to_pool"],
        ["pooled_elsewhere"],
    )
    assert Allocation.objects.count() == len(lines)
    assert _no_line_pooled_twice()


def test_without_row_locks_a_line_is_still_pooled_once(lines, buyer, monkeypatch):
    """Even without the row locks, both commits having read the same lines, a
    line is pooled once: the loser gets a clear error, nothing of its commit
    remains and no order number is lost."""
    monkeypatch.setattr(
        services,
        "_lock_candidate_lines",
        lambda cut_off: selectors.candidate_lines(cut_off=cut_off),
    )
    both_read = threading.Barrier(2)
    read = selectors.build_preview

    def build_then_wait(**kwargs):
        preview = read(**kwargs)
        both_read.wait(30)  # both have read the same candidates
        return preview

    monkeypatch.setattr(selectors, "build_preview", build_then_wait)
    rounds = [PoolingRoundFactory(cut_off=timezone.now()) for _ in range(2)]
    results = run_together(
        lambda r=r: services.pooling_round_commit(round_id=r.pk, buyer=buyer)
        for r in rounds
    )
    losers = [r for r in results if isinstance(r, Exception)]
    assert len(losers) == 1
    assert isinstance(losers[0], ValidationError)
    assert losers[0].code in {"pooled_elsewhere", "lines_changed"}
    assert JointPurchaseOrder.objects.count() == 1
    assert Allocation.objects.count() == len(lines)
    year = timezone.localdate().year
    assert OrderNumberCounter.objects.get(year=year).last_number == 1
    assert JointPurchaseOrder.objects.get().number == f"AP-{year}-000001"


def test_order_numbers_have_no_gaps_when_transactions_roll_back(db):
    """A transaction that takes numbers and rolls back leaves no hole, even
    with others numbering at the same time."""

    class Abort(Exception):
        pass

    def take(abort: bool):
        def call():
            try:
                with transaction.atomic():
                    numbers = services.next_order_numbers(1)
                    if abort:
                        raise Abort
                    return numbers
            except Abort:
                return []

        return call

    results = run_together(take(abort=n % 3 == 0) for n in range(9))
    taken = sorted(number for result in results for number in result)
    year = timezone.localdate().year
    assert taken == [f"AP-{year}-{n:06d}" for n in range(1, 7)]
    assert OrderNumberCounter.objects.get(year=year).last_number == 6


def test_the_database_refuses_a_second_live_allocation_of_a_line(lines):
    """The partial unique constraint is the last guard: one live allocation per
    requisition line; a cancelled one does not count."""
    from django.db import IntegrityError

    from tests.factories import AllocationFactory

    first = AllocationFactory()
    line = first.requisition_line
    Allocation.objects.filter(pk=first.pk).update(is_cancelled=True)
    AllocationFactory(requisition_line=line, order_line=first.order_line)
    with pytest.raises(IntegrityError), transaction.atomic():
        AllocationFactory(requisition_line=line, order_line=first.order_line)
