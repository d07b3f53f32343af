"""Reports and exports on a real streaming replica, and without it.

A private primary cluster and a hot standby streaming from it (a base
backup with ``--write-recovery-conf``) serve gunicorn with production
settings, ``DATABASE_URL`` on the primary and ``DATABASE_REPLICA_URL`` on
the standby. The standby's replay is paused to tell the two apart: a change
made on the primary then shows on the pages and not in the exports, which
read from the replica. With the standby stopped, exports come from the
primary; started again, they go back to it. Who may see them is decided on
the primary throughout.
"""

import time

import psycopg
import pytest

from tests.integration.conftest import Server, manage, production_environment

pytestmark = pytest.mark.integration

# Seconds a web process leaves a replica that did not answer (short here).
RETRY_SECONDS = 2
REQUESTS = 6  # enough for both gunicorn workers
EXPORT = "/orders/requisitions/?_export=csv"
PAGE = "/orders/requisitions/"

MAKE_REQUISITION = """
import datetime
from django.contrib.auth import get_user_model
from orders.models import Requisition
from trusts.models import CostCentre, Membership, Site, Trust
trust = Trust.objects.create(code="RPL", name="Replica Trust", ods_code="RPL")
site = Site.objects.create(
    trust=trust, code="ST1", name="Old Station", kind="station",
    address="1 Station Road", postcode="B1 1AA",
)
centre = CostCentre.objects.create(trust=trust, code="CC1", name="Fleet")
user = get_user_model().objects.create_user("replica-reader", password=None)
Membership.objects.create(user=user, trust=trust, is_requisitioner=True)
Requisition.objects.create(
    trust=trust, requester=user, site=site, cost_centre=centre,
    needed_by=datetime.date(2026, 12, 31), status="submitted",
)
"""

SIGN_IN = """
from importlib import import_module
from django.conf import settings
from django.contrib.auth import (
    BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model,
)
user = get_user_model().objects.get(username="replica-reader")
session = import_module(settings.SESSION_ENGINE).SessionStore()
session[SESSION_KEY] = str(user.pk)
session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[-1]
session[HASH_SESSION_KEY] = user.get_session_auth_hash()
session.create()
print(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
"""


def _sql(url: str, statement: str, *params):
    with psycopg.connect(url, autocommit=True) as connection:
        return connection.execute(statement, params).fetchone()


def _wait_for_replay(primary, standby) -> None:
    """Until the standby has replayed everything the primary has written."""
    (lsn,) = _sql(primary.url(), "SELECT pg_current_wal_lsn()::text")
    deadline = time.monotonic() + 60
    while not _sql(standby.url(), "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", lsn)[
        0
    ]:
        assert time.monotonic() < deadline, "the standby did not catch up"
        time.sleep(0.1)


def _rename_site(primary, name: str) -> None:
    _sql(
        primary.url("alliance"),
        "UPDATE trusts_site SET name = %s WHERE code = 'ST1' RETURNING id",
        name,
    )


@pytest.fixture
def app_with_replica(private_postgres, private_standby, tmp_path):
    private_postgres.createdb("alliance")
    env = production_environment(
        database_url=private_postgres.url("alliance"),
        media_root=tmp_path / "media",
        DATABASE_REPLICA_URL=private_standby.url("alliance"),
        DATABASE_REPLICA_RETRY_SECONDS=str(RETRY_SECONDS),
    )
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("shell", "-c", MAKE_REQUISITION, env=env)
    server = Server(env, tmp_path / "gunicorn.log")
    yield server, env
    server.stop()


def _sites_shown(server: Server, path: str, cookie: str) -> list[str]:
    """Which of the site's names each of REQUESTS answers shows; each 200."""
    shown = []
    for _ in range(REQUESTS):
        status, body = server.fetch(path, {"Cookie": cookie})
        assert status == 200, (status, body[:500], server.log_path.read_text())
        shown += [
            name
            for name in ("Old Station", "New Station", "Newest Station")
            if name.encode() in body
        ]
    return shown


def test_exports_read_from_the_replica_and_from_the_primary_while_it_is_down(
    app_with_replica, private_postgres, private_standby
):
    server, env = app_with_replica
    server.wait_until_healthy()
    _wait_for_replay(private_postgres, private_standby)

    # The replica stops replaying; the primary moves on.
    _sql(private_standby.url(), "SELECT pg_wal_replay_pause()")
    _rename_site(private_postgres, "New Station")
    # Signed in after the replica's last replay: the session and the user are
    # read from the primary, so the export still knows who asks.
    cookie = manage("shell", "-c", SIGN_IN, env=env).split()[-1]
    assert _sites_shown(server, PAGE, cookie) == ["New Station"] * REQUESTS
    assert _sites_shown(server, EXPORT, cookie) == ["Old Station"] * REQUESTS

    # The replica stops: exports come from the primary, and nothing fails.
    private_standby.pg_ctl("stop", "-m", "fast")
    assert _sites_shown(server, EXPORT, cookie) == ["New Station"] * REQUESTS
    assert "the read replica did not answer" in server.log_path.read_text()

    # Back (replaying again from where it stopped), and after the interval
    # every web process reads its exports from it again.
    private_standby.pg_ctl("start")
    _wait_for_replay(private_postgres, private_standby)
    time.sleep(RETRY_SECONDS + 0.5)
    _sql(private_standby.url(), "SELECT pg_wal_replay_pause()")
    _rename_site(private_postgres, "Newest Station")
    assert _sites_shown(server, PAGE, cookie) == ["Newest Station"] * REQUESTS
    assert _sites_shown(server, EXPORT, cookie) == ["New Station"] * REQUESTS

    # The user's role is taken away on the primary; the paused replica still
    # has it, but access is decided on the primary: refused at once.
    _sql(
        private_postgres.url("alliance"),
        "UPDATE trusts_membership SET is_requisitioner = FALSE RETURNING id",
    )
    refused = [server.fetch(EXPORT, {"Cookie": cookie})[0] for _ in range(REQUESTS)]
    assert refused == [403] * REQUESTS
