import pytest
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db


def test_home_requires_sign_in(client):
    """An anonymous visitor is sent to the sign-in page."""
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_home_shows_organisation_and_roles(client_for, approver):
    """The home page says who you are, your trust and your approval limit."""
    response = client_for(approver).get(reverse("home"))
    body = response.content.decode()
    assert response.status_code == 200
    assert approver.membership.trust.name in body
    assert "Approver" in body
    assert "£250,000.00" in body


def test_home_without_organisation_says_so(client_for):
    """A user linked to no organisation is told to ask an administrator."""
    user = factories.UserFactory(membership=None)
    response = client_for(user).get(reverse("home"))
    assert response.status_code == 200
    assert "not linked to a trust" in response.content.decode()


def test_sign_in_with_username_and_password(client, requisitioner):
    """Django's login view takes the standard username and password fields."""
    response = client.post(
        reverse("login"),
        {"username": requisitioner.username, "password": "Correct-horse-battery-9"},
    )
    assert response.status_code == 302
    assert client.get(reverse("home")).status_code == 200
