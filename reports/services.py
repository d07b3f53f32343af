"""Savings documents: request, build, fail; and the sweep of both kinds.

Same rules as order documents (DESIGN §6): the row records what must be
built, a build renders with no transaction open and flips the row in one
short transaction, and a ready file for the same inputs is not built again.
"""

import dataclasses
import datetime
import hashlib
import json

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders.services import built_files
from orders.services import documents as order_document_services
from reports import documents, selectors
from reports.models import SavingsDocument
from reports.tasks import build_savings_document_task
from trusts import services as trust_services
from trusts.models import Trust


@transaction.atomic(durable=True)
def savings_documents_request(
    *,
    month: datetime.date,
    trusts: list[Trust | None] | None = None,
    actor=None,
) -> list[SavingsDocument]:
    """Ask for a month's savings files, in every format, and queue their builds.

    ``trusts`` lists the scopes (``None`` is the alliance-wide summary);
    omitted, the alliance and every active trust. Each document is created
    if missing and set back to pending; builds are queued on commit.
    Audited as ``reports.savings_document.requested`` by ``actor`` (``None``
    for the monthly schedule) with the month and the file names.
    """
    month = selectors.month_start(month)
    if trusts is None:
        trusts = [None, *Trust.objects.active().order_by("code")]
    now = timezone.now()
    requested = []
    for trust in trusts:
        for file_format in SavingsDocument.Format.values:
            document, _created = SavingsDocument.objects.get_or_create(
                month=month,
                trust=trust,
                format=file_format,
                defaults={"requested_at": now},
            )
            document.status = SavingsDocument.Status.PENDING
            document.failure_reason = ""
            document.requested_at = now
            document.attempts = 0
            document.save(
                update_fields=["status", "failure_reason", "requested_at", "attempts"]
            )
            build_savings_document_task.delay_on_commit(document.pk)
            requested.append(document)
    trust_services.audit_record(
        actor=actor,
        action="reports.savings_document.requested",
        detail={
            "month": f"{month:%Y-%m}",
            "files": [
                _filename(month, trust, file_format)
                for trust in trusts
                for file_format in SavingsDocument.Format.values
            ],
        },
    )
    return requested


def savings_previous_month_request(
    *, today: datetime.date | None = None
) -> list[SavingsDocument]:
    """Ask for last month's files for the alliance and every trust (beat, 1st)."""
    today = today or timezone.localdate()
    month = selectors.month_add(selectors.month_start(today), -1)
    return savings_documents_request(month=month)


def _fingerprint(summary: selectors.SavingsSummary, file_format: str) -> str:
    shown = dataclasses.asdict(dataclasses.replace(summary, trust=None)) | {
        "scope": summary.scope_code
    }
    payload = json.dumps(
        [documents.LAYOUT_VERSION, file_format, shown], default=str, sort_keys=True
    ).encode()
    return hashlib.sha256(payload).hexdigest()


def savings_document_filename(document: SavingsDocument) -> str:
    """``savings-2026-03-WMAS.pdf`` or ``savings-2026-03-alliance.csv``."""
    return _filename(
        document.month, document.trust if document.trust_id else None, document.format
    )


def _filename(month: datetime.date, trust: Trust | None, file_format: str) -> str:
    scope = trust.code if trust is not None else selectors.ALLIANCE
    return f"savings-{month:%Y-%m}-{scope}.{file_format}"


@transaction.atomic(durable=True)
def savings_document_downloaded(*, actor, document: SavingsDocument) -> None:
    """Record that ``actor`` downloaded a ready savings file (ASVS V16).

    Audited as ``reports.savings_document.downloaded`` with the file name.
    """
    trust_services.audit_record(
        actor=actor,
        action="reports.savings_document.downloaded",
        obj=document,
        detail={
            "filename": savings_document_filename(document),
            "format": document.format,
        },
    )


def savings_document_build(*, document_id: int) -> SavingsDocument:
    """Build one savings file; skip it if ready for the same figures."""
    document = SavingsDocument.objects.select_related("trust").get(pk=document_id)
    summary = selectors.savings_summary(month=document.month, trust=document.trust)
    fingerprint = _fingerprint(summary, document.format)
    if document.is_ready and document.fingerprint == fingerprint:
        return document
    SavingsDocument.objects.filter(pk=document_id).update(
        attempts=document.attempts + 1
    )
    content = documents.savings_render(summary, document.format)
    name = document.file.field.generate_filename(
        document, savings_document_filename(document)
    )
    stored_name = document.file.storage.save(name, ContentFile(content))
    return _savings_document_mark_ready(
        document_id=document_id,
        stored_name=stored_name,
        checksum=hashlib.sha256(content).hexdigest(),
        fingerprint=fingerprint,
    )


def _savings_document_mark_ready(
    *, document_id: int, stored_name: str, checksum: str, fingerprint: str
) -> SavingsDocument:
    return built_files.built_file_mark_ready(
        SavingsDocument,
        document_id=document_id,
        stored_name=stored_name,
        checksum=checksum,
        fingerprint=fingerprint,
        action="reports.savings_document.built",
        detail=_audit_detail,
    )


def _audit_detail(document: SavingsDocument) -> dict:
    return {"filename": savings_document_filename(document)}


def savings_document_fail(*, document_id: int, reason: str) -> SavingsDocument | None:
    """Mark a savings file failed with its reason; a ready one stays ready."""
    return built_files.built_file_fail(
        SavingsDocument,
        document_id=document_id,
        reason=reason,
        action="reports.savings_document.failed",
        detail=_audit_detail,
    )


def savings_documents_requeue_stale(*, now: datetime.datetime | None = None) -> int:
    """Queue again every savings file pending longer than the sweep delay."""
    return built_files.built_files_requeue_stale(
        SavingsDocument,
        now=now or timezone.now(),
        queue=build_savings_document_task.delay,
        fail=lambda document_id, attempts: savings_document_fail(
            document_id=document_id,
            reason=_("The file could not be built after %(n)s attempts.")
            % {"n": attempts},
        ),
    )


def pending_documents_sweep(*, now: datetime.datetime | None = None) -> int:
    """Queue again order and savings documents left pending too long (DESIGN §6).

    The broker may lose messages; the database does not. Returns how many
    builds were queued.
    """
    now = now or timezone.now()
    return order_document_services.order_documents_requeue_stale(
        now=now
    ) + savings_documents_requeue_stale(now=now)
