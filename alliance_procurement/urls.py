"""Root URL configuration."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from trusts import views as trust_views
from trusts.forms import LoginForm

urlpatterns = [
    path("", trust_views.home, name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=LoginForm),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("catalogue/", include("catalogue.urls")),
    path("contracts/", include("suppliers.urls")),
    path("admin/", admin.site.urls),
]
