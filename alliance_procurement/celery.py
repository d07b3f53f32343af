"""The Celery application: ``celery -A alliance_procurement worker`` / ``beat``."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_procurement.settings")

app = Celery("alliance_procurement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.worker_init.connect
def _yield_to_the_web_server(**_kwargs) -> None:
    """Before the worker forks its pool: below gunicorn's CPU priority."""
    from django.conf import settings

    from alliance_procurement.priority import lower_cpu_priority

    lower_cpu_priority(settings.WORKER_NICE)
