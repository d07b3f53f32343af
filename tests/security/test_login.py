"""Sign-in: throttling by username and address, inactive users, passwords."""

import datetime

import pytest
import time_machine
from django.conf import settings as django_settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.urls import reverse

from tests import factories

pytestmark = pytest.mark.django_db

WRONG = "Not-the-password-1"


def _attempt(client, user, password, ip="192.0.2.1"):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": password},
        REMOTE_ADDR=ip,
    )


def _signed_in(client) -> bool:
    return client.get(reverse("home")).status_code == 200


def test_correct_password_signs_in(client, requisitioner):
    """The right username and password sign the user in."""
    response = _attempt(client, requisitioner, factories.TEST_PASSWORD)
    assert response.status_code == 302
    assert _signed_in(client)


def test_five_failures_lock_that_username_from_that_address(client, requisitioner):
    """After 5 wrong passwords even the right one is refused, with a 429 page."""
    limit = django_settings.AXES_FAILURE_LIMIT
    statuses = [
        _attempt(client, requisitioner, WRONG).status_code for _ in range(limit)
    ]
    assert statuses == [200] * (limit - 1) + [429]

    response = _attempt(client, requisitioner, factories.TEST_PASSWORD)

    assert response.status_code == 429
    assert b"Too many sign-in attempts" in response.content
    assert not _signed_in(client)


def test_four_failures_do_not_lock(client, requisitioner):
    """Fewer failures than the limit still let the right password in."""
    for _ in range(django_settings.AXES_FAILURE_LIMIT - 1):
        _attempt(client, requisitioner, WRONG)
    assert _attempt(client, requisitioner, factories.TEST_PASSWORD).status_code == 302


def test_lockout_is_for_the_username_and_address_pair(client, requisitioner):
    """The same user from another address, or another user, can still sign in."""
    other = factories.UserFactory()
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _attempt(client, requisitioner, WRONG, ip="192.0.2.1")

    assert (
        _attempt(client, other, factories.TEST_PASSWORD, ip="192.0.2.1").status_code
        == 302
    )
    client.logout()
    response = _attempt(client, requisitioner, factories.TEST_PASSWORD, ip="192.0.2.99")
    assert response.status_code == 302


def test_lockout_ends_after_the_cool_off(client, requisitioner):
    """Fifteen minutes after the lockout the right password works again."""
    for _ in range(django_settings.AXES_FAILURE_LIMIT):
        _attempt(client, requisitioner, WRONG)
    later = datetime.datetime.now(tz=datetime.UTC) + django_settings.AXES_COOLOFF_TIME
    with time_machine.travel(later + datetime.timedelta(seconds=5), tick=False):
        response = _attempt(client, requisitioner, factories.TEST_PASSWORD)
    assert response.status_code == 302


def test_throttling_settings_match_the_policy():
    """5 failures, 15 minutes, per username and address, axes checked first."""
    assert django_settings.AXES_FAILURE_LIMIT == 5
    assert datetime.timedelta(minutes=15) == django_settings.AXES_COOLOFF_TIME
    assert django_settings.AXES_LOCKOUT_PARAMETERS == [["username", "ip_address"]]
    assert django_settings.AUTHENTICATION_BACKENDS[0].endswith("RequestAxesBackend")


def test_inactive_user_cannot_sign_in(client, requisitioner):
    """A deactivated account is refused even with the right password."""
    requisitioner.is_active = False
    requisitioner.save(update_fields=["is_active"])
    response = _attempt(client, requisitioner, factories.TEST_PASSWORD)
    assert response.status_code == 200
    assert not _signed_in(client)


def test_sign_in_error_does_not_say_which_part_was_wrong(client, requisitioner):
    """An unknown user and a wrong password get the same message."""
    wrong_password = _attempt(client, requisitioner, WRONG).content
    unknown = client.post(
        reverse("login"), {"username": "nobody-here", "password": WRONG}
    ).content
    message = b"Please enter a correct username and password"
    assert message in wrong_password
    assert message in unknown


@pytest.mark.parametrize(
    "password", ["short-1", "password1234", "12345678901234", "alex.tester-1"]
)
def test_weak_passwords_are_refused(password):
    """Passwords must be 10+ characters, not common, not numeric, not like the name."""
    user = factories.UserFactory.build(username="alex.tester", first_name="Alex")
    with pytest.raises(ValidationError):
        password_validation.validate_password(password, user)


def test_strong_password_is_accepted():
    """A long, uncommon passphrase passes the validators."""
    user = factories.UserFactory.build(username="alex.tester")
    password_validation.validate_password("Lantern-orbit-meadow-71", user)
