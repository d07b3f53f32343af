"""Writes about trusts and people, and the security audit trail."""

import contextvars
import logging
import re
from dataclasses import dataclass

import psycopg.sql
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ValidationError
from django.db import connection, models, transaction
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


def _clean_path(path: str) -> str:
    # PostgreSQL text cannot hold NUL, which a hostile address may carry.
    return path.replace("\x00", "")[:500]


@dataclass(frozen=True)
class RequestOrigin:
    """Where the request being answered comes from: address, path and user.

    Set by ``trusts.middleware.RequestOriginMiddleware`` for the length of
    one request, so services record "from where" without seeing the request.
    The request is kept, not its user, because an API view replaces
    ``request.user`` with the token's user after the middleware has run.
    """

    ip_address: str | None
    path: str
    request: HttpRequest

    @property
    def user(self):
        user = getattr(self.request, "user", None)
        return user if user is not None and user.is_authenticated else None


# Empty in Celery tasks and management commands: they have no origin.
_request_origin: contextvars.ContextVar[RequestOrigin | None] = contextvars.ContextVar(
    "audit_request_origin", default=None
)


def request_origin_set(request: HttpRequest) -> contextvars.Token:
    """Remember the request's address and path; return the token to reset."""
    return _request_origin.set(
        RequestOrigin(
            ip_address=_client_ip(request),
            path=_clean_path(request.path),
            request=request,
        )
    )


def request_origin_reset(token: contextvars.Token) -> None:
    """Forget the origin set by ``request_origin_set``."""
    _request_origin.reset(token)


def request_origin_get() -> RequestOrigin | None:
    """The origin of the request being answered, or ``None`` outside one."""
    return _request_origin.get()


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    detail: dict | None = None,
    request: HttpRequest | None = None,
    object_ref: tuple[str, str] | None = None,
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
    ``object_ref`` gives them as text instead, for an object already deleted;
    ``detail`` is JSON (Decimals and dates are written as strings): put the
    reference people use there (``{"number": "AP-2026-000001"}``), never a
    password, token or one-time code. ``request`` adds the client's IP address
    and the path; without it they come from the request being answered
    (``trusts.middleware.RequestOriginMiddleware``), and stay empty in
    Celery tasks and management commands. Likewise an ``actor`` of ``None``
    inside a request is that request's signed-in user, if any: a service
    whose caller does not name the actor still records who acted. The event
    joins the caller's transaction: a change rolled back leaves no event.
    Rows cannot be changed or deleted afterwards: the database refuses
    (migration ``trusts.0003``).

    Recorded by the services (see ``docs/security.md``, "Writing to the
    audit trail", for the full list): requisitions
    (``orders.requisition.created``, ``.updated``, ``.submitted``,
    ``.approved``, ``.rejected``, ``.cancelled``), orders
    (``orders.order.issued``, ``.cancelled``, ``orders.allocation.received``),
    order documents (``orders.order_document.requested``, ``.built``,
    ``.failed``, ``.downloaded``), imports (``suppliers.price_list.imported``,
    ``.rejected`` and ``.expired``, ``catalogue.catalogue_file.imported``,
    ``.rejected`` and ``.expired``, ``suppliers.import_batch.uploaded``),
    the application's database role (``trusts.app_role.granted``),
    suppliers, contracts, fuel prices and items created through the API,
    savings files
    (``reports.savings_document.requested``, ``.downloaded``), list exports
    (``<app>.<list>_export.downloaded``) and every admin change
    (``admin.<model>.added``, ``.changed``, ``.deleted``).
    """
    origin = _request_origin.get() if request is None else None
    if actor is None and origin is not None:
        actor = origin.user
    user = actor if actor is not None and actor.is_authenticated else None
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = str(obj.pk) if obj.pk is not None else ""
    else:
        object_type, object_id = object_ref or ("", "")
    membership = selectors.membership_get(user) if user is not None else None
    event = AuditEvent.objects.create(
        actor=user,
        actor_username=user.get_username() if user is not None else "",
        organisation_code=membership.organisation_code if membership else "",
        action=action,
        object_type=object_type[:100],
        object_id=object_id[:100],
        detail=detail or {},
        ip_address=(_client_ip(request) if origin is None else origin.ip_address),
        path=(
            _clean_path(request.path)
            if request is not None
            else (origin.path if origin is not None else "")
        ),
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


#: A PostgreSQL role name the grant accepts: lower case, as ``CREATE ROLE``
#: folds an unquoted name.
APP_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
#: The audit trail: the application may add and read events, nothing else.
AUDIT_PRIVILEGES = "SELECT, INSERT"


@transaction.atomic(durable=True)
def app_role_grant(*, role: str) -> list[str]:
    """Give the PostgreSQL ``role`` what the running application needs, and
    no more; return the statements run.

    Run by the database owner after every ``migrate`` (new tables need their
    grants). The application then connects as ``role``: it reads and writes
    every table of the schema, but may only add to and read the audit trail.
    Not owning the tables, it cannot TRUNCATE them, drop or disable the
    audit trail's append-only trigger, or change the schema. Raises
    ``ValidationError`` on SQLite, for a name that is not a plain role name,
    for a role that does not exist, and for a superuser or the owner itself
    (neither is held back by a grant).
    """
    if connection.vendor != "postgresql":
        raise ValidationError(
            _("Database roles are PostgreSQL's: nothing to grant on %(vendor)s.")
            % {"vendor": connection.vendor},
            code="not_postgresql",
        )
    if not APP_ROLE_NAME.fullmatch(role):
        raise ValidationError(
            _("%(role)s is not a plain role name (a–z, 0–9 and _).") % {"role": role},
            code="role_name",
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper, r.rolname = current_user, current_database(), "
            "current_schema() FROM pg_roles r WHERE r.rolname = %s",
            [role],
        )
        found = cursor.fetchone()
        if found is None:
            raise ValidationError(
                _("There is no role %(role)s: create it first (CREATE ROLE … LOGIN).")
                % {"role": role},
                code="no_role",
            )
        is_superuser, is_running_this, database, schema = found
        if is_superuser or is_running_this:
            raise ValidationError(
                _(
                    "%(role)s is a superuser or the role running this command: "
                    "the application needs a role of its own."
                )
                % {"role": role},
                code="role_too_strong",
            )
        name, database, schema, audit = (
            psycopg.sql.Identifier(value).as_string(connection.connection)
            for value in (role, database, schema, AuditEvent._meta.db_table)
        )
        statements = [
            f"GRANT CONNECT, TEMPORARY ON DATABASE {database} TO {name}",
            f"GRANT USAGE ON SCHEMA {schema} TO {name}",
            f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} "
            f"TO {name}",
            f"REVOKE TRUNCATE, REFERENCES, TRIGGER ON ALL TABLES IN SCHEMA {schema} "
            f"FROM {name}",
            f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
            f"REVOKE ALL ON {audit} FROM {name}",
            f"GRANT {AUDIT_PRIVILEGES} ON {audit} TO {name}",
        ]
        for statement in statements:
            cursor.execute(statement)
    audit_record(
        actor=None,
        action="trusts.app_role.granted",
        detail={"role": role, "audit_trail": AUDIT_PRIVILEGES},
        object_ref=("database.role", role),
    )
    return statements
