"""Friendly NHS-styled error pages, and no internals shown with debug off."""

import pytest
from django.template.loader import render_to_string

from tests.security.urls import SECRET_MARKER

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.security.urls")]


@pytest.fixture
def quiet_client(client, settings):
    settings.DEBUG = False
    client.raise_request_exception = False
    return client


def test_server_error_shows_the_friendly_page_without_a_traceback(quiet_client):
    """A view that raises answers 500 with our page, no traceback, no message."""
    response = quiet_client.get("/__fail__/broken/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "Sorry, there is a problem with the service" in html
    assert "nhsuk-header" in html
    assert "Traceback" not in html
    assert SECRET_MARKER not in html
    assert "RuntimeError" not in html


def test_server_error_page_needs_no_database_or_request():
    """500.html renders from an empty context, so it works when the database fails."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("500.html")
    assert len(queries) == 0
    assert "Sorry, there is a problem with the service" in html


def test_not_found_page_is_friendly_and_hides_the_reason(quiet_client, requisitioner):
    """404 shows our page in the site's layout, not the internal reason."""
    quiet_client.force_login(requisitioner)
    response = quiet_client.get("/__fail__/not-found/")
    assert response.status_code == 404
    html = response.content.decode()
    assert "Page not found" in html
    assert "nhsuk-header" in html
    assert SECRET_MARKER not in html


def test_unknown_address_shows_the_not_found_page(quiet_client):
    """Any unknown URL gets the same page."""
    response = quiet_client.get("/there-is-nothing-here/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_forbidden_page_is_friendly(quiet_client, requisitioner):
    """403 explains the role does not allow it."""
    quiet_client.force_login(requisitioner)
    response = quiet_client.get("/__fail__/forbidden/")
    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this page" in html
    assert "nhsuk-header" in html


def test_a_database_that_cannot_answer_gives_503_with_retry_after(quiet_client):
    """PostgreSQL down or restarting: the "unavailable" page, a 503 to retry."""
    response = quiet_client.get("/__fail__/database-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "Sorry, the service is unavailable for a moment" in html
    assert "nhsuk-header" in html
    assert SECRET_MARKER not in html
    assert "OperationalError" not in html


def test_an_api_client_gets_503_as_json(quiet_client):
    response = quiet_client.get("/api/v1/__fail__/database-down/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response.json() == {
        "detail": "The service is unavailable for a moment. Try again shortly."
    }


def test_the_unavailable_page_needs_no_database_or_request():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        html = render_to_string("503.html")
    assert len(queries) == 0
    assert "Try again in a minute" in html
