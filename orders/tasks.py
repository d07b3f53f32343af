"""Celery adapters for orders: ids in, one service call, no logic (STYLE §6).

Services import this module at module level, so each task imports the
services it calls inside its body.
"""

from smtplib import SMTPException

from celery import shared_task
from django.db import OperationalError

_RETRY = {
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": (OperationalError, SMTPException, ConnectionError),
    "retry_backoff": True,
    "max_retries": 5,
}


@shared_task(name="orders.send_requisition_submitted_email", **_RETRY)
def send_requisition_submitted_email_task(requisition_id: int) -> None:
    """Tell the trust's approvers a requisition awaits their decision."""
    from orders.services import requisitions

    requisitions.requisition_submitted_notify(requisition_id=requisition_id)


@shared_task(name="orders.send_requisition_decision_email", **_RETRY)
def send_requisition_decision_email_task(requisition_id: int) -> None:
    """Tell the requester their requisition was approved or rejected (with why)."""
    from orders.services import requisitions

    requisitions.requisition_decision_notify(requisition_id=requisition_id)


# --- Order documents (DESIGN §6) ----------------------------------------------

import importlib  # noqa: E402 -- this section's own imports
import logging  # noqa: E402

from celery.contrib.django.task import DjangoTask  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import InterfaceError  # noqa: E402

logger = logging.getLogger(__name__)

# Worth another try: the database or the broker or storage blinked.
TRANSIENT_ERRORS = (OperationalError, InterfaceError, ConnectionError, TimeoutError)

DOCUMENT_TASK_OPTIONS = {
    "bind": True,
    "acks_late": True,
    "reject_on_worker_lost": True,
    "autoretry_for": TRANSIENT_ERRORS,
    "retry_backoff": True,
    "retry_backoff_max": 300,
    "max_retries": settings.DOCUMENT_TASK_MAX_RETRIES,
    "soft_time_limit": settings.DOCUMENT_TASK_SOFT_TIME_LIMIT,
    "time_limit": settings.DOCUMENT_TASK_TIME_LIMIT,
}


class DocumentTask(DjangoTask):
    """A document build whose final failure marks the document failed.

    ``on_failure`` runs once retries are used up (or at once for an error not
    worth retrying); a worker killed mid-task does not get here: its task is
    rejected back to the queue instead.
    """

    fail_service: str = ""

    def on_failure(self, exc, task_id, args, kwargs, einfo):
        document_id = kwargs.get("document_id", args[0] if args else None)
        if document_id is None:
            return
        module_name, function_name = self.fail_service.rsplit(".", 1)
        module = importlib.import_module(module_name)
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        getattr(module, function_name)(document_id=document_id, reason=reason)


class OrderDocumentTask(DocumentTask):
    fail_service = "orders.services.documents.order_document_fail"


@shared_task(
    name="orders.render_order_document", base=OrderDocumentTask, **DOCUMENT_TASK_OPTIONS
)
def render_order_document_task(self, document_id: int) -> None:
    """Build one order PDF; running it twice leaves one ready document."""
    from orders.models import OrderDocument
    from orders.services import documents

    try:
        documents.order_document_build(document_id=document_id)
    except OrderDocument.DoesNotExist:
        logger.info("Order document %s no longer exists.", document_id)
