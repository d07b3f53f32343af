"""The health check load balancers and orchestrators ask: ``GET /healthz``.

A probe comes over plain HTTP to the server's own address (a container's,
a host's), which the HTTPS redirect and ``ALLOWED_HOSTS`` would turn away, and
it has no session, user or audit trail to speak of. So it is answered by the
first middleware, before any other runs:

- ``200 ok`` when the database answers a query and the cache (Redis, when
  ``REDIS_CACHE_URL`` is set) answers a read;
- ``503`` naming what did not (``database``, ``cache``), with
  ``Retry-After``, and the error in the log.

Nothing else is said: no versions, hosts or figures. Any other method is a
405; any other path goes on to the site as usual.
"""

import logging

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpResponse, HttpResponseNotAllowed

HEALTH_PATH = "/healthz"
RETRY_AFTER_SECONDS = 5

logger = logging.getLogger(__name__)


def _database_answers() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.warning("health check: the database did not answer", exc_info=True)
        return False
    return True


def _cache_answers() -> bool:
    try:
        cache.get("healthz")
    except Exception:  # Each cache backend raises its own connection errors.
        logger.warning("health check: the cache did not answer", exc_info=True)
        return False
    return True


CHECKS = (("database", _database_answers), ("cache", _cache_answers))


class HealthCheckMiddleware:
    """Answer ``/healthz`` before every other middleware. Place first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        if request.method not in ("GET", "HEAD"):
            response = HttpResponseNotAllowed(["GET", "HEAD"])
        else:
            failed = [name for name, answers in CHECKS if not answers()]
            if failed:
                response = HttpResponse(
                    "".join(f"{name}: not answering\n" for name in failed),
                    content_type="text/plain; charset=utf-8",
                    status=503,
                )
                response["Retry-After"] = str(RETRY_AFTER_SECONDS)
            else:
                response = HttpResponse(
                    "ok\n", content_type="text/plain; charset=utf-8"
                )
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
