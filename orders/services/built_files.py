"""The last steps of every generated file: ready, failed, queued again.

Order documents and savings files (``reports``) follow the same rules
(DESIGN §6): a build flips its row in one short transaction once the file is
written, a late failure never hides a ready file, and the sweep queues again
what stayed pending too long. Both models have the fields written here:
``status`` (``pending``, ``ready``, ``failed``), ``file``, ``checksum``,
``fingerprint``, ``built_at``, ``failure_reason``, ``attempts`` and
``requested_at``. Each caller names its audit action and the detail that
identifies its file.
"""

import datetime
from collections.abc import Callable

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from trusts import services as trust_services

MAX_REASON_LENGTH = 2000


@transaction.atomic(durable=True)
def built_file_mark_ready(
    model: type[models.Model],
    *,
    document_id: int,
    stored_name: str,
    checksum: str,
    fingerprint: str,
    action: str,
    detail: Callable[[models.Model], dict],
) -> models.Model:
    """Mark a document ready with the file just stored as ``stored_name``.

    If a duplicate run finished first with the same inputs, its file is kept
    and this one deleted after commit; a file replaced by a newer build is
    deleted after commit. Audited as ``action`` by the system (a worker's
    step has no actor) with ``detail(document)``.
    """
    document = model.objects.select_for_update().get(pk=document_id)
    storage = document.file.storage
    if document.is_ready and document.fingerprint == fingerprint:
        # A duplicate run finished first: keep its file, drop this one.
        transaction.on_commit(lambda: storage.delete(stored_name))
        return document
    previous = document.file.name
    document.file.name = stored_name
    document.status = model.Status.READY
    document.failure_reason = ""
    document.checksum = checksum
    document.fingerprint = fingerprint
    document.built_at = timezone.now()
    document.save(
        update_fields=[
            "file",
            "status",
            "failure_reason",
            "checksum",
            "fingerprint",
            "built_at",
        ]
    )
    if previous and previous != stored_name:
        transaction.on_commit(lambda: storage.delete(previous))
    trust_services.audit_record(
        actor=None, action=action, obj=document, detail=detail(document)
    )
    return document


@transaction.atomic(durable=True)
def built_file_fail(
    model: type[models.Model],
    *,
    document_id: int,
    reason: str,
    action: str,
    detail: Callable[[models.Model], dict],
) -> models.Model | None:
    """Mark a document failed with ``reason``; ``None`` if it is gone.

    A document already ready stays ready: a late failure of a duplicate run
    does not hide a good file. Audited as ``action`` by the system with
    ``detail(document)`` and the reason's first 500 characters.
    """
    document = (
        model.objects.select_for_update().filter(pk=document_id).order_by("pk").first()
    )
    if document is None or document.is_ready:
        return document
    document.status = model.Status.FAILED
    document.failure_reason = reason[:MAX_REASON_LENGTH]
    document.save(update_fields=["status", "failure_reason"])
    trust_services.audit_record(
        actor=None,
        action=action,
        obj=document,
        detail={**detail(document), "reason": document.failure_reason[:500]},
    )
    return document


def built_files_requeue_stale(
    model: type[models.Model],
    *,
    now: datetime.datetime,
    queue: Callable[[int], object],
    fail: Callable[[int, int], object],
) -> int:
    """Queue again every document of ``model`` pending past the sweep delay.

    Each is stamped with a new request time, so it is queued once per sweep
    delay, not on every sweep; only the sweep that stamps it queues it.
    ``queue(document_id)`` queues its build. One that has used up its
    attempts (a build that keeps killing its worker) is handed to
    ``fail(document_id, attempts)`` instead. Returns how many were queued.
    """
    cutoff = now - datetime.timedelta(
        seconds=settings.DOCUMENT_PENDING_SWEEP_AFTER_SECONDS
    )
    pending = model.Status.PENDING
    queued = 0
    stale = model.objects.filter(status=pending, requested_at__lt=cutoff)
    for document_id, attempts in stale.values_list("pk", "attempts"):
        if attempts >= settings.DOCUMENT_MAX_ATTEMPTS:
            fail(document_id, attempts)
            continue
        if model.objects.filter(
            pk=document_id, status=pending, requested_at__lt=cutoff
        ).update(requested_at=now):
            queue(document_id)
            queued += 1
    return queued
