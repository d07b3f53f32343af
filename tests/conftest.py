"""Shared fixtures: trusts, users per role, signed-in clients, a private MEDIA_ROOT.

The suite runs against PostgreSQL and a real Redis broker, never SQLite or
eager Celery; ``make test`` sets both URLs, and these defaults match it.
"""

import os

os.environ.setdefault(
    "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/alliance_procurement"
)
os.environ.setdefault("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")

import pytest
from django.core.cache import cache
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from tests import factories
from trusts.models import Role

# Property tests judge rules, not speed: a busy 2-core machine must not fail them.
hypothesis_settings.register_profile(
    "suite",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _empty_cache():
    """Start every test with an empty cache: an earlier test's rows are rolled
    back without a word to the cache (kept filter choices, cached sessions)."""
    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hash test passwords cheaply; the real hasher costs seconds per user here."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def trust(db):
    return factories.TrustFactory(code="WMAS", name="West Midlands Ambulance Service")


@pytest.fixture
def other_trust(db):
    return factories.TrustFactory(
        code="SECAMB", name="South East Coast Ambulance Service"
    )


def _user(trust, role: Role, **extra):
    return factories.UserFactory(
        membership__trust=trust, **{f"membership__is_{role.value}": True}, **extra
    )


@pytest.fixture
def requisitioner(trust):
    return _user(trust, Role.REQUISITIONER)


@pytest.fixture
def approver(trust):
    return _user(trust, Role.APPROVER, membership__approval_limit="250000.00")


@pytest.fixture
def finance(trust):
    return _user(trust, Role.FINANCE)


@pytest.fixture
def buyer(db):
    return _user(None, Role.BUYER)


@pytest.fixture
def contract_manager(db):
    return _user(None, Role.CONTRACT_MANAGER)


@pytest.fixture
def client_for(client):
    """Return a function that signs ``client`` in as a user and gives it back."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
