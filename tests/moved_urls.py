"""The order pages alone, mounted elsewhere: for tests of addresses that
must follow the URLconf."""

from django.urls import include, path

urlpatterns = [path("purchasing/", include("orders.urls"))]
