"""The Celery application: ``celery -A alliance_procurement worker`` / ``beat``."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "alliance_procurement.settings")

app = Celery("alliance_procurement")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
