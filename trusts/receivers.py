"""Django's own sign-in events and admin changes, written to the audit trail
(ASVS V16.3).

Signals are used here because these events are raised by django.contrib.auth
itself (the login view, the admin, the API token view) and by
django.contrib.admin, not by our services.
"""

import time

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.db.models.signals import post_save
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


_ADMIN_VERBS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


@receiver(post_save, sender=LogEntry, dispatch_uid="trusts.audit_admin_change")
def record_admin_change(sender, instance: LogEntry, created, raw=False, **kwargs):
    """Every add, change and delete through the admin: contracts, tiers, items,
    memberships... in one place, in the admin's own transaction.

    The admin logs the deletion of several objects at once ("Delete selected")
    with one bulk insert, which sends no signal: ``trusts.admin_audit`` passes
    those entries here itself.
    """
    verb = _ADMIN_VERBS.get(instance.action_flag)
    if not created or raw or verb is None:
        return
    content_type = instance.content_type
    model = content_type.model if content_type else "unknown"
    services.audit_record(
        actor=instance.user,
        action=f"admin.{model}.{verb}",
        object_ref=(
            f"{content_type.app_label}.{model}" if content_type else "",
            str(instance.object_id or ""),
        ),
        detail={
            "object": instance.object_repr,
            "change": instance.get_change_message(),
        },
    )
