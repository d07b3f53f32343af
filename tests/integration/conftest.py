"""A real Celery worker on Redis for integration tests (not eager).

``celery_worker`` starts ``celery -A alliance_procurement worker -Q
default,documents`` in its own process group, pointed at the pytest-django
test database (``transactional_db``: the rows a test writes are committed,
so the worker sees them), at this run's broker (``CELERY_BROKER_URL``,
purged first), and at the test's MEDIA_ROOT. It waits for the worker's
"ready" line and stops it afterwards. ``start()`` and ``kill()`` let a test
kill the whole process group with SIGKILL and start a new worker.
"""

import importlib.util
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
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


def settings_from_environment(monkeypatch, **environment: str):
    """settings.py read afresh with these variables set, as a process started
    with them would read it. A copy of the module: Django's settings of this
    process stay as they are until a test assigns from it."""
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(
        "settings_from_environment", ROOT / "alliance_procurement" / "settings.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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


# --- Fault tests: repetitions, private servers, figures ------------------------

# How many times each fault is provoked; ``make soak`` sets 20.
FAULT_REPEAT = max(1, int(os.environ.get("FAULT_REPEAT", "1")))
REDIS_SERVER = Path("/usr/bin/redis-server")
PG_BIN = Path("/usr/lib/postgresql/15/bin")
_FAULT_FIGURES: list[str] = []


def free_port() -> int:
    """A TCP port nothing listens on now (the kernel's choice)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fault_figure(line: str) -> None:
    """Keep a measured figure; all are printed at the end of the run."""
    _FAULT_FIGURES.append(line)


def pytest_terminal_summary(terminalreporter):
    if _FAULT_FIGURES:
        terminalreporter.section("fault figures")
        for line in _FAULT_FIGURES:
            terminalreporter.write_line(line)


def app_database_url() -> str:
    """``DATABASE_URL`` pointed at pytest-django's test database."""
    return _test_database_url()


class PrivateRedis:
    """A redis-server of this test alone, on its own port, with no persistence:
    ``kill()`` loses every message it held, as a crashed broker does."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.log_dir = log_dir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def start(self) -> None:
        log = (self.log_dir / "redis.log").open("ab")
        self.process = subprocess.Popen(  # noqa: S603 -- fixed command line
            [
                str(REDIS_SERVER),
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        pytest.fail("The private redis-server did not start.")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)


@pytest.fixture
def private_redis(tmp_path):
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
def worker_on(transactional_db, settings, tmp_path):
    """Start Celery workers on a broker of the test's choosing (and extra
    settings through the environment); all are stopped after the test."""
    workers = []

    def start(*, broker: str, **extra_env: str) -> WorkerProcess:
        env = {
            **os.environ,
            "DATABASE_URL": _test_database_url(),
            "CELERY_BROKER_URL": broker,
            "MEDIA_ROOT": str(settings.MEDIA_ROOT),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "DJANGO_CONN_MAX_AGE": "0",
            "PYTHONUNBUFFERED": "1",
            **extra_env,
        }
        log_dir = tmp_path / f"workers-{len(workers)}"
        log_dir.mkdir()
        worker = WorkerProcess(env, log_dir)
        workers.append(worker)
        worker.start()
        return worker

    yield start
    for worker in workers:
        worker.stop()


GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"


def production_environment(*, database_url: str, media_root: Path, **extra: str):
    """This process's environment as a production server would read it:
    debug off, its own secret key, the given database, no broker (tasks are
    not run)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("DJANGO_") and key != "CELERY_BROKER_URL"
    }
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "false",
            "DJANGO_SECRET_KEY": "integration-tests-" + os.urandom(24).hex(),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "MEDIA_ROOT": str(media_root),
            "PYTHONUNBUFFERED": "1",
            **extra,
        }
    )
    return env


def manage(*args: str, env: dict) -> str:
    """``manage.py`` in a process of its own with ``env``; its output."""
    result = subprocess.run(  # noqa: S603 -- fixed command line
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class Server:
    """gunicorn serving the app with two workers, in its own process group."""

    def __init__(self, env: dict, log_path):
        self.port = free_port()
        self.log_path = log_path
        self.process = subprocess.Popen(  # noqa: S603 -- fixed command line
            [
                str(GUNICORN),
                "alliance_procurement.wsgi",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "2",
                "--access-logfile",
                "-",
                "--control-socket",
                str(log_path.with_name("gunicorn.ctl")),
            ],
            cwd=ROOT,
            env=env,
            stdout=log_path.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def get(self, path: str, token: str) -> int:
        return self.fetch(path, {"Authorization": f"Token {token}"})[0]

    def fetch(self, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
        """The answer's status and body; the request as the TLS-terminating
        proxy in front of gunicorn sends it."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}",
            headers={"X-Forwarded-Proto": "https", **headers},
        )
        return self._send(request)

    def wait_until_healthy(self, timeout: float = 120) -> None:
        """Until ``/healthz`` answers 200; fails with the server's log."""
        deadline = time.monotonic() + timeout
        while self.probe()[0] != 200:
            log = self.log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log
            assert self.process.poll() is None, log
            time.sleep(0.2)

    def probe(self) -> tuple[int, bytes]:
        """``GET /healthz`` as a load balancer sends it: plain HTTP, to the
        server's own address, which is not among the allowed hosts."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/healthz",
            headers={"Host": f"10.0.3.7:{self.port}"},
        )
        return self._send(request)

    @staticmethod
    def _send(request: urllib.request.Request) -> tuple[int, bytes]:
        """The answer's status and body; 0 when nothing answered."""
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()
        except (urllib.error.URLError, ConnectionError):
            return 0, b""

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=30)


class PrivatePostgres:
    """A PostgreSQL 15 cluster of this test alone: trust authentication, a
    free port, its socket and data in a temporary directory owned by the
    ``postgres`` user (initdb refuses to run as root)."""

    def __init__(self):
        import tempfile

        self.root = Path(tempfile.mkdtemp(prefix="ap-faults-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self.started = False

    def url(self, name: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"

    def _as_postgres(self, *args: str, timeout: float = 120) -> str:
        result = subprocess.run(  # noqa: S603 -- fixed command line
            ["/usr/sbin/runuser", "-u", "postgres", "--", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            pytest.fail(f"{args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def _give_root_to_postgres(self) -> None:
        import shutil

        shutil.chown(self.root, user="postgres", group="postgres")
        self.root.chmod(0o700)

    def init(self) -> None:
        self._give_root_to_postgres()
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--no-sync",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        )
        self.pg_ctl("start")
        self.started = True

    def init_standby(self, primary: "PrivatePostgres") -> None:
        """A hot standby streaming from ``primary``: a base backup of it,
        with the replication settings written (``-R``), then started."""
        self._give_root_to_postgres()
        self._as_postgres(
            str(PG_BIN / "pg_basebackup"),
            "-h",
            "127.0.0.1",
            "-p",
            str(primary.port),
            "-U",
            "postgres",
            "-D",
            str(self.data),
            "--write-recovery-conf",
            "--wal-method=stream",
            "--checkpoint=fast",
            "--no-sync",
        )
        self.pg_ctl("start")
        self.started = True

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        )
        self._as_postgres(
            str(PG_BIN / "pg_ctl"),
            action,
            "-D",
            str(self.data),
            "-l",
            str(self.root / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            *extra,
        )

    def createdb(self, name: str) -> None:
        self._as_postgres(
            str(PG_BIN / "createdb"), "-h", str(self.root), "-p", str(self.port), name
        )

    def destroy(self) -> None:
        import shutil

        if self.started:
            subprocess.run(  # noqa: S603 -- fixed command line
                [
                    "/usr/sbin/runuser",
                    "-u",
                    "postgres",
                    "--",
                    str(PG_BIN / "pg_ctl"),
                    "stop",
                    "-D",
                    str(self.data),
                    "-m",
                    "immediate",
                    "-w",
                ],
                capture_output=True,
                timeout=60,
                check=False,
            )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres():
    cluster = PrivatePostgres()
    try:
        cluster.init()
        yield cluster
    finally:
        cluster.destroy()  # always, even if initdb or the start failed


@pytest.fixture
def private_standby(private_postgres):
    """A streaming replica of ``private_postgres``, on its own port."""
    cluster = PrivatePostgres()
    try:
        cluster.init_standby(private_postgres)
        yield cluster
    finally:
        cluster.destroy()
