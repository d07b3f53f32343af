"""Project-wide security helpers: sign-in throttling, session lifetime keys."""

from urllib.parse import urlencode

from axes.backends import AxesStandaloneBackend
from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse

# Session key holding when the user signed in (epoch seconds), for the
# absolute session lifetime (settings.SESSION_MAX_SECONDS).
SESSION_LOGIN_AT_KEY = "_auth_login_at"
# Session key holding when the session's idle timeout was last renewed.
SESSION_REFRESHED_AT_KEY = "_refreshed_at"
# Set on the request just before a forced sign-out, so the audit trail can say
# why the session ended.
SESSION_END_REASON_ATTR = "session_end_reason"


class RequestAxesBackend(AxesStandaloneBackend):
    """django-axes' lockout check, for sign-ins that come with a request.

    Every sign-in over HTTP (the login page, the admin, the API token view)
    passes its request and is throttled. A call without one is code of ours,
    not an attacker's attempt (a management command, the test client's
    ``login``); it goes on to the next backend instead of failing.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(
            request, username=username, password=password, **kwargs
        )


class OTPRequiredAdminSite(AdminSite):
    """The Django admin, asking for a verified second factor when configured.

    With ``ADMIN_REQUIRE_OTP`` (on by default when debug is off) only a staff
    session verified with a TOTP code gets in; others are sent to set up or
    enter their code. Sign-in itself always goes through the site's own
    throttled, two-step login page. Installed with
    ``admin.site.__class__ = OTPRequiredAdminSite`` in the root urls.
    """

    def has_permission(self, request) -> bool:
        allowed = super().has_permission(request)
        if allowed and settings.ADMIN_REQUIRE_OTP:
            return request.user.is_verified()
        return allowed

    def login(self, request, extra_context=None):
        index = reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return redirect_to_login(
                request.GET.get(REDIRECT_FIELD_NAME) or index,
                login_url=reverse("login"),
            )
        if user.is_active and user.is_staff and not self.has_permission(request):
            return redirect(f"{reverse('otp-setup')}?{urlencode({'next': index})}")
        return super().login(request, extra_context)
