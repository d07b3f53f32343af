from django.urls import path  # noqa: F401 -- the API adds its patterns here

app_name = "reports-api"

urlpatterns: list = []
