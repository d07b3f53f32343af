"""Documents built by a real Celery worker on Redis (DESIGN §6)."""

import datetime
import io
import os
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from alliance_procurement.priority import group_niceness
from orders.models import OrderDocument
from orders.services import documents as order_services
from reports import services as report_services
from reports.models import SavingsDocument
from tests.integration.conftest import VISIBILITY_TIMEOUT, wait_for
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def _statuses(model, **filters):
    return list(model.objects.filter(**filters).values_list("status", flat=True))


def _files(settings, folder):
    root = settings.MEDIA_ROOT / folder
    return [path for path in root.rglob("*") if path.is_file()]


def test_worker_builds_requested_order_documents(celery_worker, settings):
    """Requested documents become ready through the worker, and read back."""
    order = build_order(trusts=build_trusts(), lines=4)
    order_services.order_documents_rebuild(order_id=order.pk)
    wait_for(
        lambda: set(_statuses(OrderDocument, order=order)) == {"ready"},
        timeout=180,
        worker=celery_worker,
        what="order documents",
    )
    consolidated = OrderDocument.objects.get(order=order, kind="consolidated")
    text = "\n".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(consolidated.file.read())).pages
    )
    assert order.number in text
    for share in order.shares.all():
        assert share.reference in text
    share = OrderDocument.objects.get(order=order, trust__code="WMAS")
    share_text = PdfReader(io.BytesIO(share.file.read())).pages[0].extract_text()
    assert f"{order.number}/WMAS" in share_text
    assert f"{order.number}/SECAMB" not in share_text


def test_worker_builds_savings_files(celery_worker):
    """A month's savings files are built by the worker in every format."""
    build_order(
        trusts=build_trusts(),
        lines=2,
        issued_at=datetime.datetime(2026, 3, 3, 12, tzinfo=datetime.UTC),
    )
    report_services.savings_documents_request(
        month=datetime.date(2026, 3, 1), trusts=[None]
    )
    wait_for(
        lambda: _statuses(SavingsDocument) == ["ready"] * 3,
        timeout=120,
        worker=celery_worker,
        what="savings files",
    )


def test_document_survives_its_worker_being_killed(celery_worker, settings):
    """A build whose worker is SIGKILLed mid-task is built exactly once later."""
    order = build_order(trusts=build_trusts(("WMAS", "SECAMB")), lines=200)
    order_services.order_documents_rebuild(order_id=order.pk)
    consolidated = OrderDocument.objects.get(order=order, kind="consolidated")

    def started():
        consolidated.refresh_from_db()
        return consolidated.attempts >= 1

    wait_for(started, timeout=120, worker=celery_worker, what="the build to start")
    celery_worker.kill()
    consolidated.refresh_from_db()
    assert consolidated.status == OrderDocument.Status.PENDING
    assert consolidated.attempts == 1

    # The broker hands an unacknowledged task out again after the visibility
    # timeout; a new worker restores it when it starts.
    time.sleep(VISIBILITY_TIMEOUT + 1)
    celery_worker.start()
    wait_for(
        lambda: set(_statuses(OrderDocument, order=order)) == {"ready"},
        timeout=300,
        worker=celery_worker,
        what="the documents after the restart",
    )
    consolidated.refresh_from_db()
    built_at = consolidated.built_at
    assert consolidated.attempts == 2
    time.sleep(3)
    consolidated.refresh_from_db()
    assert consolidated.built_at == built_at
    assert consolidated.attempts == 2
    assert len(_files(settings, "orders/documents")) == 3
    reader = PdfReader(io.BytesIO(consolidated.file.read()))
    assert order.number in reader.pages[0].extract_text()


def test_sweep_rebuilds_documents_whose_messages_were_lost(celery_worker, settings):
    """Pending documents whose tasks the broker lost are queued by the sweep."""
    import redis

    celery_worker.stop()
    order = build_order(trusts=build_trusts(("WMAS",)), lines=2)
    order_services.order_documents_rebuild(order_id=order.pk)
    redis.Redis.from_url(settings.CELERY_BROKER_URL).flushdb()  # messages lost
    OrderDocument.objects.update(
        requested_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    )
    assert report_services.pending_documents_sweep() == 2
    celery_worker.start()
    wait_for(
        lambda: set(_statuses(OrderDocument, order=order)) == {"ready"},
        timeout=120,
        worker=celery_worker,
        what="swept documents",
    )


def _children(pid: int) -> list[int]:
    return [
        int(entry.name)
        for entry in Path("/proc").iterdir()
        if entry.name.isdigit() and _parent_of(entry) == pid
    ]


def _parent_of(entry: Path) -> int | None:
    try:
        stat = (entry / "stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def test_worker_runs_below_the_web_servers_priority(celery_worker, settings):
    """Started in a session of its own, as `make run` starts it, the worker
    and the pool process that builds the PDFs run at WORKER_NICE, and so does
    their session's group, by which Linux shares the CPU first."""
    main = celery_worker.process.pid
    pool = _children(main)
    assert pool, "the worker forked no pool process"
    for pid in [main, *pool]:
        assert os.getpriority(os.PRIO_PROCESS, pid) == max(
            settings.WORKER_NICE, os.nice(0)
        )
    group = group_niceness(Path(f"/proc/{main}/autogroup"))
    if group is not None:
        assert group == settings.WORKER_NICE
