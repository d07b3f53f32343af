"""Celery adapters for savings files and the document sweep (STYLE §6).

Services import this module at module level, so each task imports the
services it calls inside its body. Beat runs ``reports.build_previous_month_savings``
at 02:00 on the 1st and ``reports.sweep_pending_documents`` every five minutes
(settings.CELERY_BEAT_SCHEDULE).
"""

import logging

from celery import shared_task

from orders.tasks import DOCUMENT_TASK_OPTIONS, TRANSIENT_ERRORS, DocumentTask

logger = logging.getLogger(__name__)


class SavingsDocumentTask(DocumentTask):
    fail_service = "reports.services.savings_document_fail"


@shared_task(
    name="reports.build_savings_document",
    base=SavingsDocumentTask,
    **DOCUMENT_TASK_OPTIONS,
)
def build_savings_document_task(self, document_id: int) -> None:
    """Build one savings file; running it twice leaves one ready file."""
    from reports import services
    from reports.models import SavingsDocument

    try:
        services.savings_document_build(document_id=document_id)
    except SavingsDocument.DoesNotExist:
        logger.info("Savings document %s no longer exists.", document_id)


@shared_task(
    name="reports.build_previous_month_savings",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=5,
)
def build_previous_month_savings_task() -> None:
    """Ask for last month's savings files for the alliance and every trust."""
    from reports import services

    services.savings_previous_month_request()


@shared_task(
    name="reports.sweep_pending_documents",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=TRANSIENT_ERRORS,
    retry_backoff=True,
    max_retries=3,
)
def sweep_pending_documents_task() -> None:
    """Queue again order and savings documents left pending too long."""
    from reports import services

    queued = services.pending_documents_sweep()
    if queued:
        logger.info("Queued %s pending documents again.", queued)
