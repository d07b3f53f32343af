import datetime

from django.urls import path, register_converter

from reports import views


class MonthConverter:
    """``2026-03`` in a URL, the first day of that month in the view."""

    regex = r"[0-9]{4}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> datetime.date:
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"


register_converter(MonthConverter, "month")

app_name = "reports"

urlpatterns = [
    path("savings/", views.savings_list, name="savings-list"),
    path("savings/<month:month>/", views.savings_detail, name="savings-detail"),
    path("savings/<month:month>/build/", views.savings_build, name="savings-build"),
    path(
        "savings/<month:month>/<str:scope>.<str:file_format>",
        views.savings_download,
        name="savings-download",
    ),
]
