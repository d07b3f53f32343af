"""The sign-in backend: Django's own, reading the user with their membership."""

from django.contrib.auth.backends import ModelBackend

from trusts import selectors


class MembershipModelBackend(ModelBackend):
    """Django's ``ModelBackend``; the signed-in user comes with their roles.

    Every signed-in page asks for the user's roles and trust: reading them in
    the same query as the user saves a query per request. A user without a
    membership (a superuser made by hand) has no roles, as before.
    """

    def get_user(self, user_id):
        user = selectors.user_with_membership_get(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None
