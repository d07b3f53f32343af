"""Session hardening: an absolute lifetime, and no session for disabled users."""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout

from alliance_procurement.security import (
    SESSION_END_REASON_ATTR,
    SESSION_LOGIN_AT_KEY,
    SESSION_REFRESHED_AT_KEY,
)


class SessionSecurityMiddleware:
    """End sessions that outlived their limit or whose user was deactivated.

    - Idle timeout: ``SESSION_COOKIE_AGE`` after the last renewal; a request
      renews the session (saves it with a new expiry) when the last renewal
      is ``SESSION_REFRESH_SECONDS`` old or more, so the timeout is exact to
      within that margin and most pages write nothing.
    - Absolute lifetime: ``SESSION_MAX_SECONDS`` after sign-in, however
      active; the sign-in time is stamped by ``trusts.receivers`` (and here for
      a session that has none).
    - A deactivated user: Django's backend already answers such a session
      with an anonymous user; here the session itself is flushed, so turning
      the account back on does not revive it.

    Place after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None:
            self._enforce(request, session)
        return self.get_response(request)

    def _enforce(self, request, session) -> None:
        user = request.user
        if not user.is_authenticated:
            if session.get(SESSION_KEY) is not None:
                # The session names a user the backend refused (deactivated or
                # deleted): flush it for good.
                session.flush()
            return
        now = int(time.time())
        login_at = session.get(SESSION_LOGIN_AT_KEY)
        if login_at is None:
            session[SESSION_LOGIN_AT_KEY] = now
        elif now - int(login_at) >= settings.SESSION_MAX_SECONDS:
            setattr(request, SESSION_END_REASON_ATTR, "absolute_lifetime")
            logout(request)
            return
        refreshed_at = session.get(SESSION_REFRESHED_AT_KEY)
        if refreshed_at is None or now - int(refreshed_at) >= (
            settings.SESSION_REFRESH_SECONDS
        ):
            # Changing the session saves it with a new expiry: the idle timeout
            # starts again. Within SESSION_REFRESH_SECONDS of the last renewal a
            # page writes nothing, so reading pages costs no database write.
            session[SESSION_REFRESHED_AT_KEY] = now
