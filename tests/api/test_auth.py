"""Token authentication of the API and the profile page (DESIGN §10)."""

import pytest
from django.urls import reverse
from rest_framework.authtoken.models import Token

from tests.factories import TEST_PASSWORD

pytestmark = pytest.mark.django_db

TOKEN_URL = "/api/v1/auth/token/"


def test_token_is_given_for_a_right_password(api_client, requisitioner):
    """A username and right password answer the user's token."""
    response = api_client.post(
        TOKEN_URL,
        {"username": requisitioner.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"token": Token.objects.get(user=requisitioner).key}


def test_token_request_with_a_wrong_password_is_refused(api_client, requisitioner):
    """A wrong password answers 400 and gives no token."""
    response = api_client.post(
        TOKEN_URL,
        {"username": requisitioner.username, "password": "wrong-password-1"},
        format="json",
    )
    assert response.status_code == 400
    assert "non_field_errors" in response.json()
    assert not Token.objects.filter(user=requisitioner).exists()


def test_token_request_names_missing_fields(api_client):
    """A token request without a password names the field."""
    response = api_client.post(TOKEN_URL, {"username": "someone"}, format="json")
    assert response.status_code == 400
    assert "password" in response.json()


def test_token_requests_are_throttled_per_address(api_client, requisitioner, settings):
    """Past the token rate, requests from the same address answer 429."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": "3/min", "api_write": None},
    }
    body = {"username": requisitioner.username, "password": "wrong-password-1"}
    statuses = [
        api_client.post(TOKEN_URL, body, format="json").status_code for _ in range(4)
    ]
    assert statuses == [400, 400, 400, 429]


def test_the_token_authenticates_later_requests(api_client, requisitioner):
    """``Authorization: Token <token>`` signs the request in as the user."""
    token = api_client.post(
        TOKEN_URL,
        {"username": requisitioner.username, "password": TEST_PASSWORD},
        format="json",
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 200
    assert response.json()["username"] == requisitioner.username


def test_an_unknown_token_answers_401(api_client):
    """A token that does not exist answers 401, not 403."""
    api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef")
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."


def test_anonymous_callers_get_401(api_client):
    """Without credentials the API answers 401 with a Token challenge."""
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


def test_session_writes_need_the_csrf_token(requisitioner):
    """A browser session may call the API, but its writes need CSRF."""
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    client.force_login(requisitioner)
    assert client.get("/api/v1/me/").status_code == 200
    response = client.post("/api/v1/requisitions/", {"lines": []}, format="json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_profile_says_whether_the_user_has_a_token(client_for, requisitioner):
    """The profile page shows the token status without the token itself."""
    token = Token.objects.create(user=requisitioner)
    response = client_for(requisitioner).get(reverse("trusts:profile"))
    assert response.status_code == 200
    assert "You have a token" in response.text
    assert token.key not in response.text


def test_profile_creates_a_token_and_shows_it_once(client_for, requisitioner):
    """Creating a token shows its key in that answer and never again."""
    client = client_for(requisitioner)
    response = client.post(reverse("trusts:profile"), {"action": "create"})
    key = Token.objects.get(user=requisitioner).key
    assert key in response.text
    assert key not in client.get(reverse("trusts:profile")).text


def test_profile_replacing_a_token_stops_the_old_one(client_for, requisitioner):
    """A new token from the profile revokes the previous one."""
    old = Token.objects.create(user=requisitioner).key
    client_for(requisitioner).post(reverse("trusts:profile"), {"action": "create"})
    assert Token.objects.get(user=requisitioner).key != old


def test_profile_revokes_the_token(client_for, requisitioner):
    """Revoking deletes the token, so it no longer signs anyone in."""
    Token.objects.create(user=requisitioner)
    response = client_for(requisitioner).post(
        reverse("trusts:profile"), {"action": "revoke"}
    )
    assert response.status_code == 302
    assert not Token.objects.filter(user=requisitioner).exists()


def test_profile_needs_sign_in(client):
    """The profile page sends anonymous visitors to sign in."""
    response = client.get(reverse("trusts:profile"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_writes_are_throttled_per_user(api_for, contract_manager, settings):
    """Past the write rate a user's writes answer 429; reads still pass."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": None, "api_write": "2/min"},
    }
    client = api_for(contract_manager)
    statuses = [
        client.post(
            "/api/v1/suppliers/",
            {"name": f"Supplier {n}", "email": f"s{n}@example.com"},
            format="json",
        ).status_code
        for n in range(3)
    ]
    assert statuses == [201, 201, 429]
    assert client.get("/api/v1/suppliers/").status_code == 200


def test_repeated_wrong_passwords_lock_the_username_with_a_json_answer(
    api_client, requisitioner, settings
):
    """After the sign-in failure limit, even the right password is refused, in
    JSON: the token view shares the sign-in lockout."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": None, "api_write": None},
    }
    wrong = {"username": requisitioner.username, "password": "wrong-password-1"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api_client.post(TOKEN_URL, wrong, format="json")
    response = api_client.post(
        TOKEN_URL,
        {"username": requisitioner.username, "password": TEST_PASSWORD},
        format="json",
    )
    assert response.status_code in (400, 403, 429)
    assert response["Content-Type"] == "application/json"
    assert "token" not in response.json()
    assert not Token.objects.filter(user=requisitioner).exists()
