"""GET /healthz, what load balancers and orchestrators ask
(``alliance_procurement.health``). PostgreSQL really stopping under gunicorn
is in tests/integration/test_faults_postgres.py."""

import pytest
from django.db import OperationalError, connections
from django.test import override_settings

from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db

# A Redis cache on a port where nothing listens: every read fails to connect.
UNREACHABLE_CACHE = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
    }
}


def test_ok_when_the_database_and_the_cache_answer(client, django_assert_num_queries):
    """One query, a plain ``ok``, nothing cached, no cookie, no audit record."""
    audited = AuditEvent.objects.count()
    with django_assert_num_queries(1):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert not response.cookies
    assert AuditEvent.objects.count() == audited


@override_settings(
    ALLOWED_HOSTS=["procurement.example.nhs.uk"], SECURE_SSL_REDIRECT=True
)
def test_a_probe_of_the_servers_own_address_over_http_is_answered(client):
    """The probe asks the container's address over plain HTTP; every other
    page from that address is still refused, and over HTTP redirected."""
    assert client.get("/healthz", HTTP_HOST="10.0.3.7:8000").status_code == 200
    assert client.get("/accounts/login/", HTTP_HOST="10.0.3.7:8000").status_code == 400
    page = client.get("/accounts/login/", HTTP_HOST="procurement.example.nhs.uk")
    assert page.status_code == 301
    assert page["Location"] == "https://procurement.example.nhs.uk/accounts/login/"


def test_head_is_answered_and_other_methods_are_refused(client):
    """A probe may ask with HEAD; anything that would write is a 405."""
    assert client.head("/healthz").status_code == 200
    for method in (client.post, client.put, client.delete):
        response = method("/healthz")
        assert response.status_code == 405
        assert response["Allow"] == "GET, HEAD"


def test_only_the_exact_path_is_the_health_check(client):
    """``/healthz/`` and ``/healthz.json`` are ordinary, unknown pages."""
    assert client.get("/healthz/").status_code == 404
    assert client.get("/healthz.json").status_code == 404


@pytest.fixture
def database_refuses(monkeypatch):
    """Every new cursor fails as one on a server that stopped listening."""

    def refuse(*args, **kwargs):
        raise OperationalError("connection to server failed: Connection refused")

    monkeypatch.setattr(connections["default"], "cursor", refuse)


@pytest.mark.usefixtures("database_refuses")
def test_a_database_that_does_not_answer_is_a_503(client, caplog):
    """The server leaves the pool while it cannot reach PostgreSQL; why is in
    the log, not in the answer."""
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database: not answering\n"
    assert response["Retry-After"] == "5"
    assert response["Cache-Control"] == "no-store"
    assert "the database did not answer" in caplog.text
    assert "Connection refused" in caplog.text


@override_settings(CACHES=UNREACHABLE_CACHE)
def test_a_cache_that_does_not_answer_is_a_503(client, caplog):
    """Sessions are read from the cache: a server that cannot reach Redis
    leaves the pool too."""
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"cache: not answering\n"
    assert "the cache did not answer" in caplog.text


@override_settings(CACHES=UNREACHABLE_CACHE)
@pytest.mark.usefixtures("database_refuses")
def test_each_part_not_answering_is_named(client):
    """Both named when neither answers, one line each."""
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database: not answering\ncache: not answering\n"
