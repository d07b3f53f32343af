"""Two-factor sign-in with TOTP: enrolment, the second step, the admin."""

import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests import factories
from trusts import services
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


def _code(device: TOTPDevice, offset_steps: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():06d}"


def _wrong_code(device: TOTPDevice) -> str:
    right = {_code(device, step) for step in (-1, 0, 1, 2)}
    return next(c for c in ("000000", "111111", "222222") if c not in right)


@pytest.fixture
def enrolled(requisitioner) -> TOTPDevice:
    device = services.otp_device_start(user=requisitioner)
    return services.otp_device_confirm(user=requisitioner, token=_code(device))


def _password_step(client, user):
    return client.post(
        reverse("login"),
        {"username": user.username, "password": factories.TEST_PASSWORD},
    )


def test_setup_page_shows_qr_code_and_otpauth_uri(client_for, requisitioner):
    """Enrolment shows the otpauth URI, its key and a QR code drawn as SVG."""
    response = client_for(requisitioner).get(reverse("otp-setup"))
    assert response.status_code == 200
    assert response.context["otpauth_uri"].startswith("otpauth://totp/")
    assert "issuer=Alliance%20Procurement" in response.context["otpauth_uri"]
    assert response.context["qr_data_uri"].startswith("data:image/svg+xml;base64,")
    assert b"data:image/svg+xml;base64," in response.content


def test_setup_reuses_one_unconfirmed_device(client_for, requisitioner):
    """Opening the page twice keeps the same secret."""
    client = client_for(requisitioner)
    first = client.get(reverse("otp-setup")).context["secret"]
    second = client.get(reverse("otp-setup")).context["secret"]
    assert first == second
    assert TOTPDevice.objects.filter(user=requisitioner).count() == 1


def test_confirming_with_the_current_code_turns_two_factor_on(
    client_for, requisitioner
):
    """The code from the app confirms the device and verifies the session."""
    client = client_for(requisitioner)
    client.get(reverse("otp-setup"))
    device = TOTPDevice.objects.get(user=requisitioner)

    response = client.post(reverse("otp-setup"), {"token": _code(device)})

    assert response.status_code == 302
    device.refresh_from_db()
    assert device.confirmed is True
    assert AuditEvent.objects.filter(action="auth.otp_enrolled").exists()
    assert client.get(reverse("otp-setup")).context["user"].is_verified()


def test_a_wrong_code_does_not_turn_two_factor_on(client_for, requisitioner):
    """A wrong code leaves the device unconfirmed, with an error on the field."""
    client = client_for(requisitioner)
    client.get(reverse("otp-setup"))
    device = TOTPDevice.objects.get(user=requisitioner)

    response = client.post(reverse("otp-setup"), {"token": _wrong_code(device)})

    assert response.status_code == 200
    assert response.context["form"].errors["token"]
    device.refresh_from_db()
    assert device.confirmed is False


def test_a_wrong_enrolment_code_is_recorded_and_slows_the_next_try(requisitioner):
    """The failure is audited and the device's back-off counter is kept."""
    device = services.otp_device_start(user=requisitioner)
    with pytest.raises(ValidationError) as refused:
        services.otp_device_confirm(user=requisitioner, token=_wrong_code(device))
    assert refused.value.code == "invalid_code"
    device.refresh_from_db()
    assert device.throttling_failure_count == 1
    assert AuditEvent.objects.filter(
        action="auth.otp_failed", actor=requisitioner
    ).exists()


def test_user_without_device_signs_in_with_the_password_alone(client, requisitioner):
    """No confirmed device: the password step signs in."""
    response = _password_step(client, requisitioner)
    assert response.status_code == 302
    assert response.url == reverse("home")
    assert client.get(reverse("home")).status_code == 200


def test_user_with_device_is_asked_for_the_code(client, requisitioner, enrolled):
    """With a confirmed device the password alone does not sign in."""
    response = _password_step(client, requisitioner)
    assert response.status_code == 302
    assert response.url == reverse("login-otp")
    assert client.get(reverse("home")).status_code == 302
    assert client.get(reverse("login-otp")).status_code == 200


def test_the_right_code_completes_sign_in(client, requisitioner, enrolled):
    """Password then code: signed in, and the session is verified."""
    _password_step(client, requisitioner)
    # The next time step: the code that confirmed the device cannot be replayed.
    response = client.post(reverse("login-otp"), {"token": _code(enrolled, 1)})
    assert response.status_code == 302
    assert response.url == reverse("home")
    home = client.get(reverse("home"))
    assert home.status_code == 200
    assert home.context["user"].is_verified()
    assert AuditEvent.objects.filter(action="auth.login", actor=requisitioner).exists()


def test_a_wrong_code_does_not_sign_in(client, requisitioner, enrolled):
    """A wrong code keeps the user out and is recorded."""
    _password_step(client, requisitioner)
    response = client.post(reverse("login-otp"), {"token": _wrong_code(enrolled)})
    assert response.status_code == 200
    assert client.get(reverse("home")).status_code == 302
    assert AuditEvent.objects.filter(action="auth.otp_failed").exists()


def test_code_step_without_password_step_goes_back_to_sign_in(client, db):
    """The code page alone signs nobody in."""
    response = client.get(reverse("login-otp"))
    assert response.status_code == 302
    assert response.url == reverse("login")


def test_too_many_wrong_codes_restart_sign_in(client, requisitioner, enrolled):
    """After 5 wrong codes the password step must be done again."""
    _password_step(client, requisitioner)
    for _ in range(5):
        enrolled.refresh_from_db()
        # Clear the device's own back-off so each attempt is really checked.
        TOTPDevice.objects.filter(pk=enrolled.pk).update(throttling_failure_count=0)
        client.post(reverse("login-otp"), {"token": _wrong_code(enrolled)})
    response = client.post(reverse("login-otp"), {"token": _code(enrolled, 1)})
    assert response.status_code == 302
    assert response.url == reverse("login")
    assert client.get(reverse("home")).status_code == 302


@pytest.fixture
def staff(db):
    return factories.UserFactory(is_staff=True, is_superuser=True)


def test_admin_asks_staff_for_a_verified_code(client_for, staff, settings):
    """With ADMIN_REQUIRE_OTP a staff session without a code is sent to set one up."""
    settings.ADMIN_REQUIRE_OTP = True
    client = client_for(staff)
    response = client.get(reverse("admin:index"), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("otp-setup"))


def test_admin_lets_a_verified_staff_session_in(client_for, staff, settings):
    """A staff session verified with a TOTP code reaches the admin."""
    settings.ADMIN_REQUIRE_OTP = True
    client = client_for(staff)
    client.get(reverse("otp-setup"))
    device = TOTPDevice.objects.get(user=staff)
    client.post(reverse("otp-setup"), {"token": _code(device)})
    assert client.get(reverse("admin:index")).status_code == 200


def test_admin_without_the_requirement_lets_staff_in(client_for, staff, settings):
    """With ADMIN_REQUIRE_OTP off (development) staff reach the admin directly."""
    settings.ADMIN_REQUIRE_OTP = False
    assert client_for(staff).get(reverse("admin:index")).status_code == 200


def test_admin_sign_in_goes_through_the_site_sign_in(client, db):
    """The admin's own login form is not a second, unthrottled way in."""
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_admin_requires_otp_by_default_in_production():
    """With debug off and nothing set, ADMIN_REQUIRE_OTP is on."""
    probe = (
        "import django; from django.conf import settings; django.setup(); "
        "print(settings.ADMIN_REQUIRE_OTP)"
    )
    env = {
        "PATH": "/usr/bin:/bin",
        "DJANGO_SETTINGS_MODULE": "alliance_procurement.settings",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": "probe-" + "x" * 50,
    }
    result = subprocess.run(  # noqa: S603 -- fixed arguments, our own interpreter
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "True"
