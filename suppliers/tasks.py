"""Celery adapter for the nightly expiry of import previews (STYLE §6).

Beat runs ``suppliers.expire_import_previews`` at 03:30 every night
(settings.CELERY_BEAT_SCHEDULE). Running it twice changes nothing more.
"""

import logging

from celery import shared_task
from django.db import InterfaceError, OperationalError

logger = logging.getLogger(__name__)


@shared_task(
    name="suppliers.expire_import_previews",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, ConnectionError, TimeoutError),
    retry_backoff=True,
    max_retries=3,
)
def expire_import_previews_task() -> None:
    """Put old import previews out of date and delete unused upload files."""
    from suppliers import services

    expired = services.import_previews_expire()
    if expired:
        logger.info("%s import previews went out of date.", expired)
