"""Reports and exports read from the replica; everything else from default."""

import logging

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from alliance_procurement import db_routers
from trusts.models import Trust

pytestmark = pytest.mark.django_db(transaction=True)

# A replica that is down: nothing listens on port 1, every connect is refused.
UNREACHABLE_PORT = 1


@pytest.fixture(autouse=True)
def _replica_state():
    """Each test starts with a replica that has not failed yet."""
    db_routers._ReplicaState.retry_at = 0.0
    yield
    db_routers._ReplicaState.retry_at = 0.0


@pytest.fixture
def replica_at(settings, django_db_blocker):
    """A second alias, as a streaming replica would be, at the given port:
    the test database's own (a mirror of default), or one where nothing
    listens (a replica that is down)."""
    from django.db import router

    def add(port):
        settings_dict = dict(connections["default"].settings_dict)
        settings_dict["PORT"] = port
        settings_dict["OPTIONS"] = {**settings_dict["OPTIONS"], "connect_timeout": 3}
        connections.settings[db_routers.REPLICA] = settings_dict
        return connections[db_routers.REPLICA]

    settings.DATABASE_ROUTERS = ["alliance_procurement.db_routers.ReplicaRouter"]
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "alliance_procurement.db_routers.ReplicaReadMiddleware",
    ]
    router.routers = [db_routers.ReplicaRouter()]
    # The alias is added after the test case started, and its guard refuses
    # to connect an alias it did not list: connecting is what is tried here.
    with django_db_blocker.unblock():
        yield add
    if db_routers.REPLICA in connections.settings:
        connections[db_routers.REPLICA].close()
        del connections[db_routers.REPLICA]
        del connections.settings[db_routers.REPLICA]
    router.routers = []


@pytest.fixture
def replica(replica_at):
    return replica_at(connections["default"].settings_dict["PORT"])


def test_reads_inside_replica_reads_run_on_the_replica(replica):
    """A read within replica_reads() is served by the replica connection."""
    Trust.objects.create(code="RX1", name="Replica Trust", ods_code="RX1")
    with CaptureQueriesContext(replica) as on_replica, db_routers.replica_reads():
        names = list(Trust.objects.values_list("name", flat=True))
    assert "Replica Trust" in names
    assert any("trusts_trust" in q["sql"] for q in on_replica.captured_queries)


def test_reads_outside_replica_reads_stay_on_default(replica):
    """Without replica_reads() no query reaches the replica."""
    with CaptureQueriesContext(replica) as on_replica:
        list(Trust.objects.all())
    assert on_replica.captured_queries == []


def test_writes_go_to_default_even_inside_replica_reads(replica):
    """Writes never go to the replica."""
    with CaptureQueriesContext(replica) as on_replica, db_routers.replica_reads():
        Trust.objects.create(code="RX2", name="Written", ods_code="RX2")
    assert not any("INSERT" in q["sql"] for q in on_replica.captured_queries)


def test_reads_inside_a_transaction_stay_on_default(replica):
    """A service's transaction reads what it changes from the primary."""
    from django.db import transaction

    with (
        CaptureQueriesContext(replica) as on_replica,
        db_routers.replica_reads(),
        transaction.atomic(),
    ):
        list(Trust.objects.all())
    assert on_replica.captured_queries == []


def test_reports_pages_and_exports_are_replica_requests(rf):
    """GETs under /reports/ and list exports read from the replica; posts do not."""
    assert db_routers.is_replica_request(rf.get("/reports/savings/"))
    assert db_routers.is_replica_request(rf.get("/orders/", {"_export": "csv"}))
    assert db_routers.is_replica_request(rf.get("/api/v1/savings/2026-01/"))
    # A file the API does not find it asks to be built: read on the primary.
    assert not db_routers.is_replica_request(
        rf.get("/api/v1/savings/2026-01/report.pdf")
    )
    assert not db_routers.is_replica_request(rf.get("/api/v1/orders/"))
    assert not db_routers.is_replica_request(rf.get("/orders/"))
    assert not db_routers.is_replica_request(rf.post("/reports/savings/2026-01/build/"))


def test_a_reports_request_reads_from_the_replica(replica, client, finance):
    """The middleware routes a signed-in reports page's reads to the replica."""
    client.force_login(finance)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get("/reports/savings/")
    assert response.status_code == 200
    assert on_replica.captured_queries


def test_who_may_see_what_is_read_from_the_primary(replica, client, finance):
    """The savings API reads its figures from the replica, and the token,
    user and membership that decide access from the primary."""
    token = Token.objects.create(user=finance)
    with (
        CaptureQueriesContext(connections["default"]) as on_primary,
        CaptureQueriesContext(replica) as on_replica,
    ):
        response = client.get(
            "/api/v1/savings/2026-01/", HTTP_AUTHORIZATION=f"Token {token.key}"
        )
    assert response.status_code == 200
    assert response.json()["month"] == "2026-01"
    replica_sql = " ".join(query["sql"] for query in on_replica.captured_queries)
    primary_sql = " ".join(query["sql"] for query in on_primary.captured_queries)
    assert '"orders_' in replica_sql  # the figures
    for table in ("authtoken_token", "auth_user", "trusts_membership"):
        assert f'"{table}"' not in replica_sql
    assert '"authtoken_token"' in primary_sql


def test_a_replica_that_does_not_answer_leaves_reports_on_the_primary(
    replica_at, client, finance, caplog
):
    """Reports and exports are served from the primary while the replica is
    down, with one warning; the replica is asked again after the interval
    and, answering again, serves them."""
    port = connections["default"].settings_dict["PORT"]
    down = replica_at(UNREACHABLE_PORT)
    client.force_login(finance)
    with caplog.at_level(logging.WARNING, logger="alliance_procurement.db_routers"):
        report = client.get("/reports/savings/")
        export = client.get("/orders/requisitions/", {"_export": "csv"})
    assert report.status_code == 200
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    warnings = [r for r in caplog.records if "read replica" in r.getMessage()]
    assert len(warnings) == 1  # the second request did not ask again
    assert down.connection is None

    # The replica is back, and the interval has passed.
    down.settings_dict["PORT"] = port
    db_routers._ReplicaState.retry_at = 0.0
    with CaptureQueriesContext(down) as on_replica:
        response = client.get("/reports/savings/")
    assert response.status_code == 200
    assert on_replica.captured_queries


def test_replica_answers_only_when_one_is_configured_and_up(replica_at, settings):
    """No replica, a replica down and inside its interval: no; a replica up: yes."""
    assert not db_routers.replica_answers()  # not configured yet
    connection = replica_at(UNREACHABLE_PORT)
    assert not db_routers.replica_answers()
    assert db_routers._ReplicaState.retry_at > 0
    connection.settings_dict["PORT"] = connections["default"].settings_dict["PORT"]
    assert not db_routers.replica_answers()  # still inside the interval
    db_routers._ReplicaState.retry_at = 0.0
    assert db_routers.replica_answers()
