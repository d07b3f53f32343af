"""Faults that must lose no document: a worker SIGKILLed mid-build, a broker
restarted empty (DESIGN §6).

Each fault is provoked ``FAULT_REPEAT`` times (``make soak`` sets 20), each
time on a fresh order, a fresh worker and a fresh MEDIA_ROOT. The database,
not the queue, records what must be built: after the fault every document
must end ready exactly once, with one file whose checksum matches.
"""

import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from orders.models import OrderDocument
from orders.services import documents as order_services
from tests.integration.conftest import (
    CELERY,
    FAULT_REPEAT,
    ROOT,
    VISIBILITY_TIMEOUT,
    app_database_url,
    fault_figure,
    wait_for,
)
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

RUNS = range(1, FAULT_REPEAT + 1)
# Big enough that rendering the consolidated PDF takes seconds on two cores,
# so a kill sent once the build has started lands while it renders.
KILL_LINES = 200


def _documents(order):
    return list(OrderDocument.objects.filter(order=order).order_by("pk"))


def _all_ready(order, count: int):
    def check():
        documents = _documents(order)
        return len(documents) == count and all(d.is_ready for d in documents)

    return check


def _assert_each_ready_once(order, settings, *, attempts: dict[int, int]):
    """One row per document, each ready with one file whose checksum matches,
    built the expected number of times; no stray file in the order's folder."""
    documents = _documents(order)
    expected_rows = 1 + order.shares.count()
    assert len(documents) == expected_rows
    assert OrderDocument.objects.filter(order=order, kind="consolidated").count() == 1
    folder = Path(settings.MEDIA_ROOT) / "orders" / "documents" / str(order.pk)
    files = sorted(path.name for path in folder.iterdir())
    assert files == sorted(Path(d.file.name).name for d in documents)
    for document in documents:
        assert document.status == OrderDocument.Status.READY
        assert document.failure_reason == ""
        content = document.file.read()
        document.file.close()
        assert content.startswith(b"%PDF")
        assert hashlib.sha256(content).hexdigest() == document.checksum
        assert document.attempts == attempts.get(document.pk, 1), document


@pytest.mark.parametrize("run", RUNS)
def test_worker_killed_mid_build_leaves_every_document_ready_once(
    run, celery_worker, settings
):
    """SIGKILL the worker's process group while it renders a PDF, start a new
    worker: the interrupted build runs again and every document is ready once."""
    began = time.monotonic()
    order = build_order(
        trusts=build_trusts(("WMAS", "SECAMB")), lines=KILL_LINES, seed=run
    )
    order_services.order_documents_rebuild(order_id=order.pk)
    consolidated = OrderDocument.objects.get(order=order, kind="consolidated")
    requested = time.monotonic()

    def building():
        consolidated.refresh_from_db()
        return consolidated.attempts >= 1

    # The build counts its attempt just before it renders: from then on it
    # is mid-build until the row turns ready.
    wait_for(building, timeout=120, worker=celery_worker, what="the build to start")
    celery_worker.kill()
    killed = time.monotonic()
    consolidated.refresh_from_db()
    assert consolidated.status == OrderDocument.Status.PENDING, "killed too late"
    assert consolidated.attempts == 1
    assert not consolidated.file

    # The killed worker never acknowledged the task: Redis hands it out again
    # once the visibility timeout has passed, to the next worker.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    celery_worker.start()
    wait_for(
        _all_ready(order, 1 + order.shares.count()),
        timeout=300,
        worker=celery_worker,
        what="the documents after the restart",
    )
    recovered = time.monotonic()
    built_at = {d.pk: d.built_at for d in _documents(order)}
    # A second delivery of the same task would rebuild or count an attempt.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    assert {d.pk: d.built_at for d in _documents(order)} == built_at
    _assert_each_ready_once(order, settings, attempts={consolidated.pk: 2})
    fault_figure(
        f"worker SIGKILL mid-PDF, run {run}/{FAULT_REPEAT}: killed "
        f"{killed - requested:.1f}s after the request, all documents ready "
        f"{recovered - killed:.1f}s after the kill, run {time.monotonic() - began:.1f}s"
    )


def _app_env(broker: str, settings) -> dict:
    return {
        **os.environ,
        "DATABASE_URL": app_database_url(),
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "DJANGO_CONN_MAX_AGE": "0",
    }


def _run(command: list[str], env: dict) -> str:
    result = subprocess.run(  # noqa: S603 -- fixed command line
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize("run", RUNS)
def test_broker_restarted_empty_loses_no_document(
    run, private_redis, worker_on, settings
):
    """Documents requested, then the broker dies and comes back empty before
    any worker takes them: the sweep task queues each again, once, and each is
    built once."""
    order = build_order(trusts=build_trusts(("WMAS", "SECAMB", "SWASFT")), lines=3)
    expected = 1 + order.shares.count()
    env = _app_env(private_redis.url, settings)
    # The app requests the documents in its own process, on the private broker.
    _run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "-c",
            "from orders.services import documents; "
            f"documents.order_documents_rebuild(order_id={order.pk})",
        ],
        env,
    )
    assert private_redis.client().llen("documents") == expected
    assert {d.status for d in _documents(order)} == {OrderDocument.Status.PENDING}

    private_redis.kill()
    private_redis.start()
    restarted = time.monotonic()
    assert private_redis.client().llen("documents") == 0  # every message lost

    worker = worker_on(
        broker=private_redis.url, DOCUMENT_PENDING_SWEEP_AFTER_SECONDS="1"
    )
    time.sleep(1.1)  # the documents are now pending longer than the sweep delay
    assert {d.attempts for d in _documents(order)} == {0}  # nothing was built
    sweep = [str(CELERY), "-A", "alliance_procurement", "call"]
    _run([*sweep, "reports.sweep_pending_documents"], env)
    wait_for(
        _all_ready(order, expected),
        timeout=180,
        worker=worker,
        what="the swept documents",
    )
    recovered = time.monotonic()

    # A later sweep finds nothing pending and queues nothing.
    _run([*sweep, "reports.sweep_pending_documents"], env)
    wait_for(
        lambda: worker.log().count("reports.sweep_pending_documents[") >= 4,
        timeout=60,
        worker=worker,
        what="the second sweep",
    )
    log = worker.log()
    assert log.count(f"Queued {expected} pending documents again.") == 1, log
    assert log.count("pending documents again.") == 1, log
    _assert_each_ready_once(order, settings, attempts={})
    fault_figure(
        f"broker restarted empty, run {run}/{FAULT_REPEAT}: {expected} lost "
        f"messages, all documents ready {recovered - restarted:.1f}s after the "
        "broker came back (worker start and one sweep included)"
    )
