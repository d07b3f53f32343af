"""The application served under a role of its own, not the database owner.

On a private cluster: a database owned by ``alliance_owner``, which migrates
and runs ``grant_app_role alliance_app``; then the demo alliance (reference
data and a year of requisitions, approvals, pooling commits, issued orders
and receipts, through the services) is loaded as ``alliance_app``, and
gunicorn serves it as ``alliance_app``. As that role the audit trail can be
read and added to, and nothing else: no TRUNCATE, UPDATE or DELETE, no
disabling or dropping its trigger, no change to the schema.
"""

import psycopg
import pytest

from tests.integration.conftest import (
    ROOT,
    Server,
    manage,
    production_environment,
)
from tests.scripts import run_script

pytestmark = pytest.mark.integration

OWNER = "alliance_owner"
APP = "alliance_app"
APP_ROLE_SQL = ROOT / "deploy" / "postgres" / "app-role.sql"

MAKE_TOKEN = """
from rest_framework.authtoken.models import Token
from django.contrib.auth import get_user_model
print(Token.objects.create(user=get_user_model().objects.get(username="alliance.buyer")).key)
"""

REFUSED = [
    "TRUNCATE trusts_auditevent",
    "DELETE FROM trusts_auditevent",
    "UPDATE trusts_auditevent SET action = 'changed'",
    "ALTER TABLE trusts_auditevent DISABLE TRIGGER trusts_auditevent_append_only",
    "DROP TRIGGER trusts_auditevent_append_only ON trusts_auditevent",
    "DROP TABLE trusts_auditevent",
    "TRUNCATE orders_allocation",
    "ALTER TABLE orders_allocation DROP CONSTRAINT allocation_line_pooled_once",
    "CREATE TABLE trusts_shadow (id integer)",
]


@pytest.fixture
def database(private_postgres):
    """The owner and the database as a superuser makes them; the
    application's role from the script docker compose's PostgreSQL runs."""
    with psycopg.connect(private_postgres.url(), autocommit=True) as connection:
        connection.execute(f"CREATE ROLE {OWNER} LOGIN")
        connection.execute(APP_ROLE_SQL.read_text())
        connection.execute(f"CREATE DATABASE alliance OWNER {OWNER}")
    return private_postgres


def _url(cluster, role: str, name: str = "alliance") -> str:
    return f"postgres://{role}@127.0.0.1:{cluster.port}/{name}"


def _script(name: str, *args: str, env: dict) -> str:
    """One of scripts/ run with ``env``; its output."""
    result = run_script(name, *args, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _audit_count(url: str) -> int:
    with psycopg.connect(url) as connection:
        return connection.execute("SELECT count(*) FROM trusts_auditevent").fetchone()[
            0
        ]


def test_the_app_runs_as_its_own_role_and_cannot_touch_the_audit_trail(
    database, tmp_path
):
    owner_env = production_environment(
        database_url=_url(database, OWNER), media_root=tmp_path / "media"
    )
    app_env = {**owner_env, "DATABASE_URL": _url(database, APP)}
    manage("migrate", "--noinput", "-v", "0", env=owner_env)
    granted = manage("grant_app_role", APP, env=owner_env)
    assert f"GRANT SELECT, INSERT ON trusts_auditevent TO {APP}" in granted.replace(
        '"', ""
    )

    # The demo alliance through the services, as the application's role.
    manage("seed_demo", "--password", "Replica-and-role-2026", env=app_env)
    app_url = _url(database, APP)
    events = _audit_count(app_url)
    with psycopg.connect(app_url) as connection:
        orders = connection.execute(
            "SELECT count(*) FROM orders_jointpurchaseorder"
        ).fetchone()[0]
        granted_event = connection.execute(
            "SELECT detail ->> 'role' FROM trusts_auditevent "
            "WHERE action = 'trusts.app_role.granted'"
        ).fetchall()
    assert orders > 0
    assert events > 0
    assert granted_event == [(APP,)]

    # The grants themselves, before any trigger has its say.
    with psycopg.connect(app_url) as connection:
        privileges = {
            (table, privilege): connection.execute(
                "SELECT has_table_privilege(%s, %s, %s)", (APP, table, privilege)
            ).fetchone()[0]
            for table in ("trusts_auditevent", "orders_allocation")
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE")
        }
    assert privileges == {
        ("trusts_auditevent", "SELECT"): True,
        ("trusts_auditevent", "INSERT"): True,
        ("trusts_auditevent", "UPDATE"): False,
        ("trusts_auditevent", "DELETE"): False,
        ("trusts_auditevent", "TRUNCATE"): False,
        ("orders_allocation", "SELECT"): True,
        ("orders_allocation", "INSERT"): True,
        ("orders_allocation", "UPDATE"): True,
        ("orders_allocation", "DELETE"): True,
        ("orders_allocation", "TRUNCATE"): False,
    }
    for statement in REFUSED:
        with (
            psycopg.connect(app_url) as connection,
            pytest.raises(psycopg.errors.InsufficientPrivilege),
        ):
            connection.execute(statement)
    assert _audit_count(app_url) == events

    # Served as the application's role: the health check and an API read.
    token = manage("shell", "-c", MAKE_TOKEN, env=app_env).split()[-1]
    server = Server(app_env, tmp_path / "gunicorn.log")
    try:
        server.wait_until_healthy()
        status, body = server.fetch(
            "/api/v1/orders/", {"Authorization": f"Token {token}"}
        )
        assert status == 200, server.log_path.read_text()
        assert b'"AP-' in body
    finally:
        server.stop()

    # A migration's new tables need the grant again; running it twice is safe.
    assert manage("grant_app_role", APP, env=owner_env) == granted

    # A backup restored by the owner into a new database (made by a
    # superuser, as the first was), the role's grants given back by the
    # restore itself.
    with psycopg.connect(database.url(), autocommit=True) as connection:
        connection.execute(f"CREATE DATABASE restored OWNER {OWNER}")
    backup = _script(
        "backup.sh", env={**owner_env, "BACKUP_ROOT": str(tmp_path / "backups")}
    )
    restored_env = {
        **owner_env,
        "DATABASE_URL": _url(database, OWNER, "restored"),
        "DATABASE_APP_ROLE": APP,
        "MEDIA_ROOT": str(tmp_path / "restored-media"),
    }
    restored = _script("restore.sh", backup.splitlines()[-1], env=restored_env)
    assert f"{APP} may read and write the tables again" in restored
    with psycopg.connect(_url(database, APP, "restored")) as connection:
        assert (
            connection.execute(
                "SELECT count(*) FROM orders_jointpurchaseorder"
            ).fetchone()[0]
            == orders
        )
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            connection.execute("TRUNCATE trusts_auditevent")
