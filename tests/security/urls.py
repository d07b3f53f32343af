"""The project's URLs plus a few views that fail on purpose, for error-page tests."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path

from alliance_procurement.urls import urlpatterns as project_urlpatterns

SECRET_MARKER = "internal-detail-that-must-not-leak"


@login_required
def forbidden(request):
    raise PermissionDenied


@login_required
def not_found(request):
    raise Http404(SECRET_MARKER)


def broken(request):
    raise RuntimeError(SECRET_MARKER)


urlpatterns = [
    path("__fail__/forbidden/", forbidden),
    path("__fail__/not-found/", not_found),
    path("__fail__/broken/", broken),
    *project_urlpatterns,
]
