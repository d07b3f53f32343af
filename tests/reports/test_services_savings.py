"""Savings files: request, build, previous month, and the sweep (DESIGN §6)."""

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from orders import tasks as order_tasks
from orders.models import OrderDocument
from reports import services, tasks
from reports.models import SavingsDocument
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 1)


@pytest.fixture
def trusts():
    trusts = build_trusts()
    build_order(
        trusts=trusts,
        lines=3,
        issued_at=datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC),
    )
    return trusts


def _request(capture, **kwargs):
    with (
        mock.patch.object(tasks.build_savings_document_task, "delay") as delay,
        capture(execute=True),
    ):
        documents = services.savings_documents_request(**kwargs)
    return documents, delay


def test_request_creates_every_scope_and_format(
    trusts, django_capture_on_commit_callbacks
):
    """A month's request makes the alliance's and each trust's PDF, CSV, XLSX."""
    documents, delay = _request(django_capture_on_commit_callbacks, month=MARCH)
    assert len(documents) == (len(trusts) + 1) * 3
    assert SavingsDocument.objects.filter(trust__isnull=True).count() == 3
    assert delay.call_count == len(documents)
    _again, _ = _request(django_capture_on_commit_callbacks, month=MARCH)
    assert SavingsDocument.objects.count() == len(documents)


def test_build_stores_a_ready_file_and_skips_an_unchanged_one(
    trusts, django_capture_on_commit_callbacks
):
    """A build stores the file; running it again for the same figures skips."""
    documents, _ = _request(
        django_capture_on_commit_callbacks, month=MARCH, trusts=[trusts[0]]
    )
    csv_document = next(d for d in documents if d.format == "csv")
    with django_capture_on_commit_callbacks(execute=True):
        services.savings_document_build(document_id=csv_document.pk)
    csv_document.refresh_from_db()
    assert csv_document.is_ready
    assert csv_document.file.name.endswith("savings-2026-03-WMAS.csv")
    built_at = csv_document.built_at
    with mock.patch.object(services.documents, "savings_render") as render:
        services.savings_document_build(document_id=csv_document.pk)
    render.assert_not_called()
    csv_document.refresh_from_db()
    assert csv_document.built_at == built_at


def test_previous_month_request_builds_last_month(
    trusts, django_capture_on_commit_callbacks
):
    """On the 1st, the files asked for are those of the month before."""
    with (
        mock.patch.object(tasks.build_savings_document_task, "delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.savings_previous_month_request(today=datetime.date(2026, 4, 1))
    assert set(SavingsDocument.objects.values_list("month", flat=True)) == {MARCH}


def test_task_failure_marks_the_file_failed(trusts, django_capture_on_commit_callbacks):
    """A build that fails for good leaves the file failed with the reason."""
    documents, _ = _request(
        django_capture_on_commit_callbacks, month=MARCH, trusts=[None]
    )
    with mock.patch.object(
        services.documents, "savings_render", side_effect=KeyError("nope")
    ):
        tasks.build_savings_document_task.apply(args=[documents[0].pk], throw=False)
    documents[0].refresh_from_db()
    assert documents[0].status == SavingsDocument.Status.FAILED
    assert "KeyError" in documents[0].failure_reason


def test_sweep_requeues_both_kinds_of_document(
    trusts, settings, django_capture_on_commit_callbacks
):
    """The sweep queues stale order documents and savings files alike."""
    from orders.services import documents as order_services

    _documents, _ = _request(
        django_capture_on_commit_callbacks, month=MARCH, trusts=[None]
    )
    order = build_order(trusts=trusts, lines=1)
    with (
        mock.patch.object(order_tasks.render_order_document_task, "delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        order_services.order_documents_rebuild(order_id=order.pk)
    old = timezone.now() - datetime.timedelta(
        seconds=settings.DOCUMENT_PENDING_SWEEP_AFTER_SECONDS + 5
    )
    SavingsDocument.objects.update(requested_at=old)
    OrderDocument.objects.update(requested_at=old)
    with (
        mock.patch.object(tasks.build_savings_document_task, "delay") as savings,
        mock.patch.object(order_tasks.render_order_document_task, "delay") as orders,
    ):
        tasks.sweep_pending_documents_task.apply()
    assert savings.call_count == 3
    assert orders.call_count == OrderDocument.objects.count()


def test_tasks_have_the_scheduled_names(settings):
    """Beat and routes name these tasks; documents go to the documents queue."""
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert names == {
        tasks.sweep_pending_documents_task.name,
        tasks.build_previous_month_savings_task.name,
        "suppliers.expire_import_previews",
    }
    assert tasks.build_savings_document_task.name == "reports.build_savings_document"
    assert tasks.build_savings_document_task.acks_late
    assert tasks.build_savings_document_task.reject_on_worker_lost
