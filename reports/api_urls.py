import datetime

from django.urls import path, register_converter

from reports import api


class ApiMonthConverter:
    """``2026-03`` in a URL, the first day of that month in the view.

    Years 2000 to 2099: a report counts back a year and ahead a month, which
    must stay valid dates.
    """

    regex = r"20[0-9]{2}-(?:0[1-9]|1[0-2])"

    def to_python(self, value: str) -> datetime.date:
        year, month = value.split("-")
        return datetime.date(int(year), int(month), 1)

    def to_url(self, value) -> str:
        return value if isinstance(value, str) else f"{value:%Y-%m}"


class FileFormatConverter:
    regex = "pdf|csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(ApiMonthConverter, "api_month")
register_converter(FileFormatConverter, "api_file_format")

app_name = "reports-api"

urlpatterns = [
    path("savings/<api_month:month>/", api.SavingsApi.as_view(), name="savings"),
    path(
        "savings/<api_month:month>/report.<api_file_format:file_format>",
        api.SavingsReportApi.as_view(),
        name="savings-report",
    ),
]
