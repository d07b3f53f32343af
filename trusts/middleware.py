"""The audit trail's view of requests: where each comes from, what it downloads,
and every refusal (each 403, and each 404 for a signed-in user)."""

import logging

from alliance_procurement.tables import EXPORT_AUDIT_ATTR
from trusts import services

logger = logging.getLogger("alliance_procurement.security")


class AuditDeniedMiddleware:
    """Record refused requests in the audit trail (ASVS V16.3).

    A 403 is recorded for anyone (a refused role, a failed CSRF check); a 404
    only for a signed-in user, since that is how another trust's object
    answers (DESIGN §7), while anonymous 404s are mostly crawlers. Place after
    ``AuthenticationMiddleware``; API views set ``request.user`` from their
    token before this sees the response.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        status = response.status_code
        if status not in (403, 404):
            return response
        user = getattr(request, "user", None)
        signed_in = user is not None and user.is_authenticated
        if status == 404 and not signed_in:
            return response
        action = "access.denied" if status == 403 else "access.not_found"
        logger.warning(
            "%s user=%s method=%s path=%s ip=%s",
            action,
            user.get_username() if signed_in else "-",
            request.method,
            request.path,
            request.META.get("REMOTE_ADDR", "-"),
        )
        services.audit_record(
            actor=user if signed_in else None,
            action=action,
            detail={"method": request.method, "status": status},
            request=request,
        )
        return response


class RequestOriginMiddleware:
    """Give the audit trail the client's address and path (ASVS V16.2).

    Services never see the request, so for the length of one request its
    ``REMOTE_ADDR`` and path sit in a context variable that
    ``services.audit_record`` reads; it is cleared however the request ends.
    A response marked as a list export (``alliance_procurement.tables``) is
    recorded here as a download. Place after ``AuthenticationMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token = services.request_origin_set(request)
        try:
            response = self.get_response(request)
            export = getattr(response, EXPORT_AUDIT_ATTR, None)
            if export is not None and 200 <= response.status_code < 300:
                services.audit_record(
                    actor=None, action=export["action"], detail=export["detail"]
                )
            return response
        finally:
            services.request_origin_reset(token)
