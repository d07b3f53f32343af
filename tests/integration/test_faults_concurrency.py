"""Work under contention: many people raising and approving requisitions
while pooling rounds commit, and order numbers taken by separate processes
with transactions that abort (DESIGN §4, §5).

Real threads and real processes, each with its own PostgreSQL connection,
on committed data (``transactional_db``). ``FAULT_REPEAT`` sets how many
times each scenario runs; ``make soak`` sets 20.
"""

import datetime
import json
import queue
import subprocess
import sys
import time
from collections import Counter
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone

from orders.models import (
    Allocation,
    JointPurchaseOrder,
    OrderNumberCounter,
    Requisition,
    RequisitionLine,
)
from orders.services import pooling, requisitions
from orders.services.requisitions import LineInput
from tests import factories
from tests.integration.conftest import (
    FAULT_REPEAT,
    ROOT,
    app_database_url,
    fault_figure,
)
from tests.integration.threads import run_together

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RUNS = range(1, FAULT_REPEAT + 1)
THREADS = 16
OPERATIONS_PER_THREAD = 3
PROCESSES = 8
NUMBERINGS_PER_PROCESS = 12
# A commit may lose the race to the other commit: a clear refusal with
# nothing saved. A line approved while a round commits is not a reason to
# refuse: it waits for the next round.
COMMIT_REFUSALS = {"pooled_elsewhere", "nothing_to_pool"}


def _member(trust, **roles):
    return factories.UserFactory(
        membership__trust=trust, membership__approval_limit="1000000.00", **roles
    )


class Trust:
    """One trust's people and places for the scenario."""

    def __init__(self, trust):
        self.trust = trust
        self.site = factories.SiteFactory(trust=trust)
        self.cost_centre = factories.CostCentreFactory(trust=trust)
        self.requester = _member(trust, membership__is_requisitioner=True)
        self.approver = _member(trust, membership__is_approver=True)

    def submit(self, items_quantities) -> Requisition:
        draft = requisitions.requisition_create(
            requester=self.requester,
            site_id=self.site.pk,
            cost_centre_id=self.cost_centre.pk,
            needed_by=timezone.localdate() + datetime.timedelta(days=14),
            lines=[LineInput(item_id=i.pk, quantity=q) for i, q in items_quantities],
        )
        return requisitions.requisition_submit(
            requisition_id=draft.pk, submitter=self.requester
        )

    def approve(self, requisition_id: int) -> Requisition:
        return requisitions.requisition_approve(
            requisition_id=requisition_id, approver=self.approver
        )


def _scenario():
    trusts = [Trust(factories.TrustFactory()) for _ in range(2)]
    contract = factories.ContractFactory(trusts=[t.trust for t in trusts])
    items = []
    for tiers in (
        [(1, "3.3333"), (40, "2.9999")],
        [(1, "1.2345"), (100, "1.1111")],
        [(1, "17.4950")],
    ):
        item = factories.ItemFactory()
        factories.contract_item_with_tiers(tiers=tiers, contract=contract, item=item)
        items.append(item)
    return trusts, items


def _assert_orders_add_up(orders):
    """Every order, order line and share holds the sums of its live
    allocations, to the penny."""
    fields = ("net", "vat", "standalone_net", "savings")
    sums = {f"sum_{name}": Sum(name) for name in fields}
    for order in orders:
        live = Allocation.objects.filter(order_line__order=order, is_cancelled=False)
        totals = live.aggregate(**sums)
        for name in fields:
            assert getattr(order, name) == totals[f"sum_{name}"], (order, name)
            assert getattr(order, name) == getattr(order, name).quantize(
                Decimal("0.01")
            )
        for line in order.lines.all():
            line_totals = live.filter(order_line=line).aggregate(**sums)
            for name in fields:
                assert getattr(line, name) == line_totals[f"sum_{name}"], (line, name)
        for share in order.shares.all():
            share_totals = live.filter(share=share).aggregate(**sums)
            for name in fields:
                assert getattr(share, name) == share_totals[f"sum_{name}"]


@pytest.mark.parametrize("run", RUNS)
def test_requisitions_raised_and_approved_while_two_rounds_commit(run):
    """16 threads raise and approve requisitions while two rounds with the same
    cut-off commit: no approved line before the cut-off is lost or pooled
    twice, no line after it is pooled, and the orders add up to the penny."""
    trusts, items = _scenario()
    buyer = factories.UserFactory(membership__is_buyer=True)
    # Before the cut-off: some requisitions approved, more awaiting approval
    # (the threads approve them while the rounds commit).
    to_approve: dict[int, queue.Queue] = {}
    for index, trust in enumerate(trusts):
        to_approve[index] = queue.Queue()
        for n in range(THREADS):
            requisition = trust.submit(
                [(items[n % 3], 7 + n), (items[(n + 1) % 3], 30 + 2 * n)]
            )
            if n % 2:
                trust.approve(requisition.pk)
            else:
                to_approve[index].put(requisition.pk)
    cut_off = timezone.now()
    rounds = [
        pooling.pooling_round_open(buyer=buyer, cut_off=cut_off) for _ in range(2)
    ]

    def person(number: int):
        index = number % 2
        trust = trusts[index]

        def work():
            done = []
            for step in range(OPERATIONS_PER_THREAD):
                try:
                    waiting = to_approve[index].get_nowait()
                except queue.Empty:
                    waiting = None
                if waiting is not None and step % 2 == 0:
                    done.append(trust.approve(waiting).pk)
                else:
                    raised = trust.submit([(items[step % 3], 5 + number)])
                    done.append(trust.approve(raised.pk).pk)
            return done

        return work

    def commit(pooling_round):
        return lambda: pooling.pooling_round_commit(
            round_id=pooling_round.pk, buyer=buyer
        )

    began = time.monotonic()
    outcomes = run_together(
        [person(n) for n in range(THREADS)] + [commit(r) for r in rounds]
    )
    elapsed = time.monotonic() - began
    people, commits = outcomes[:THREADS], outcomes[THREADS:]
    assert all(isinstance(o, list) for o in people), people
    for outcome in commits:
        if isinstance(outcome, Exception):
            assert isinstance(outcome, ValidationError), outcome
            assert outcome.code in COMMIT_REFUSALS, outcome
    assert any(isinstance(o, list) for o in commits), commits

    before_cut_off = Q(requisition__submitted_at__lt=cut_off)
    approved = Q(requisition__status=Requisition.Status.APPROVED)
    live = Q(allocations__is_cancelled=False)
    lines = RequisitionLine.objects.annotate(
        live=Count("allocations", filter=Q(allocations__is_cancelled=False))
    )
    # No line pooled twice; none pooled that was not approved before the cut-off.
    assert not lines.filter(live__gt=1).exists()
    assert not lines.filter(live=1).exclude(before_cut_off & approved).exists()
    # Every requisition the threads touched, and every one before, is approved.
    assert not Requisition.objects.exclude(status=Requisition.Status.APPROVED).exists()
    pooled_now = lines.filter(live=1).count()
    left = pooling.pooling_round_open(buyer=buyer, cut_off=cut_off)
    candidates = RequisitionLine.objects.filter(before_cut_off, approved).exclude(live)
    left_count = candidates.count()
    # A line approved before the cut-off and not pooled is still a candidate:
    # the next round pools it, and then every such line is pooled once.
    if left_count:
        pooling.pooling_round_commit(round_id=left.pk, buyer=buyer)
    assert (
        lines.filter(before_cut_off, live=1).count()
        == RequisitionLine.objects.filter(before_cut_off).count()
        == 2 * 2 * THREADS
    )
    assert not lines.filter(~before_cut_off, live__gt=0).exists()

    orders = list(JointPurchaseOrder.objects.order_by("number"))
    _assert_orders_add_up(orders)
    year = timezone.localdate().year
    assert [o.number for o in orders] == [
        f"AP-{year}-{n:06d}" for n in range(1, len(orders) + 1)
    ]
    refused = [o.code for o in commits if isinstance(o, ValidationError)]
    fault_figure(
        f"16 people and 2 commits, run {run}/{FAULT_REPEAT}: {elapsed:.1f}s, "
        f"{pooled_now} lines pooled by the racing commits, {left_count} left for "
        f"the next round, refusals {refused}"
    )


NUMBERING_SCRIPT = r"""
import json, os, sys, time
from pathlib import Path
from django.db import transaction
from orders.services import pooling

index, count, folder = int(sys.argv[1]), int(sys.argv[2]), Path(sys.argv[3])
dies = sys.argv[4] == "dies"
(folder / f"ready-{index}").touch()
while not (folder / "go").exists():
    time.sleep(0.01)

class Abort(Exception):
    pass

for step in range(count):
    abort = (index + step) % 3 == 0
    try:
        with transaction.atomic():
            numbers = pooling.next_order_numbers(1 + (index + step) % 3)
            time.sleep(0.002 * (index % 4))  # hold the counter a little
            if dies and step == count - 1:
                os._exit(3)  # the process dies mid-transaction, numbers taken
            if abort:
                raise Abort
    except Abort:
        print(json.dumps({"aborted": numbers}), flush=True)
        continue
    print(json.dumps({"committed": numbers}), flush=True)
"""


@pytest.mark.parametrize("run", RUNS)
def test_order_numbers_from_eight_processes_with_aborts_have_no_gap(run, tmp_path):
    """Eight processes, each with its own connection, take order numbers at
    once; a third of their transactions raise after taking numbers and one
    process dies mid-transaction: the committed numbers run 1..N, no gap,
    no duplicate, and the counter stands at N."""
    script = tmp_path / "numbering.py"
    script.write_text(NUMBERING_SCRIPT)
    env = {
        **__import__("os").environ,
        "DATABASE_URL": app_database_url(),
        "DJANGO_CONN_MAX_AGE": "0",
    }
    runner = (
        "import runpy, sys, django; django.setup(); "
        "sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')"
    )
    processes = [
        subprocess.Popen(  # noqa: S603 -- fixed command line
            [
                sys.executable,
                "-c",
                runner,
                str(script),
                str(index),
                str(NUMBERINGS_PER_PROCESS),
                str(tmp_path),
                "dies" if index == PROCESSES - 1 else "lives",
            ],
            cwd=ROOT,
            env={**env, "DJANGO_SETTINGS_MODULE": "alliance_procurement.settings"},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for index in range(PROCESSES)
    ]
    deadline = time.monotonic() + 180
    while len(list(tmp_path.glob("ready-*"))) < PROCESSES:
        assert time.monotonic() < deadline, "the processes did not start"
        assert all(p.poll() is None for p in processes), [
            p.communicate() for p in processes if p.poll() is not None
        ]
        time.sleep(0.05)
    began = time.monotonic()
    (tmp_path / "go").touch()
    committed, aborted = [], []
    for index, process in enumerate(processes):
        out, err = process.communicate(timeout=180)
        expected = 3 if index == PROCESSES - 1 else 0
        assert process.returncode == expected, err
        for line in out.splitlines():
            record = json.loads(line)
            committed += record.get("committed", [])
            aborted += record.get("aborted", [])
    elapsed = time.monotonic() - began

    year = timezone.localdate().year
    counts = Counter(committed)
    assert all(n == 1 for n in counts.values()), "a number was given twice"
    assert sorted(committed) == [
        f"AP-{year}-{n:06d}" for n in range(1, len(committed) + 1)
    ]
    assert OrderNumberCounter.objects.get(year=year).last_number == len(committed)
    assert aborted, "no transaction aborted"
    fault_figure(
        f"order numbers, 8 processes, run {run}/{FAULT_REPEAT}: {len(committed)} "
        f"committed, {len(aborted)} aborted transactions and one process killed "
        f"mid-transaction, {elapsed:.1f}s"
    )
