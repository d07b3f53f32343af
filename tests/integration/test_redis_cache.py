"""The cache in Redis (``REDIS_CACHE_URL``, docs/scaling.md), as settings.py
builds it and as every web server of a deployment shares it: sessions read
from it and written through to the database, the filters' kept choices, and
the health check asking it."""

import os

import pytest
import redis

from tests import factories
from tests.integration.conftest import settings_from_environment

pytestmark = [pytest.mark.integration, pytest.mark.django_db]

# A database of the machine's Redis of the tests' own (the broker's is 15).
REDIS_CACHE_URL = os.environ.get("TEST_REDIS_CACHE_URL", "redis://127.0.0.1:6379/14")
SESSION_KEYS = "*django.contrib.sessions.cached_db*"


@pytest.fixture
def redis_cache(settings, monkeypatch):
    """This process's cache as settings.py makes it from ``REDIS_CACHE_URL``,
    on an emptied Redis database, emptied again afterwards."""
    fresh = settings_from_environment(monkeypatch, REDIS_CACHE_URL=REDIS_CACHE_URL)
    assert fresh.CACHES["default"]["BACKEND"].endswith(".RedisCache")
    server = redis.Redis.from_url(REDIS_CACHE_URL)
    server.flushdb()
    settings.CACHES = fresh.CACHES
    yield server
    server.flushdb()


def test_a_signed_in_user_stays_signed_in_when_redis_loses_the_cache(
    redis_cache, client, buyer
):
    """Sessions are read from Redis and written through to the database: a
    Redis restart (an emptied cache) signs nobody out, and the next request
    keeps the session in Redis again."""
    client.force_login(buyer)
    assert client.get("/").context["user"] == buyer
    assert redis_cache.keys(SESSION_KEYS)
    redis_cache.flushdb()
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["user"] == buyer
    assert redis_cache.keys(SESSION_KEYS)


def test_a_new_supplier_shows_in_the_kept_filter_choices_at_once(
    redis_cache, client, buyer
):
    """The order list's supplier choices are kept in Redis, shared by every
    web server, and dropped as soon as a supplier is saved."""
    client.force_login(buyer)
    factories.SupplierFactory(name="Acme Medical Ltd")
    assert "Acme Medical Ltd" in client.get("/orders/").content.decode()
    assert redis_cache.keys("*choices*")
    factories.SupplierFactory(name="Blue Light Supplies Ltd")
    page = client.get("/orders/").content.decode()
    assert "Acme Medical Ltd" in page
    assert "Blue Light Supplies Ltd" in page


def test_the_health_check_asks_redis(redis_cache, client):
    """With the cache in Redis, the health check's read goes to Redis (one
    read of a key that is never there: a miss in Redis's own count)."""
    misses = redis_cache.info("stats")["keyspace_misses"]
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert redis_cache.info("stats")["keyspace_misses"] > misses
