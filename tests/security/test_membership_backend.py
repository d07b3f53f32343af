"""The signed-in user, by session or API token, is read with their
membership, in one query."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests import factories
from trusts.backends import MembershipModelBackend
from trusts.models import Role
from trusts.selectors import user_has_role, user_trust

pytestmark = pytest.mark.django_db


def test_user_comes_with_roles_and_trust_in_one_query(requisitioner, trust):
    """Roles and trust need no further query once the user is read."""
    with CaptureQueriesContext(connection) as queries:
        user = MembershipModelBackend().get_user(requisitioner.pk)
        assert user_has_role(user, Role.REQUISITIONER)
        assert not user_has_role(user, Role.APPROVER)
        assert user_trust(user) == trust
    assert len(queries) == 1


def test_user_without_membership_has_no_roles(db):
    """A user made by hand, with no membership, signs in with no roles."""
    bare = get_user_model().objects.create_user("bare", password="x-1234567890")
    with CaptureQueriesContext(connection) as queries:
        user = MembershipModelBackend().get_user(bare.pk)
        assert user == bare
        assert not user_has_role(user, Role.BUYER)
        assert user_trust(user) is None
    assert len(queries) == 1


def test_inactive_user_is_not_returned(requisitioner):
    """A deactivated user's session no longer signs them in."""
    requisitioner.is_active = False
    requisitioner.save(update_fields=["is_active"])
    assert MembershipModelBackend().get_user(requisitioner.pk) is None


def test_unknown_user_is_not_returned(db):
    """A session naming a deleted user signs nobody in."""
    assert MembershipModelBackend().get_user(987654321) is None


def test_page_reads_the_membership_with_the_user(client_for, requisitioner):
    """A signed-in page reads the membership once, joined with the user."""
    client = client_for(requisitioner)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("trusts:profile")).status_code == 200
    membership_reads = [
        q["sql"] for q in queries if 'FROM "trusts_membership"' in q["sql"]
    ]
    assert membership_reads == []
    joined = [
        q["sql"]
        for q in queries
        if 'FROM "auth_user"' in q["sql"] and '"trusts_membership"' in q["sql"]
    ]
    assert len(joined) == 1


def test_role_change_shows_on_the_next_request(client_for, trust):
    """Roles are read afresh on every request, never kept in the session."""
    user = factories.UserFactory(
        membership__trust=trust, membership__is_requisitioner=True
    )
    client = client_for(user)
    assert client.get(reverse("orders:requisition-create")).status_code == 200
    user.membership.is_requisitioner = False
    user.membership.is_finance = True
    user.membership.save()
    assert client.get(reverse("orders:requisition-create")).status_code == 403


def _token_client(user):
    token, _created = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_api_token_reads_the_user_with_membership_in_one_query(requisitioner, trust):
    """An API call with a token reads token, user, roles and trust at once."""
    client = _token_client(requisitioner)
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["roles"] == ["requisitioner"]
    assert response.json()["organisation"] == trust.code
    assert [q for q in queries if 'FROM "trusts_membership"' in q["sql"]] == []
    joined = [
        q["sql"]
        for q in queries
        if 'FROM "authtoken_token"' in q["sql"] and '"trusts_membership"' in q["sql"]
    ]
    assert len(joined) == 1


def test_api_token_of_an_inactive_user_is_refused(requisitioner):
    """A deactivated user's token answers 401, as DRF's own does."""
    client = _token_client(requisitioner)
    requisitioner.is_active = False
    requisitioner.save(update_fields=["is_active"])
    response = client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "User inactive or deleted."


def test_api_role_change_shows_on_the_next_call(trust):
    """Roles behind a token are read afresh on every call."""
    user = factories.UserFactory(
        membership__trust=trust, membership__is_requisitioner=True
    )
    client = _token_client(user)
    assert client.get("/api/v1/me/").json()["roles"] == ["requisitioner"]
    user.membership.is_requisitioner = False
    user.membership.is_finance = True
    user.membership.save()
    assert client.get("/api/v1/me/").json()["roles"] == ["finance"]
