"""Order documents: request, build, fail and sweep (DESIGN §6).

The database, not the queue, records what must be built: requesting leaves
a pending row per document and queues its build on commit; the periodic
sweep queues again any left pending too long. A build renders outside any
transaction, writes the file, then flips the row in one short transaction,
so running it twice leaves one ready document.
"""

import datetime
import hashlib
import logging

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from orders import documents as pdf
from orders.models import JointPurchaseOrder, OrderDocument, OrderShare
from orders.services import built_files
from orders.tasks import render_order_document_task
from trusts import services as trust_services

logger = logging.getLogger(__name__)


@transaction.atomic(durable=True)
def order_documents_rebuild(*, order_id: int, actor=None) -> list[OrderDocument]:
    """Build an order's documents again (a buyer's Rebuild): a new request.

    Audited as ``orders.order_document.rebuild_requested`` with the order
    number and the file names.
    """
    return _order_documents_request(
        order_id=order_id,
        actor=actor,
        action="orders.order_document.rebuild_requested",
    )


@transaction.atomic
def order_documents_request(*, order_id: int, actor=None) -> list[OrderDocument]:
    """Ask for an order's documents: the consolidated one and one per share.

    Creates missing documents, sets every one back to pending (a rebuild is
    another request) and queues each build once the transaction commits.
    Runs inside the caller's transaction (``joint_order_issue`` calls it),
    so nothing is queued if the issue rolls back. A draft or cancelled order
    has no documents: ``ValidationError`` ``not_issued``. Audited as
    ``orders.order_document.requested`` by ``actor``.
    """
    return _order_documents_request(
        order_id=order_id, actor=actor, action="orders.order_document.requested"
    )


def _order_documents_request(
    *, order_id: int, actor, action: str
) -> list[OrderDocument]:
    order = JointPurchaseOrder.objects.select_for_update().get(pk=order_id)
    if order.status in {
        JointPurchaseOrder.Status.DRAFT,
        JointPurchaseOrder.Status.CANCELLED,
    }:
        raise ValidationError(
            _("Documents are built only for issued orders."), code="not_issued"
        )
    now = timezone.now()
    wanted = [(OrderDocument.Kind.CONSOLIDATED, None, order.number)] + [
        (OrderDocument.Kind.SHARE, trust_id, f"{order.number}-{trust_code}")
        for trust_id, trust_code in OrderShare.objects.filter(order=order)
        .order_by("trust__code")
        .values_list("trust_id", "trust__code")
    ]
    documents = []
    for kind, trust_id, _filename in wanted:
        document, _created = OrderDocument.objects.get_or_create(
            order=order, kind=kind, trust_id=trust_id, defaults={"requested_at": now}
        )
        document.status = OrderDocument.Status.PENDING
        document.failure_reason = ""
        document.requested_at = now
        document.attempts = 0
        document.save(
            update_fields=["status", "failure_reason", "requested_at", "attempts"]
        )
        render_order_document_task.delay_on_commit(document.pk)
        documents.append(document)
    trust_services.audit_record(
        actor=actor,
        action=action,
        obj=order,
        detail={
            "number": order.number,
            "files": [f"{filename}.pdf" for _kind, _trust, filename in wanted],
        },
    )
    return documents


def order_document_build(*, document_id: int) -> OrderDocument:
    """Build one order document; skip it if ready for the same inputs.

    Counts the attempt, loads the order's data, renders the PDF with no
    transaction open, stores the file under a new name, then in one short
    transaction marks the row ready with its checksum and fingerprint. If
    another run finished first with the same inputs, the new file is
    discarded; a replaced file is deleted after commit.
    """
    document = OrderDocument.objects.get(pk=document_id)
    data = pdf.order_document_data(order_id=document.order_id)
    fingerprint = data.fingerprint(trust_id=document.trust_id)
    if document.is_ready and document.fingerprint == fingerprint:
        return document
    OrderDocument.objects.filter(pk=document_id).update(attempts=document.attempts + 1)

    content = pdf.order_document_render(data, trust_id=document.trust_id)
    checksum = hashlib.sha256(content).hexdigest()
    name = document.file.field.generate_filename(
        document, f"{document_filename(document)}.pdf"
    )
    stored_name = document.file.storage.save(name, ContentFile(content))
    return _order_document_mark_ready(
        document_id=document_id,
        stored_name=stored_name,
        checksum=checksum,
        fingerprint=fingerprint,
    )


def _order_document_mark_ready(
    *, document_id: int, stored_name: str, checksum: str, fingerprint: str
) -> OrderDocument:
    return built_files.built_file_mark_ready(
        OrderDocument,
        document_id=document_id,
        stored_name=stored_name,
        checksum=checksum,
        fingerprint=fingerprint,
        action="orders.order_document.built",
        detail=_audit_detail,
    )


def _audit_detail(document: OrderDocument) -> dict:
    return {"filename": f"{document_filename(document)}.pdf"}


def order_document_fail(*, document_id: int, reason: str) -> OrderDocument | None:
    """Mark a document failed with its reason, after its last try (DESIGN §6).

    A document already ready stays ready: a late failure of a duplicate run
    does not hide a good file. Audited as ``orders.order_document.failed``.
    """
    return built_files.built_file_fail(
        OrderDocument,
        document_id=document_id,
        reason=reason,
        action="orders.order_document.failed",
        detail=_audit_detail,
    )


def order_documents_requeue_stale(*, now: datetime.datetime | None = None) -> int:
    """Queue again every order document pending longer than the sweep delay.

    Each one is stamped with a new request time, so it is queued once per
    sweep delay, not on every sweep. A document that has used up its
    attempts (a build that keeps killing its worker) is marked failed.
    Returns how many were queued.
    """
    return built_files.built_files_requeue_stale(
        OrderDocument,
        now=now or timezone.now(),
        queue=render_order_document_task.delay,
        fail=lambda document_id, attempts: order_document_fail(
            document_id=document_id,
            reason=_("The document could not be built after %(n)s attempts.")
            % {"n": attempts},
        ),
    )


@transaction.atomic(durable=True)
def order_document_downloaded(*, actor, document: OrderDocument) -> None:
    """Record that ``actor`` downloaded a ready order document (ASVS V16).

    Audited as ``orders.order_document.downloaded`` with the file name.
    """
    trust_services.audit_record(
        actor=actor,
        action="orders.order_document.downloaded",
        obj=document,
        detail={
            "filename": f"{document_filename(document)}.pdf",
            "kind": document.kind,
        },
    )


def document_filename(document: OrderDocument) -> str:
    """The file name a person downloads, without extension: ``AP-2026-000001``
    or ``AP-2026-000001-WMAS``."""
    number = document.order.number
    if document.trust_id:
        return f"{number}-{document.trust.code}"
    return number
