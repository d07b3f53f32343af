"""The server error handler: a database that cannot answer is a 503.

When PostgreSQL is down or restarting, a connection is lost, or a statement
is cancelled (timeout, deadlock), trying again shortly usually works: users
get the standalone "unavailable for a moment" page (API clients a JSON
body) with ``Retry-After``, and load balancers and monitoring see a 503
rather than a fault in the application. Any other error is the usual 500.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

RETRY_AFTER_SECONDS = 30


def server_error(request):
    """``handler500``: 503 for a database that could not answer, else 500."""
    error = sys.exc_info()[1]
    if not isinstance(error, (OperationalError, InterfaceError)):
        return defaults.server_error(request)
    if request.path.startswith("/api/"):
        response = JsonResponse(
            {"detail": "The service is unavailable for a moment. Try again shortly."},
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html"), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
