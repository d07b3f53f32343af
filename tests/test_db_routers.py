"""Reports and exports read from the replica; everything else from default."""

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from alliance_procurement import db_routers
from trusts.models import Trust

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def replica(settings):
    """A second alias on the same test database, as a streaming replica would be."""
    settings_dict = dict(connections["default"].settings_dict)
    connections.settings[db_routers.REPLICA] = settings_dict
    settings.DATABASE_ROUTERS = ["alliance_procurement.db_routers.ReplicaRouter"]
    settings.MIDDLEWARE = [
        *settings.MIDDLEWARE,
        "alliance_procurement.db_routers.ReplicaReadMiddleware",
    ]
    from django.db import router

    router.routers = [db_routers.ReplicaRouter()]
    connection = connections[db_routers.REPLICA]
    # Open it now: the test case only refuses to open connections it did not list.
    connection.connect()
    yield connection
    connections[db_routers.REPLICA].close()
    del connections[db_routers.REPLICA]
    del connections.settings[db_routers.REPLICA]
    router.routers = []


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
    assert not db_routers.is_replica_request(rf.get("/orders/"))
    assert not db_routers.is_replica_request(rf.post("/reports/savings/2026-01/build/"))


def test_a_reports_request_reads_from_the_replica(replica, client, finance):
    """The middleware routes a signed-in reports page's reads to the replica."""
    client.force_login(finance)
    with CaptureQueriesContext(replica) as on_replica:
        response = client.get("/reports/savings/")
    assert response.status_code == 200
    assert on_replica.captured_queries
