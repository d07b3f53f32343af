"""The project's URLs plus views that fail or leak on purpose, for tests."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import OperationalError
from django.http import Http404, HttpResponse
from django.urls import path

from alliance_procurement.urls import handler500  # noqa: F401 -- the project's
from alliance_procurement.urls import urlpatterns as project_urlpatterns
from orders.models import Requisition

SECRET_MARKER = "internal-detail-that-must-not-leak"


@login_required
def forbidden(request):
    raise PermissionDenied


@login_required
def not_found(request):
    raise Http404(SECRET_MARKER)


def broken(request):
    raise RuntimeError(SECRET_MARKER)


def database_down(request):
    raise OperationalError(f"connection refused {SECRET_MARKER}")


def leaky_requisition(request, pk):
    # Deliberately wrong: shows any requisition to anyone, for the walker's test.
    return HttpResponse(Requisition.objects.get(pk=pk).number)


urlpatterns = [
    path("__fail__/forbidden/", forbidden),
    path("__fail__/not-found/", not_found),
    path("__fail__/broken/", broken),
    path("__fail__/database-down/", database_down),
    path("api/v1/__fail__/database-down/", database_down),
    path(
        "__leak__/requisitions/<int:pk>/", leaky_requisition, name="leaky-requisition"
    ),
    *project_urlpatterns,
]
