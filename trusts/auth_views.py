"""Sign-in in two steps (password, then a code when enrolled) and enrolment."""

import base64
import io
import time

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django_otp import login as otp_login
from django_otp import match_token, user_has_device

from trusts import services
from trusts.auth_forms import OTPTokenForm
from trusts.forms import LoginForm

# The user who passed the password step, waiting for their code.
PENDING_KEY = "_otp_pending"
MAX_CODE_ATTEMPTS = 5


class LoginView(auth_views.LoginView):
    """Django's sign-in; a user with a confirmed device goes on to the code."""

    authentication_form = LoginForm

    def form_valid(self, form):
        user = form.get_user()
        if not user_has_device(user, confirmed=True):
            return super().form_valid(form)
        # Not signed in yet: a new session key, holding only who is pending.
        self.request.session.cycle_key()
        self.request.session[PENDING_KEY] = {
            "user": user.pk,
            "backend": user.backend,
            "at": int(time.time()),
            "next": self.get_success_url(),
            "attempts": 0,
        }
        return redirect("login-otp")


def _pending_user(request):
    pending = request.session.get(PENDING_KEY)
    if not pending:
        return None, None
    too_old = time.time() - pending["at"] > settings.OTP_LOGIN_PENDING_SECONDS
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    if too_old or user is None or pending["attempts"] >= MAX_CODE_ATTEMPTS:
        del request.session[PENDING_KEY]
        return None, None
    return pending, user


@sensitive_post_parameters("token")
@never_cache
def login_otp(request):
    """Second step of sign-in: the code from the user's authenticator app."""
    pending, user = _pending_user(request)
    if user is None:
        messages.info(request, _("Sign in again to continue."))
        return redirect("login")
    form = OTPTokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = match_token(user, form.cleaned_data["token"])
        if device is not None:
            del request.session[PENDING_KEY]
            auth_login(request, user, backend=pending["backend"])
            otp_login(request, device)
            return redirect(pending["next"])
        pending["attempts"] += 1
        request.session[PENDING_KEY] = pending
        services.audit_record(actor=user, action="auth.otp_failed", request=request)
        form.add_error(
            "token", _("The code is wrong or has expired. Enter the current code.")
        )
    return render(request, "trusts/otp_login.html", {"form": form})


def _qr_data_uri(text: str) -> str:
    # An <img> of an SVG data URI: drawn here, no network, and allowed by the
    # Content-Security-Policy (img-src data:) where inline SVG styles are not.
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _next_url(request) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target,
        allowed_hosts={request.get_host()},
        require_https=request.is_secure(),
    ):
        return target
    return None


@sensitive_post_parameters("token")
@never_cache
@login_required
def otp_setup(request):
    """Turn on two-factor sign-in, or verify this session with a code."""
    form = OTPTokenForm(request.POST or None)
    next_url = _next_url(request)
    if user_has_device(request.user, confirmed=True):
        if request.method == "POST" and form.is_valid():
            device = match_token(request.user, form.cleaned_data["token"])
            if device is not None:
                otp_login(request, device)
                return redirect(next_url or "home")
            services.audit_record(
                actor=request.user, action="auth.otp_failed", request=request
            )
            form.add_error(
                "token",
                _("The code is wrong or has expired. Enter the current code."),
            )
        context = {"enabled": True, "form": form, "next": next_url}
        return render(request, "trusts/otp_setup.html", context)

    device = services.otp_device_start(user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.otp_device_confirm(
                user=request.user, token=form.cleaned_data["token"], request=request
            )
        except ValidationError as exc:
            form.add_error("token", exc)
        else:
            otp_login(request, device)
            messages.success(request, _("Two-factor sign-in is now on."))
            return redirect(next_url or "home")
    context = {
        "enabled": False,
        "form": form,
        "next": next_url,
        "otpauth_uri": device.config_url,
        "qr_data_uri": _qr_data_uri(device.config_url),
        "secret": base64.b32encode(device.bin_key).decode("ascii"),
    }
    return render(request, "trusts/otp_setup.html", context)
