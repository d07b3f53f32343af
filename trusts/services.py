"""Writes about trusts and people, and the security audit trail."""

import logging

from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.authtoken.models import Token

from trusts import selectors
from trusts.models import AuditEvent

# --- Audit trail (ASVS V16) ----------------------------------------------------

audit_logger = logging.getLogger("alliance_procurement.audit")


def _client_ip(request: HttpRequest | None) -> str | None:
    # REMOTE_ADDR only: a forwarded header is whatever the client chose to send
    # unless a trusted proxy rewrites REMOTE_ADDR (gunicorn --forwarded-allow-ips).
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    detail: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEvent:
    """Append one event to the audit trail and to the ``audit`` log.

    Call it from services for every state change, import and download, with
    the acting user (``None`` or an anonymous user for the system or an
    unknown person). Actions are lower-case dotted codes,
    ``<app>.<object>.<verb in the past tense>``:

    - ``auth.login``, ``auth.login_failed``, ``auth.logout``,
      ``auth.session_expired``, ``auth.otp_enrolled``, ``auth.otp_failed``
      (recorded here, from Django's auth events and the sign-in pages);
    - ``access.denied`` (a 403) and ``access.not_found`` (a 404 for a
      signed-in user), recorded by ``trusts.middleware.AuditDeniedMiddleware``;
    - for example ``orders.requisition.approved``,
      ``orders.order.issued``, ``orders.order_pdf.downloaded``,
      ``suppliers.price_list.imported``, ``reports.savings_csv.downloaded``.

    ``obj`` gives the object type (``app_label.model``) and its primary key;
    ``detail`` is JSON (Decimals and dates are written as strings): put the
    reference people use there (``{"number": "AP-2026-000001"}``), never a
    password, token or one-time code. ``request`` adds the client's IP address
    and the path. The event joins the caller's transaction: a change rolled
    back leaves no event. Rows cannot be changed or deleted afterwards: the
    database refuses (migration ``trusts.0003``).
    """
    user = actor if actor is not None and actor.is_authenticated else None
    membership = selectors.membership_get(user) if user is not None else None
    event = AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        organisation_code=membership.organisation_code if membership else "",
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        detail=detail or {},
        ip_address=_client_ip(request),
        # PostgreSQL text cannot hold NUL, which a hostile address may carry.
        path=request.path.replace("\x00", "")[:500] if request is not None else "",
    )
    audit_logger.info(
        "audit action=%s actor=%s organisation=%s object=%s:%s ip=%s path=%s",
        event.action,
        event.actor_username or "-",
        event.organisation_code or "-",
        event.object_type or "-",
        event.object_id or "-",
        event.ip_address or "-",
        event.path or "-",
    )
    return event


# --- API tokens (DESIGN §10) ---------------------------------------------------


@transaction.atomic(durable=True)
def api_token_get_or_create(*, user, request: HttpRequest | None = None) -> Token:
    """Return the user's API token, creating it on first use.

    What ``POST /api/v1/auth/token/`` answers once the password is checked:
    asking again gives the same token until the user revokes it.
    """
    token, created = Token.objects.get_or_create(user=user)
    if created:
        audit_record(actor=user, action="auth.token_created", request=request)
    return token


@transaction.atomic(durable=True)
def api_token_create(*, user, request: HttpRequest | None = None) -> Token:
    """Give the user a new API token, revoking any token they had.

    The caller shows the key once; afterwards the user sees only that a
    token exists (their profile page).
    """
    Token.objects.filter(user=user).delete()
    token = Token.objects.create(user=user)
    audit_record(actor=user, action="auth.token_created", request=request)
    return token


@transaction.atomic(durable=True)
def api_token_revoke(*, user, request: HttpRequest | None = None) -> bool:
    """Revoke the user's API token; tell whether there was one.

    Revoking twice changes nothing the second time.
    """
    deleted, _rows = Token.objects.filter(user=user).delete()
    if deleted:
        audit_record(actor=user, action="auth.token_revoked", request=request)
    return bool(deleted)


# --- Two-factor sign-in (ASVS V6.5) --------------------------------------------

OTP_DEVICE_NAME = "Authenticator app"


@transaction.atomic(durable=True)
def otp_device_start(*, user) -> TOTPDevice:
    """Return the user's unconfirmed TOTP device, creating it if needed.

    The device signs nobody in until confirmed with a code from the app, so
    starting again reuses the same secret rather than piling up devices.
    """
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name=OTP_DEVICE_NAME, confirmed=False
        )
    return device


def otp_device_confirm(*, user, token: str, request=None) -> TOTPDevice:
    """Confirm the user's new TOTP device with a code from their app.

    From then on sign-in asks for a code after the password. Raises
    ``ValidationError`` (code ``no_device``) when enrolment was not started,
    (code ``invalid_code``) when the code is wrong, expired or throttled. A
    wrong code is audited and counts towards the device's back-off: both are
    committed before the error is raised.
    """
    with transaction.atomic(durable=True):
        device = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=False)
            .order_by("pk")
            .first()
        )
        if device is None:
            raise ValidationError(
                _("Start setting up two-factor sign-in first."), code="no_device"
            )
        confirmed = device.verify_token(token)
        if confirmed:
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            # One confirmed device: any other unconfirmed secrets are dropped.
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            audit_record(
                actor=user, action="auth.otp_enrolled", obj=device, request=request
            )
    if not confirmed:
        audit_record(actor=user, action="auth.otp_failed", request=request)
        raise ValidationError(
            _("The code is wrong or has expired. Enter the current code."),
            code="invalid_code",
        )
    return device


# --- Admin access for contract managers (DESIGN §1, §7) -----------------------

CONTRACT_MANAGER_GROUP = "Contract managers"
# Apps whose models contract managers keep in the admin. Named by label, as
# trusts may not import them (DESIGN §2).
CONTRACT_MANAGER_APPS = ("catalogue", "suppliers")
# Deleting these loses no history: orders keep their own copies of prices, and
# a category or index still in use is protected by the database.
CONTRACT_MANAGER_DELETABLE = frozenset(
    {"category", "contractitem", "pricetier", "fuelindexprice"}
)


@transaction.atomic(durable=True)
def contract_manager_group_ensure() -> Group:
    """Create or repair the "Contract managers" group and return it.

    It may view, add and change every catalogue and suppliers model, and
    delete only where nothing is lost (categories, contract items, price
    tiers, index prices); never suppliers, contracts, items or indices.
    A contract manager is a staff user in this group. Running it again sets
    exactly these permissions, so a permission added by hand is removed.
    """
    group, _created = Group.objects.get_or_create(name=CONTRACT_MANAGER_GROUP)
    permissions = [
        permission
        for permission in Permission.objects.filter(
            content_type__app_label__in=CONTRACT_MANAGER_APPS
        ).select_related("content_type")
        if permission.codename.startswith(("view_", "add_", "change_"))
        or (
            permission.codename.startswith("delete_")
            and permission.content_type.model in CONTRACT_MANAGER_DELETABLE
        )
    ]
    group.permissions.set(permissions)
    return group
