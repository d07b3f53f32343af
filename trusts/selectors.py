"""Reads about trusts and people, scoped to the asking user."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet
from rest_framework.authtoken.models import Token

from trusts.models import CostCentre, Membership, Role, Site, Trust

_CACHE_ATTR = "_alliance_membership"


def membership_get(user: AbstractBaseUser | AnonymousUser) -> Membership | None:
    """Return the user's membership with its trust, or ``None``.

    Cached on the user object, so a request asks the database once.
    Inactive users and users without a membership have no roles at all.
    """
    if not user.is_authenticated or not user.is_active:
        return None
    if not hasattr(user, _CACHE_ATTR):
        membership = (
            Membership.objects.select_related("trust").filter(user=user).first()
        )
        setattr(user, _CACHE_ATTR, membership)
    return getattr(user, _CACHE_ATTR)


def user_with_membership_get(user_id) -> AbstractBaseUser | None:
    """Return the user with this key, their membership and trust read with
    them in one query (so ``membership_get`` asks nothing more); ``None`` if
    there is no such user."""
    user_model = get_user_model()
    try:
        user = user_model._default_manager.select_related("membership__trust").get(
            pk=user_id
        )
    except user_model.DoesNotExist:
        return None
    _remember_membership(user)
    return user


def active_user_with_role_get(*, username: str, role: Role | str):
    """Return the active user called ``username`` if they hold ``role``,
    else ``None`` (no such user, inactive, or without the role)."""
    user_model = get_user_model()
    user = (
        user_model._default_manager.select_related("membership__trust")
        .filter(**{user_model.USERNAME_FIELD: username}, is_active=True)
        .first()
    )
    if user is None:
        return None
    _remember_membership(user)
    return user if user_has_role(user, role) else None


def token_with_user_get(key: str) -> Token | None:
    """Return the API token with this key, its user, their membership and
    trust read in one query (so ``membership_get`` asks nothing more);
    ``None`` if there is no such token."""
    try:
        token = Token.objects.select_related("user__membership__trust").get(key=key)
    except Token.DoesNotExist:
        return None
    _remember_membership(token.user)
    return token


def _remember_membership(user) -> None:
    """Keep for ``membership_get`` the membership read with ``user``
    (``select_related("membership__trust")``; ``None`` when there is none)."""
    try:
        membership = user.membership  # read with the user: no query
    except Membership.DoesNotExist:
        membership = None
    setattr(user, _CACHE_ATTR, membership)


def user_has_role(user, role: Role | str) -> bool:
    """Tell whether the user holds ``role`` (DESIGN §1)."""
    membership = membership_get(user)
    return bool(membership and getattr(membership, f"is_{Role(role).value}"))


def user_trust(user) -> Trust | None:
    """Return the trust the user belongs to; ``None`` for the alliance team."""
    membership = membership_get(user)
    return membership.trust if membership else None


def trusts_list() -> QuerySet[Trust]:
    """Every active trust, with its sites and cost centres prefetched."""
    return Trust.objects.active().prefetch_related("sites", "cost_centres")


def sites_for_trust(trust: Trust) -> QuerySet[Site]:
    """Active delivery sites of one trust."""
    return Site.objects.filter(trust=trust, is_active=True).order_by("name")


def cost_centres_for_trust(trust: Trust) -> QuerySet[CostCentre]:
    """Active cost centres of one trust."""
    return CostCentre.objects.filter(trust=trust, is_active=True).order_by("code")


def approvers_of_trust(trust: Trust) -> QuerySet[Membership]:
    """Active approvers of a trust, with their users (for notifications)."""
    return Membership.objects.select_related("user").filter(
        trust=trust, is_approver=True, user__is_active=True
    )


def api_token_exists(user) -> bool:
    """Tell whether the user holds an API token (DESIGN §10)."""
    return Token.objects.filter(user=user).exists()
