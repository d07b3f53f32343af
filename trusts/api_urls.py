from django.urls import path

from trusts import api

app_name = "trusts-api"

urlpatterns = [
    path("auth/token/", api.TokenCreateApi.as_view(), name="token"),
    path("me/", api.MeApi.as_view(), name="me"),
    path("trusts/", api.TrustListApi.as_view(), name="trust-list"),
]
