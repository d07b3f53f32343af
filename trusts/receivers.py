"""Django's own sign-in events, written to the audit trail (ASVS V16.3).

Signals are used here because these events are raised by django.contrib.auth
itself (the login view, the admin, the API token view), not by our services.
"""

import time

from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver

from alliance_procurement.security import SESSION_END_REASON_ATTR, SESSION_LOGIN_AT_KEY
from trusts import services


@receiver(user_logged_in, dispatch_uid="trusts.audit_login")
def record_login(sender, request, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        # Start of the absolute session lifetime.
        request.session[SESSION_LOGIN_AT_KEY] = int(time.time())
    services.audit_record(actor=user, action="auth.login", request=request)


@receiver(user_login_failed, dispatch_uid="trusts.audit_login_failed")
def record_login_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked the password; keep only the name tried.
    username = str(credentials.get("username", ""))[:150]
    services.audit_record(
        actor=None,
        action="auth.login_failed",
        detail={"username": username},
        request=request,
    )


@receiver(user_logged_out, dispatch_uid="trusts.audit_logout")
def record_logout(sender, request, user, **kwargs) -> None:
    reason = getattr(request, SESSION_END_REASON_ATTR, None) if request else None
    services.audit_record(
        actor=user,
        action="auth.session_expired" if reason else "auth.logout",
        detail={"reason": reason} if reason else None,
        request=request,
    )
