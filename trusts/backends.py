"""Sign-in on each request, reading the user with their membership.

- ``MembershipModelBackend``: Django's own backend for sessions.
- ``MembershipTokenAuthentication``: DRF's token authentication for the API.

Every page and API call asks for the user's roles and trust right after
reading the user: reading them in the same query saves one per request.
Roles are read afresh on every request, never kept in the session or token.
"""

from django.contrib.auth.backends import ModelBackend
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from trusts import selectors


class MembershipModelBackend(ModelBackend):
    """Django's ``ModelBackend``; the signed-in user comes with their roles.

    A user without a membership (a superuser made by hand) has no roles, as
    before.
    """

    def get_user(self, user_id):
        user = selectors.user_with_membership_get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class MembershipTokenAuthentication(TokenAuthentication):
    """DRF's ``Authorization: Token <key>``, the user read with their roles.

    Refuses an unknown token and an inactive user with DRF's own answers.
    """

    def authenticate_credentials(self, key):
        token = selectors.token_with_user_get(key)
        if token is None:
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("User inactive or deleted."))
        return (token.user, token)
