from django.urls import path

from trusts import views

app_name = "trusts"

urlpatterns = [
    path("profile/", views.profile, name="profile"),
]
