"""The settings modes: embedded defaults, full stack, production (DESIGN §9)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PROBE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps({'engine': settings.DATABASES['default']['ENGINE'], "
    "'eager': settings.CELERY_TASK_ALWAYS_EAGER, 'debug': settings.DEBUG, "
    "'broker': settings.CELERY_BROKER_URL, "
    "'idle': settings.SESSION_COOKIE_AGE, "
    "'refresh': settings.SESSION_REFRESH_SECONDS, "
    "'acks_late': settings.CELERY_TASK_ACKS_LATE, "
    "'reject': settings.CELERY_TASK_REJECT_ON_WORKER_LOST, "
    "'prefetch': settings.CELERY_WORKER_PREFETCH_MULTIPLIER, "
    "'content': settings.CELERY_ACCEPT_CONTENT, "
    "'routes': settings.CELERY_TASK_ROUTES, "
    "'server_cursors_off': settings.DATABASES['default']"
    ".get('DISABLE_SERVER_SIDE_CURSORS')}))"
)
CONFIG_VARS = (
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "DJANGO_SECRET_KEY",
    "DJANGO_DEBUG",
    "DJANGO_ALLOWED_HOSTS",
    "REDIS_CACHE_URL",
    "AWS_STORAGE_BUCKET_NAME",
    # Set by the browser tests for Playwright's event loop; never in deployment.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DATABASE_DISABLE_SERVER_SIDE_CURSORS",
)


def _run(args, **env_vars):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG_VARS}
    env.update(env_vars, DJANGO_SETTINGS_MODULE="alliance_procurement.settings")
    return subprocess.run(  # noqa: S603 -- fixed arguments, our own interpreter
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _settings(**env_vars) -> dict:
    result = _run(["-c", PROBE], **env_vars)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_bare_machine_runs_on_sqlite_with_tasks_in_process():
    """With nothing set: a SQLite file, eager Celery and debug on."""
    loaded = _settings()
    assert loaded["engine"] == "django.db.backends.sqlite3"
    assert loaded["eager"] is True
    assert loaded["debug"] is True


def test_full_stack_uses_postgresql_and_a_real_broker():
    """DATABASE_URL and CELERY_BROKER_URL switch to PostgreSQL and real workers."""
    loaded = _settings(
        DATABASE_URL="postgres://u:p@db.example:5432/alliance",
        CELERY_BROKER_URL="redis://redis.example:6379/0",
    )
    assert loaded["engine"] == "django.db.backends.postgresql"
    assert loaded["eager"] is False
    assert loaded["broker"] == "redis://redis.example:6379/0"


def test_server_side_cursors_can_be_turned_off_for_pgbouncer():
    """On by default with PostgreSQL; off when the database sits behind
    PgBouncer in transaction pooling."""
    postgres = "postgres://u:p@db.example:5432/alliance"
    assert _settings(DATABASE_URL=postgres)["server_cursors_off"] is False
    behind_pgbouncer = _settings(
        DATABASE_URL=postgres, DATABASE_DISABLE_SERVER_SIDE_CURSORS="true"
    )
    assert behind_pgbouncer["server_cursors_off"] is True


def test_celery_is_configured_for_reliability():
    """JSON only, acks late, rejected on worker loss, prefetch 1, a documents queue."""
    loaded = _settings()
    assert loaded["content"] == ["json"]
    assert loaded["acks_late"] is True
    assert loaded["reject"] is True
    assert loaded["prefetch"] == 1
    assert {route["queue"] for route in loaded["routes"].values()} == {"documents"}


def test_sessions_expire_after_an_hour_idle_and_are_configurable():
    """Sessions end after an hour without a request unless configured otherwise."""
    assert _settings()["idle"] == 3600
    assert _settings()["refresh"] == 60
    assert _settings(DJANGO_SESSION_IDLE_SECONDS="900")["idle"] == 900


def test_production_refuses_to_start_without_a_secret_key():
    """Debug off with no secret key is a configuration error, not a weak default."""
    result = _run(["-c", PROBE], DJANGO_DEBUG="false")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize("debug", ["false", "False", "0"])
def test_production_passes_the_deployment_checklist(debug):
    """check --deploy reports nothing with debug off and a real secret key."""
    result = _run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_DEBUG=debug,
        DJANGO_SECRET_KEY="k7#Qz!v9Lp2@xR5tY8wE3nM6bC1dF4gH0jK9sA2qW5eR8tY1uI4o",
        DJANGO_ALLOWED_HOSTS="procurement.example.nhs.uk",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
