"""Sessions: new on sign-in, idle timeout, absolute lifetime, disabled users."""

import datetime
import time

import pytest
import time_machine
from django.conf import settings as django_settings
from django.urls import reverse

from alliance_procurement.security import SESSION_LOGIN_AT_KEY
from tests import factories
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db


def _sign_in(client, user, **extra):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": factories.TEST_PASSWORD},
        **extra,
    )


def test_sign_in_starts_a_new_session(client, requisitioner):
    """The session key before sign-in is not the one after (no fixation)."""
    client.get(reverse("login"))
    session = client.session
    session["marker"] = "anonymous"
    session.save()
    before = session.session_key

    response = _sign_in(client, requisitioner)

    assert response.status_code == 302
    after = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert after != before
    assert client.get(reverse("home")).status_code == 200


def test_sign_in_stamps_the_start_of_the_session(client, requisitioner):
    """The sign-in time is kept in the session for the absolute lifetime."""
    _sign_in(client, requisitioner)
    assert abs(client.session[SESSION_LOGIN_AT_KEY] - time.time()) < 60


def test_idle_session_ends_after_the_idle_timeout(client_for, requisitioner):
    """No request for longer than SESSION_COOKIE_AGE signs the user out."""
    client = client_for(requisitioner)
    assert client.get(reverse("home")).status_code == 200
    later = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(
        seconds=django_settings.SESSION_COOKIE_AGE + 60
    )
    with time_machine.travel(later, tick=False):
        response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_activity_keeps_an_idle_session_alive(client_for, requisitioner):
    """Activity renews the idle timeout (SESSION_REFRESH_SECONDS apart)."""
    client = client_for(requisitioner)
    start = datetime.datetime.now(tz=datetime.UTC)
    step = datetime.timedelta(seconds=django_settings.SESSION_COOKIE_AGE * 0.75)
    for hop in (1, 2, 3):
        with time_machine.travel(start + step * hop, tick=False):
            assert client.get(reverse("home")).status_code == 200


def test_session_ends_after_its_absolute_lifetime(client_for, requisitioner):
    """However active, a session older than SESSION_MAX_SECONDS is ended."""
    client = client_for(requisitioner)
    session = client.session
    session[SESSION_LOGIN_AT_KEY] = (
        int(time.time()) - django_settings.SESSION_MAX_SECONDS - 1
    )
    session.save()

    response = client.get(reverse("home"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(
        action="auth.session_expired", actor=requisitioner
    ).exists()


def test_session_within_its_lifetime_goes_on(client_for, requisitioner):
    """A session younger than the absolute lifetime is not ended."""
    client = client_for(requisitioner)
    session = client.session
    session[SESSION_LOGIN_AT_KEY] = (
        int(time.time()) - django_settings.SESSION_MAX_SECONDS + 120
    )
    session.save()
    assert client.get(reverse("home")).status_code == 200


def test_deactivated_user_is_signed_out_at_once(client_for, requisitioner):
    """Turning an account off ends its sessions on their next request, for good."""
    client = client_for(requisitioner)
    assert client.get(reverse("home")).status_code == 200

    requisitioner.is_active = False
    requisitioner.save(update_fields=["is_active"])
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))

    # Turning it back on does not bring the old session back.
    requisitioner.is_active = True
    requisitioner.save(update_fields=["is_active"])
    assert client.get(reverse("home")).status_code == 302


def test_password_change_ends_other_sessions(client_for, requisitioner):
    """A new password invalidates sessions made with the old one."""
    client = client_for(requisitioner)
    requisitioner.set_password("A-whole-new-password-42")
    requisitioner.save()
    assert client.get(reverse("home")).status_code == 302


def test_session_cookie_is_http_only_and_same_site(client, requisitioner):
    """The session cookie is HttpOnly and SameSite=Lax."""
    _sign_in(client, requisitioner)
    cookie = client.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def _session_writes(queries) -> int:
    return sum(
        1
        for query in queries
        if "django_session" in query["sql"]
        and query["sql"].lstrip().upper().startswith(("UPDATE", "INSERT"))
    )


def test_pages_within_the_refresh_interval_write_no_session(client_for, requisitioner):
    """Reading pages does not write the session on every request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(requisitioner)
    start = datetime.datetime.now(tz=datetime.UTC)
    with time_machine.travel(start, tick=False):
        client.get(reverse("home"))  # renews: the first request of the session
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("home")).status_code == 200
    assert _session_writes(queries.captured_queries) == 0

    later = start + datetime.timedelta(
        seconds=django_settings.SESSION_REFRESH_SECONDS + 1
    )
    with (
        time_machine.travel(later, tick=False),
        CaptureQueriesContext(connection) as queries,
    ):
        response = client.get(reverse("home"))
    assert response.status_code == 200
    assert _session_writes(queries.captured_queries) == 1
    cookie = response.cookies[django_settings.SESSION_COOKIE_NAME]
    assert cookie["max-age"] == django_settings.SESSION_COOKIE_AGE
