"""A real Celery worker on Redis for integration tests (not eager).

``celery_worker`` starts ``celery -A alliance_procurement worker -Q
default,documents`` in its own process group, pointed at the pytest-django
test database (``transactional_db``: the rows a test writes are committed,
so the worker sees them), at this run's broker (``CELERY_BROKER_URL``,
purged first), and at the test's MEDIA_ROOT. It waits for the worker's
"ready" line and stops it afterwards. ``start()`` and ``kill()`` let a test
kill the whole process group with SIGKILL and start a new worker.
"""

import os
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from pathlib import Path

import pytest
import redis
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
READY_TIMEOUT = 90
# Short, so a task held by a worker killed outright is handed out again soon.
VISIBILITY_TIMEOUT = 3


class WorkerProcess:
    def __init__(self, env: dict, log_dir: Path):
        self.env = env
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None
        self.runs = 0

    @property
    def log_path(self) -> Path:
        return self.log_dir / f"worker-{self.runs}.log"

    def start(self) -> None:
        self.runs += 1
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(  # noqa: S603 -- fixed command line
            [
                str(CELERY),
                "-A",
                "alliance_procurement",
                "worker",
                "-Q",
                "default,documents",
                "--pool",
                "prefork",
                "--concurrency",
                "1",
                "--loglevel",
                "INFO",
                "-n",
                f"integration-{uuid.uuid4().hex[:8]}@%h",
                "--without-mingle",
                "--without-gossip",
            ],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if b" ready." in self.log_path.read_bytes():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        pytest.fail(f"Celery worker did not start:\n{self.log()}")

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace")
            for path in sorted(self.log_dir.glob("worker-*.log"))
        )

    def kill(self) -> None:
        """SIGKILL the worker's whole process group: no chance to clean up."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def _test_database_url() -> str:
    parts = urllib.parse.urlsplit(os.environ["DATABASE_URL"])
    return urllib.parse.urlunsplit(
        parts._replace(path="/" + connection.settings_dict["NAME"])
    )


@pytest.fixture
def celery_worker(transactional_db, settings, tmp_path):
    """A started worker on the test database; stopped after the test."""
    broker = os.environ["CELERY_BROKER_URL"]
    # Start from an empty broker database: no task of an earlier run.
    redis.Redis.from_url(broker).flushdb()
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
        "DJANGO_CONN_MAX_AGE": "0",
        "PYTHONUNBUFFERED": "1",
    }
    worker = WorkerProcess(env, tmp_path)
    worker.start()
    yield worker
    worker.stop()
    redis.Redis.from_url(broker).flushdb()


def wait_for(predicate, *, timeout: float, worker: WorkerProcess, what: str):
    """Poll ``predicate`` until true; fail with the worker's log on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    pytest.fail(f"Timed out waiting for {what}.\nWorker log:\n{worker.log()}")
