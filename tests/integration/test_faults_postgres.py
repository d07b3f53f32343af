"""PostgreSQL restarted under a running app server (settings: CONN_MAX_AGE,
CONN_HEALTH_CHECKS).

A private cluster (never the machine's shared server) is created, migrated
and served by gunicorn with two workers and production settings. Each
worker keeps its database connection between requests; ``pg_ctl restart -m
fast`` cuts them all. Requests made while the server is down may fail; once
it is back, every request must succeed: a stale connection is noticed and
replaced before the request uses it.
"""

import threading
import time

import pytest

from tests.integration.conftest import (
    FAULT_REPEAT,
    Server,
    fault_figure,
    manage,
    production_environment,
)

pytestmark = pytest.mark.integration

REQUESTS_AFTER_RESTART = 20

MAKE_TOKEN = """
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from trusts.models import Membership
user = get_user_model().objects.create_user("fault-buyer", password=None)
Membership.objects.create(user=user, trust=None, is_buyer=True)
print(Token.objects.create(user=user).key)
"""


@pytest.fixture
def app_on_private_postgres(private_postgres, tmp_path):
    private_postgres.createdb("alliance")
    env = production_environment(
        database_url=private_postgres.url("alliance"), media_root=tmp_path / "media"
    )
    manage("migrate", "--noinput", "-v", "0", env=env)
    token = manage("shell", "-c", MAKE_TOKEN, env=env).split()[-1]
    server = Server(env, tmp_path / "gunicorn.log")
    yield server, token
    server.stop()


def _log(server: Server, private_postgres) -> str:
    server_log = private_postgres.root / "server.log"
    return (
        server.log_path.read_text(errors="replace")
        + "\n--- postgres ---\n"
        + (server_log.read_text(errors="replace") if server_log.exists() else "")
    )


def test_app_answers_every_request_after_postgres_restarts(
    app_on_private_postgres, private_postgres
):
    """Each fast restart of PostgreSQL kills every kept connection; a request
    while it is down gets 503 (try again), every request once the server is
    back returns 200."""
    server, token = app_on_private_postgres
    path = "/api/v1/orders/"
    deadline = time.monotonic() + 120
    while server.get(path, token) != 200:
        assert time.monotonic() < deadline, _log(server, private_postgres)
        assert server.process.poll() is None, _log(server, private_postgres)
        time.sleep(0.2)
    # Enough requests that both workers hold a connection kept for reuse.
    assert [server.get(path, token) for _ in range(10)] == [200] * 10

    for run in range(1, FAULT_REPEAT + 1):
        # Odd runs send nothing while PostgreSQL restarts, so the first request
        # after it meets each worker's dead connection; even runs keep asking
        # throughout, as users would.
        probing = run % 2 == 0
        during: list[int] = []
        stop = threading.Event()

        def probe(during=during, stop=stop):
            while not stop.is_set():
                during.append(server.get(path, token))
                time.sleep(0.05)

        prober = threading.Thread(target=probe)
        began = time.monotonic()
        if probing:
            prober.start()
        try:
            private_postgres.pg_ctl("restart", "-m", "fast")
        finally:
            stop.set()
            if probing:
                prober.join(60)
        back = time.monotonic()
        after = [server.get(path, token) for _ in range(REQUESTS_AFTER_RESTART)]
        recovered = time.monotonic()
        assert after == [200] * REQUESTS_AFTER_RESTART, _log(server, private_postgres)
        failed_during = [status for status in during if status != 200]
        # While it is down, a request is told to try again (503), not a fault.
        assert set(failed_during) <= {503}, _log(server, private_postgres)
        traffic = (
            f"while it restarted {len(during)} requests, {len(failed_during)} "
            f"failed ({sorted(set(failed_during))})"
            if probing
            else "no request while it restarted"
        )
        fault_figure(
            f"PostgreSQL fast restart, run {run}/{FAULT_REPEAT}: server back "
            f"{back - began:.1f}s after the restart began; {len(after)} requests "
            f"after it all 200 in {recovered - back:.2f}s; {traffic}"
        )


def test_health_check_follows_the_database(app_on_private_postgres, private_postgres):
    """A load balancer's probe is answered over plain HTTP to an address not
    among the allowed hosts: 200 while PostgreSQL runs, 503 naming the
    database while it is stopped, 200 again on the first probe once it is
    back (each worker's dead connection is replaced)."""
    server, token = app_on_private_postgres
    deadline = time.monotonic() + 120
    while server.probe()[0] != 200:
        assert time.monotonic() < deadline, _log(server, private_postgres)
        assert server.process.poll() is None, _log(server, private_postgres)
        time.sleep(0.2)
    # Both workers hold a kept connection.
    assert [server.probe() for _ in range(6)] == [(200, b"ok\n")] * 6
    assert server.get("/api/v1/orders/", token) == 200

    private_postgres.pg_ctl("stop", "-m", "fast")
    try:
        down = [server.probe() for _ in range(6)]
    finally:
        private_postgres.pg_ctl("start")
    assert down == [(503, b"database: not answering\n")] * 6, _log(
        server, private_postgres
    )
    assert [server.probe() for _ in range(6)] == [(200, b"ok\n")] * 6, _log(
        server, private_postgres
    )
    assert server.get("/api/v1/orders/", token) == 200
