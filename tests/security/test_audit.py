"""The audit trail: what is recorded, and that the database keeps it unchanged."""

import subprocess
import sys
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import RequestFactory
from django.urls import reverse

from tests import factories
from trusts import services
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(requisitioner):
    return services.audit_record(actor=requisitioner, action="tests.thing.done")


def test_audit_record_keeps_actor_organisation_object_and_request(requisitioner):
    """An event names the actor, their trust, the object, the address and path."""
    site = factories.SiteFactory(trust=requisitioner.membership.trust)
    request = RequestFactory().post("/some/path/", REMOTE_ADDR="192.0.2.10")

    event = services.audit_record(
        actor=requisitioner,
        action="trusts.site.changed",
        obj=site,
        detail={"code": site.code},
        request=request,
    )

    event.refresh_from_db()
    assert event.actor == requisitioner
    assert event.actor_username == requisitioner.username
    assert event.organisation_code == "WMAS"
    assert event.action == "trusts.site.changed"
    assert (event.object_type, event.object_id) == ("trusts.site", str(site.pk))
    assert event.detail == {"code": site.code}
    assert event.ip_address == "192.0.2.10"
    assert event.path == "/some/path/"
    assert event.at is not None


def test_audit_record_for_alliance_user_says_alliance(buyer):
    """The alliance's own team is recorded as organisation ALLIANCE."""
    event = services.audit_record(actor=buyer, action="tests.thing.done")
    assert event.organisation_code == "ALLIANCE"


def test_audit_record_without_actor_is_anonymous(db):
    """The system or an unknown person leaves actor and organisation empty."""
    event = services.audit_record(actor=None, action="tests.thing.done")
    assert event.actor is None
    assert event.actor_username == ""
    assert event.organisation_code == ""


def test_orm_update_of_an_event_is_refused(event):
    """Saving a changed event fails in the database."""
    event.action = "tests.thing.rewritten"
    with pytest.raises(DatabaseError, match="append only"), transaction.atomic():
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).action == "tests.thing.done"


def test_queryset_update_and_delete_are_refused(event):
    """Bulk update and delete fail in the database too."""
    with pytest.raises(DatabaseError, match="append only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).update(action="tests.other")
    with pytest.raises(DatabaseError, match="append only"), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk, action="tests.thing.done").exists()


def test_sql_update_and_delete_are_refused(event):
    """Raw SQL cannot change or remove an event either: the trigger refuses."""
    table = AuditEvent._meta.db_table
    with (
        pytest.raises(DatabaseError, match="append only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(
            f"UPDATE {table} SET action = %s WHERE id = %s",  # noqa: S608 -- table name from model meta
            ["tests.other", event.pk],
        )
    with (
        pytest.raises(DatabaseError, match="append only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(f"DELETE FROM {table} WHERE id = %s", [event.pk])  # noqa: S608 -- table name from model meta
    assert AuditEvent.objects.filter(pk=event.pk).count() == 1


def test_event_survives_its_user_being_deleted(requisitioner):
    """Deleting an account keeps its events, with the username they were made by."""
    services.audit_record(actor=requisitioner, action="tests.thing.done")
    username = requisitioner.username
    requisitioner.membership.delete()
    requisitioner.delete()
    assert AuditEvent.objects.filter(actor_username=username).count() == 1


def test_successful_sign_in_is_recorded(client, requisitioner):
    """Signing in records auth.login with the user and address."""
    client.post(
        reverse("login"),
        {"username": requisitioner.username, "password": factories.TEST_PASSWORD},
        REMOTE_ADDR="198.51.100.7",
    )
    event = AuditEvent.objects.get(action="auth.login")
    assert event.actor == requisitioner
    assert event.ip_address == "198.51.100.7"


def test_failed_sign_in_is_recorded_without_the_password(client, requisitioner):
    """A wrong password records auth.login_failed with the name tried, no secret."""
    client.post(
        reverse("login"),
        {"username": requisitioner.username, "password": "Wrong-password-123"},
    )
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.actor is None
    assert event.detail == {"username": requisitioner.username}
    assert "Wrong-password-123" not in str(event.detail)


def test_sign_out_is_recorded(client_for, requisitioner):
    """Signing out records auth.logout."""
    client = client_for(requisitioner)
    client.post(reverse("logout"))
    assert AuditEvent.objects.filter(action="auth.logout", actor=requisitioner).exists()


@pytest.mark.urls("tests.security.urls")
def test_forbidden_request_is_recorded(client_for, requisitioner):
    """Every 403 is logged and audited as access.denied, with user, path and IP."""
    client = client_for(requisitioner)
    response = client.get("/__fail__/forbidden/", REMOTE_ADDR="203.0.113.5")
    assert response.status_code == 403
    event = AuditEvent.objects.get(action="access.denied")
    assert event.actor == requisitioner
    assert event.path == "/__fail__/forbidden/"
    assert event.ip_address == "203.0.113.5"
    assert event.detail == {"method": "GET", "status": 403}


@pytest.mark.urls("tests.security.urls")
def test_not_found_for_a_signed_in_user_is_recorded(client_for, requisitioner):
    """A 404 for a signed-in user (how another trust's object answers) is audited."""
    client = client_for(requisitioner)
    assert client.get("/__fail__/not-found/").status_code == 404
    event = AuditEvent.objects.get(action="access.not_found")
    assert event.actor == requisitioner
    assert event.path == "/__fail__/not-found/"


def test_not_found_for_anonymous_visitor_is_not_recorded(client, db):
    """Anonymous 404s (crawlers) do not fill the audit trail."""
    assert client.get("/no-such-page/").status_code == 404
    assert not AuditEvent.objects.filter(action="access.not_found").exists()


def test_denied_attempt_is_logged(client_for, requisitioner, caplog, settings):
    """The refusal also goes to the security log, for the log shipper."""
    settings.ROOT_URLCONF = "tests.security.urls"
    client = client_for(requisitioner)
    with caplog.at_level("WARNING", logger="alliance_procurement.security"):
        client.get("/__fail__/forbidden/")
    assert any(
        "access.denied" in record.getMessage()
        and requisitioner.username in record.getMessage()
        for record in caplog.records
    )


PROBE = """
import django
from django.db import DatabaseError
django.setup()
from trusts import services
from trusts.models import AuditEvent
event = services.audit_record(actor=None, action="tests.thing.done")
refused = []
for change in (
    lambda: AuditEvent.objects.filter(pk=event.pk).update(action="x"),
    lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
):
    try:
        change()
    except DatabaseError as exc:
        refused.append("append only" in str(exc))
print(refused)
"""


def test_sqlite_database_refuses_changes_too(tmp_path):
    """The embedded SQLite mode gets the same append-only triggers."""
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "alliance_procurement.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'trial.sqlite3'}",
    }
    root = Path(__file__).resolve().parents[2]
    for args in (["manage.py", "migrate", "-v", "0"], ["-c", PROBE]):
        result = subprocess.run(  # noqa: S603 -- fixed arguments, our own interpreter
            [sys.executable, *args],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[True, True]"
