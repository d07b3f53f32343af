"""Order documents: request, build, skip, fail, sweep (DESIGN §6)."""

import datetime
import hashlib
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils import timezone

from orders import documents as pdf
from orders import tasks
from orders.models import JointPurchaseOrder, OrderDocument
from orders.services import documents as services
from tests import factories
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = pytest.mark.django_db


@pytest.fixture
def order():
    return build_order(trusts=build_trusts(), lines=3)


def _request(order, capture):
    with (
        mock.patch.object(tasks.render_order_document_task, "delay") as delay,
        capture(execute=True),
    ):
        documents = services.order_documents_rebuild(order_id=order.pk)
    return documents, delay


def _files(settings):
    root = settings.MEDIA_ROOT / "orders" / "documents"
    return sorted(path for path in root.rglob("*") if path.is_file())


def test_request_creates_consolidated_and_one_share_per_trust(
    order, django_capture_on_commit_callbacks
):
    """Requesting leaves pending documents: consolidated plus one per share."""
    documents, _delay = _request(order, django_capture_on_commit_callbacks)
    kinds = sorted((d.kind, d.trust.code if d.trust else "") for d in documents)
    assert kinds == [
        ("consolidated", ""),
        ("share", "SECAMB"),
        ("share", "SWASFT"),
        ("share", "WMAS"),
    ]
    assert all(d.status == OrderDocument.Status.PENDING for d in documents)


def test_request_queues_each_build_once_on_commit(
    order, django_capture_on_commit_callbacks
):
    """Each document's build is queued once, after the transaction commits."""
    with (
        mock.patch.object(tasks.render_order_document_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=False) as callbacks,
    ):
        documents = services.order_documents_rebuild(order_id=order.pk)
        delay.assert_not_called()
    for callback in callbacks:
        callback()
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(
        d.pk for d in documents
    )


def test_request_again_resets_without_duplicates(
    order, django_capture_on_commit_callbacks
):
    """A rebuild sets the same documents back to pending; no new rows."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    services.order_document_fail(document_id=documents[0].pk, reason="Boom")
    _request(order, django_capture_on_commit_callbacks)
    assert OrderDocument.objects.filter(order=order).count() == 4
    assert set(OrderDocument.objects.values_list("status", flat=True)) == {"pending"}
    assert set(OrderDocument.objects.values_list("failure_reason", flat=True)) == {""}


def test_draft_order_gets_no_documents(django_capture_on_commit_callbacks):
    """Documents are built only for issued orders."""
    draft = build_order(
        trusts=build_trusts(), lines=1, status=JointPurchaseOrder.Status.DRAFT
    )
    with pytest.raises(ValidationError) as error:
        services.order_documents_rebuild(order_id=draft.pk)
    assert error.value.code == "not_issued"
    assert not OrderDocument.objects.exists()


def test_build_stores_the_pdf_and_marks_it_ready(
    order, settings, django_capture_on_commit_callbacks
):
    """A build writes the file and records its checksum, fingerprint and time."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    share = next(d for d in documents if d.trust_id)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_document_build(document_id=share.pk)
    share.refresh_from_db()
    assert share.status == OrderDocument.Status.READY
    content = share.file.read()
    assert content.startswith(b"%PDF")
    assert share.checksum == hashlib.sha256(content).hexdigest()
    assert share.fingerprint
    assert share.built_at is not None
    assert share.attempts == 1
    assert share.file.name.endswith(f"{order.number}-{share.trust.code}.pdf")


def test_build_twice_leaves_one_ready_document_and_file(
    order, settings, django_capture_on_commit_callbacks
):
    """Running a build twice renders once and leaves one ready file."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    document = documents[0]
    with (
        mock.patch.object(
            pdf, "order_document_render", wraps=pdf.order_document_render
        ) as render,
        django_capture_on_commit_callbacks(execute=True),
    ):
        services.order_document_build(document_id=document.pk)
        services.order_document_build(document_id=document.pk)
    assert render.call_count == 1
    assert len(_files(settings)) == 1
    assert OrderDocument.objects.get(pk=document.pk).is_ready


def test_rebuild_replaces_the_file(order, settings, django_capture_on_commit_callbacks):
    """A rebuild renders again and deletes the file it replaces."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    document = documents[0]
    with django_capture_on_commit_callbacks(execute=True):
        services.order_document_build(document_id=document.pk)
    first = OrderDocument.objects.get(pk=document.pk).file.name
    _request(order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_document_build(document_id=document.pk)
    document.refresh_from_db()
    assert document.is_ready
    assert document.file.name != first
    assert len(_files(settings)) == 1


def test_duplicate_run_finishing_second_discards_its_file(
    order, settings, django_capture_on_commit_callbacks
):
    """Of two concurrent runs, the one finishing second keeps the first's file."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    document = documents[0]
    data = pdf.order_document_data(order_id=order.pk)
    fingerprint = data.fingerprint()
    storage = document.file.storage
    with django_capture_on_commit_callbacks(execute=True):
        winner = services._order_document_mark_ready(
            document_id=document.pk,
            stored_name=_save(storage, "a.pdf"),
            checksum="a",
            fingerprint=fingerprint,
        )
        services._order_document_mark_ready(
            document_id=document.pk,
            stored_name=_save(storage, "b.pdf"),
            checksum="b",
            fingerprint=fingerprint,
        )
    document.refresh_from_db()
    assert document.checksum == "a"
    assert document.file.name == winner.file.name
    assert [path.name for path in _files(settings)] == ["a.pdf"]


def _save(storage, name):
    from django.core.files.base import ContentFile

    return storage.save(f"orders/documents/x/{name}", ContentFile(b"%PDF-test"))


def test_fail_records_the_reason(order, django_capture_on_commit_callbacks):
    """A document that cannot be built shows failed with its reason."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    services.order_document_fail(document_id=documents[0].pk, reason="No fonts")
    documents[0].refresh_from_db()
    assert documents[0].status == OrderDocument.Status.FAILED
    assert documents[0].failure_reason == "No fonts"


def test_late_failure_keeps_a_ready_document(order, django_capture_on_commit_callbacks):
    """A failing duplicate run does not hide a document already ready."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.order_document_build(document_id=documents[0].pk)
    services.order_document_fail(document_id=documents[0].pk, reason="Late")
    documents[0].refresh_from_db()
    assert documents[0].is_ready


def test_task_marks_failed_after_an_error_not_worth_retrying(
    order, django_capture_on_commit_callbacks
):
    """A build error that is not transient fails the document with its reason."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    with mock.patch.object(
        pdf, "order_document_render", side_effect=ValueError("bad template")
    ):
        result = tasks.render_order_document_task.apply(
            args=[documents[0].pk], throw=False
        )
    assert result.failed()
    documents[0].refresh_from_db()
    assert documents[0].status == OrderDocument.Status.FAILED
    assert documents[0].failure_reason == "ValueError: bad template"


def test_task_retries_transient_errors_then_fails(
    order, django_capture_on_commit_callbacks, monkeypatch
):
    """Transient errors are retried up to the limit; then the document fails."""
    # Run in process, each retry at once, without re-raising between them.
    task = tasks.render_order_document_task
    monkeypatch.setitem(task.app.conf, "task_eager_propagates", False)
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    with mock.patch.object(
        services, "order_document_build", side_effect=OperationalError("db gone")
    ) as build:
        tasks.render_order_document_task.apply(args=[documents[0].pk], throw=False)
    assert build.call_count == tasks.render_order_document_task.max_retries + 1
    documents[0].refresh_from_db()
    assert documents[0].status == OrderDocument.Status.FAILED
    assert "OperationalError" in documents[0].failure_reason


def test_task_options_survive_a_dying_worker():
    """Order builds are acknowledged late, rejected on worker loss, routed."""
    task = tasks.render_order_document_task
    assert task.name == "orders.render_order_document"
    assert task.acks_late is True
    assert task.reject_on_worker_lost is True
    assert OperationalError in task.autoretry_for


def test_sweep_queues_documents_pending_too_long(
    order, settings, django_capture_on_commit_callbacks
):
    """Documents pending past the delay are queued again, once per delay."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    old = timezone.now() - datetime.timedelta(
        seconds=settings.DOCUMENT_PENDING_SWEEP_AFTER_SECONDS + 1
    )
    OrderDocument.objects.filter(pk=documents[0].pk).update(requested_at=old)
    with mock.patch.object(tasks.render_order_document_task, "delay") as delay:
        assert services.order_documents_requeue_stale() == 1
        assert services.order_documents_requeue_stale() == 0
    delay.assert_called_once_with(documents[0].pk)


def test_sweep_gives_up_after_the_attempt_limit(
    order, settings, django_capture_on_commit_callbacks
):
    """A document that used up its attempts is marked failed, not queued again."""
    documents, _ = _request(order, django_capture_on_commit_callbacks)
    old = timezone.now() - datetime.timedelta(days=1)
    OrderDocument.objects.filter(pk=documents[0].pk).update(
        requested_at=old, attempts=settings.DOCUMENT_MAX_ATTEMPTS
    )
    with mock.patch.object(tasks.render_order_document_task, "delay") as delay:
        services.order_documents_requeue_stale()
    delay.assert_not_called()
    documents[0].refresh_from_db()
    assert documents[0].status == OrderDocument.Status.FAILED


def test_issuing_an_order_requests_its_documents(django_capture_on_commit_callbacks):
    """Issuing an order leaves its documents pending and queues them on commit."""
    from orders.services import purchase_orders

    draft = build_order(
        trusts=build_trusts(), lines=2, status=JointPurchaseOrder.Status.DRAFT
    )
    buyer = factories.UserFactory(membership__is_buyer=True)
    with (
        mock.patch.object(tasks.render_order_document_task, "delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        purchase_orders.joint_order_issue(order_id=draft.pk, buyer=buyer)
    documents = OrderDocument.objects.filter(order=draft)
    assert documents.count() == 4
    assert set(documents.values_list("status", flat=True)) == {"pending"}
    assert sorted(call.args[0] for call in delay.call_args_list) == sorted(
        documents.values_list("pk", flat=True)
    )
