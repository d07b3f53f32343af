"""Root URL configuration."""

from csp.decorators import csp_update
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from alliance_procurement.api import api_not_found
from alliance_procurement.security import OTPRequiredAdminSite
from reports import views as report_views
from trusts import auth_views as trust_auth_views

# A database that cannot answer is a 503 with Retry-After; anything else a 500.
handler500 = "alliance_procurement.errors.server_error"

# The admin asks for a verified second factor (settings.ADMIN_REQUIRE_OTP).
admin.site.__class__ = OTPRequiredAdminSite

urlpatterns = [
    path("", report_views.home, name="home"),
    path("accounts/login/", trust_auth_views.LoginView.as_view(), name="login"),
    path("accounts/login/code/", trust_auth_views.login_otp, name="login-otp"),
    path("accounts/two-factor/", trust_auth_views.otp_setup, name="otp-setup"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("catalogue/", include("catalogue.urls")),
    path("contracts/", include("suppliers.urls")),
    path("orders/", include("orders.urls")),
    path("reports/", include("reports.urls")),
    path("accounts/", include("trusts.urls")),
    path("api/v1/", include("trusts.api_urls")),
    path("api/v1/", include("suppliers.api_urls")),
    path("api/v1/", include("orders.api_urls")),
    path("api/v1/", include("reports.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        # Swagger UI's page carries a small <style> block: allow inline styles
        # there only; its scripts still come from our origin alone.
        csp_update({"style-src": ["'unsafe-inline'"]})(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
    # Any other /api/ address: a JSON 404, as API clients expect.
    re_path(r"^api/", api_not_found),
    path("admin/", admin.site.urls),
]
