"""Monthly savings through the API (DESIGN §5, §6, §10)."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from reports.models import SavingsDocument
from tests import factories
from tests.api.conftest import user_with
from trusts.models import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def month():
    return f"{timezone.localdate():%Y-%m}"


def test_finance_reads_every_trusts_totals(api_for, finance, issued, month):
    """Per trust and alliance-wide: pooled, standalone, savings and percent."""
    response = api_for(finance).get(f"/api/v1/savings/{month}/")
    assert response.status_code == 200
    body = response.json()
    assert body["month"] == month
    trusts = {row["trust"]: row for row in body["trusts"]}
    assert trusts["WMAS"]["pooled_spend"] == "477.00"
    assert trusts["WMAS"]["standalone_spend"] == "510.00"
    assert trusts["WMAS"]["savings"] == "33.00"
    assert trusts["WMAS"]["savings_percent"] == "6.5"
    assert trusts["SECAMB"]["savings"] == "27.50"
    assert body["alliance"] == {
        "pooled_spend": "874.50",
        "standalone_spend": "935.00",
        "savings": "60.50",
        "savings_percent": "6.5",
    }


def test_finance_detail_is_their_own_trusts(api_for, finance, issued, month):
    """Line detail for finance is their own trust's."""
    detail = api_for(finance).get(f"/api/v1/savings/{month}/").json()["detail"]
    assert detail["scope"] == "WMAS"
    (item,) = detail["top_items"]
    assert item["sku"] == "GLV-M"
    assert item["savings"] == "33.00"


def test_finance_may_not_read_another_trusts_detail(api_for, finance, month):
    """Another trust's detail is a 404 for finance."""
    response = api_for(finance).get(f"/api/v1/savings/{month}/", {"trust": "SECAMB"})
    assert response.status_code == 404


def test_buyer_reads_any_trusts_detail(api_for, buyer, issued, month):
    """Buyers read the alliance detail by default, or a trust's."""
    client = api_for(buyer)
    assert client.get(f"/api/v1/savings/{month}/").json()["detail"]["scope"] == (
        "ALLIANCE"
    )
    detail = client.get(f"/api/v1/savings/{month}/", {"trust": "SECAMB"}).json()
    assert detail["detail"]["top_items"][0]["savings"] == "27.50"


@pytest.mark.parametrize("role", ["requisitioner", "approver", "contract_manager"])
def test_other_roles_may_not_read_savings(api_for, request, role, month):
    """Savings are for finance and buyers: 403."""
    user = request.getfixturevalue(role)
    assert api_for(user).get(f"/api/v1/savings/{month}/").status_code == 403


def test_savings_need_sign_in(api_client, month):
    """Anonymous callers get 401."""
    assert api_client.get(f"/api/v1/savings/{month}/").status_code == 401
    assert api_client.get(f"/api/v1/savings/{month}/report.csv").status_code == 401


def test_bad_months_and_formats_are_404(api_for, buyer):
    """Month 13, year 9999 and an unknown format are not addresses: 404."""
    client = api_for(buyer)
    assert client.get("/api/v1/savings/2026-13/").status_code == 404
    assert client.get("/api/v1/savings/9999-12/").status_code == 404
    assert client.get("/api/v1/savings/2026-10/report.docx").status_code == 404


def test_missing_report_is_requested_and_202(api_for, finance, trust, month):
    """A report not yet built is asked for (every format) and answers 202."""
    response = api_for(finance).get(
        f"/api/v1/savings/{month}/report.pdf", {"trust": "WMAS"}
    )
    assert response.status_code == 202
    assert response.json() == {"status": "pending"}
    assert set(
        SavingsDocument.objects.filter(trust=trust).values_list("format", flat=True)
    ) == {"pdf", "csv", "xlsx"}


def test_ready_report_is_the_file(api_for, buyer, month):
    """A ready CSV answers 200 with its content type."""
    document = SavingsDocument.objects.create(
        month=timezone.localdate().replace(day=1),
        trust=None,
        format="csv",
        status=SavingsDocument.Status.READY,
        requested_at=timezone.now(),
    )
    document.file.save("savings.csv", ContentFile(b"trust,savings\n"))
    response = api_for(buyer).get(f"/api/v1/savings/{month}/report.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")


def test_finance_reports_only_own_trust_or_alliance(
    api_for, finance, other_trust, month
):
    """Another trust's report is a 404 for finance; nothing is requested."""
    response = api_for(finance).get(
        f"/api/v1/savings/{month}/report.xlsx", {"trust": "SECAMB"}
    )
    assert response.status_code == 404
    assert not SavingsDocument.objects.exists()


def test_third_trust_finance_sees_totals_but_not_detail(api_for, issued, month):
    """A trust without orders sees others' totals; its own detail is empty."""
    outsider = user_with(factories.TrustFactory(code="SWASFT"), Role.FINANCE)
    body = api_for(outsider).get(f"/api/v1/savings/{month}/").json()
    assert {row["trust"] for row in body["trusts"]} == {"WMAS", "SECAMB"}
    assert body["detail"]["scope"] == "SWASFT"
    assert body["detail"]["top_items"] == []


def _allocation_reads(client, url, params=None) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url, params or {}).status_code == 200
    return [
        q["sql"] for q in queries.captured_queries if "orders_allocation" in q["sql"]
    ]


def test_savings_read_only_the_figures_the_answer_carries(
    api_for, finance, buyer, issued, month
):
    """No twelve-month history (the answer has none), and the alliance's
    breakdowns only when the alliance is the scope: a trust's answer sums
    the month four times for the trust and twice for the alliance."""
    url = f"/api/v1/savings/{month}/"
    trust_scope = _allocation_reads(api_for(finance), url)
    assert len(trust_scope) == 6
    alliance_scope = _allocation_reads(api_for(buyer), url)
    assert len(alliance_scope) == 5
    assert not any("DATE_TRUNC" in sql for sql in trust_scope + alliance_scope)


def test_month_figures_are_read_again_only_when_orders_change(
    api_for, finance, buyer, issued, order_number, month
):
    """A second read under the same orders answers the same figures without
    summing the month again; cancelling the order takes its savings off on
    the very next read."""
    url = f"/api/v1/savings/{month}/"
    client = api_for(finance)
    first = client.get(url).json()
    assert first["alliance"]["savings"] == "60.50"
    assert _allocation_reads(client, url) == []
    assert client.get(url).json() == first
    cancelled = api_for(buyer).post(f"/api/v1/orders/{order_number}/cancel/")
    assert cancelled.status_code == 200, cancelled.json()
    after = client.get(url).json()
    assert after["alliance"]["savings"] == "0.00"
    assert after["detail"]["top_items"] == []
