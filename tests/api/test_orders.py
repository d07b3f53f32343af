"""Joint purchase orders through the API (DESIGN §5, §7, §10)."""

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone

from orders.models import JointPurchaseOrder, OrderDocument
from tests import factories
from tests.api.conftest import user_with
from trusts.models import Role

pytestmark = pytest.mark.django_db

URL = "/api/v1/orders/"


def _wmas_allocation(order):
    return next(
        allocation["id"]
        for line in order["lines"]
        for allocation in line["allocations"]
        if allocation["trust"] == "WMAS"
    )


def test_buyer_sees_the_whole_order(api_for, buyer, order_number):
    """Buyers see every allocation and share; shares add up to the totals."""
    body = api_for(buyer).get(f"{URL}{order_number}/").json()
    assert body["status"] == "draft"
    assert body["contract"] == "AP-C-GLOVES"
    (line,) = body["lines"]
    assert line["quantity"] == 110
    assert line["unit_price"] == "7.9500"
    assert line["net"] == "874.50"
    assert line["vat"] == "174.90"
    assert line["gross"] == "1049.40"
    assert {a["trust"] for a in line["allocations"]} == {"WMAS", "SECAMB"}
    assert body["totals"] == {
        "net": "874.50",
        "vat": "174.90",
        "gross": "1049.40",
        "standalone_net": "935.00",
        "savings": "60.50",
    }
    shares = {share["trust"]: share for share in body["shares"]}
    assert shares["WMAS"]["reference"] == f"{order_number}/WMAS"
    assert shares["WMAS"]["net"] == "477.00"
    assert shares["SECAMB"]["net"] == "397.50"


def test_trust_users_see_only_their_share(api_for, finance, order_number):
    """A trust's finance user sees their allocations, share and figures only."""
    body = api_for(finance).get(f"{URL}{order_number}/").json()
    (line,) = body["lines"]
    assert line["quantity"] == 60
    assert line["net"] == "477.00"
    (allocation,) = line["allocations"]
    assert allocation["trust"] == "WMAS"
    assert allocation["reference"] == f"{order_number}/WMAS"
    assert allocation["unit_price"] == "7.9500"
    assert allocation["standalone_unit_price"] == "8.5000"
    assert allocation["savings"] == "33.00"
    assert [share["trust"] for share in body["shares"]] == ["WMAS"]
    assert body["totals"]["gross"] == "572.40"


def test_order_list_per_role(api_for, buyer, finance, order_number):
    """Buyers list orders with their totals; trust users with their share's."""
    (row,) = api_for(buyer).get(URL).json()["results"]
    assert row["number"] == order_number
    assert row["net"] == "874.50"
    (row,) = api_for(finance).get(URL).json()["results"]
    assert row["reference"] == f"{order_number}/WMAS"
    assert row["net"] == "477.00"


def test_a_trust_without_a_share_gets_404(api_for, order_number):
    """A trust with no share neither lists nor reads the order."""
    outsider = user_with(factories.TrustFactory(code="SWASFT"), Role.FINANCE)
    client = api_for(outsider)
    assert client.get(URL).json()["results"] == []
    assert client.get(f"{URL}{order_number}/").status_code == 404
    assert client.get(f"{URL}{order_number}/shares/WMAS/pdf/").status_code == 404


def test_contract_managers_do_not_read_orders(api_for, contract_manager, order_number):
    """Orders are not a contract manager's: 403."""
    client = api_for(contract_manager)
    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}{order_number}/").status_code == 403


def test_orders_need_sign_in(api_client):
    """Anonymous callers get 401 on every order call."""
    for path in ("", "AP-1/", "AP-1/pdf/", "AP-1/shares/WMAS/pdf/"):
        assert api_client.get(f"{URL}{path}").status_code == 401
    for path in ("AP-1/issue/", "AP-1/cancel/", "AP-1/receipts/"):
        assert api_client.post(f"{URL}{path}", {}, format="json").status_code == 401


def test_buyer_issues_and_reissue_is_a_conflict(api_for, buyer, issued, order_number):
    """Issuing answers the issued order; issuing again is a 409."""
    assert issued["status"] == "issued"
    assert issued["issued_at"] is not None
    response = api_for(buyer).post(f"{URL}{order_number}/issue/")
    assert response.status_code == 409


@pytest.mark.parametrize("action", ["issue", "cancel"])
def test_only_buyers_issue_and_cancel(api_for, finance, order_number, action):
    """A trust user may not issue or cancel: 403."""
    assert api_for(finance).post(f"{URL}{order_number}/{action}/").status_code == 403


def test_unknown_order_is_404(api_for, buyer):
    """An order number that does not exist answers 404."""
    client = api_for(buyer)
    assert client.get(f"{URL}AP-2026-999999/").status_code == 404
    assert client.post(f"{URL}AP-2026-999999/issue/").status_code == 404


def test_buyer_cancels_a_draft(api_for, buyer, order_number):
    """A draft order cancels; cancelling again is a 409."""
    client = api_for(buyer)
    response = client.post(f"{URL}{order_number}/cancel/")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert client.post(f"{URL}{order_number}/cancel/").status_code == 409


def test_trust_records_a_receipt(api_for, requisitioner, issued, order_number):
    """A receipt against the trust's allocation answers 201 and moves the order."""
    response = api_for(requisitioner).post(
        f"{URL}{order_number}/receipts/",
        {"allocation": _wmas_allocation(issued), "quantity": 20},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["received_quantity"] == 20
    assert response.json()["order_status"] == "part_received"


def test_over_receipt_names_the_quantity(api_for, requisitioner, issued, order_number):
    """More than is outstanding is a 400 on ``quantity``."""
    response = api_for(requisitioner).post(
        f"{URL}{order_number}/receipts/",
        {"allocation": _wmas_allocation(issued), "quantity": 61},
        format="json",
    )
    assert response.status_code == 400
    assert "quantity" in response.json()


def test_receipt_against_another_trusts_allocation_is_404(
    api_for, other_requisitioner, issued, order_number
):
    """SECAMB cannot receive against WMAS's allocation."""
    response = api_for(other_requisitioner).post(
        f"{URL}{order_number}/receipts/",
        {"allocation": _wmas_allocation(issued), "quantity": 1},
        format="json",
    )
    assert response.status_code == 404


def test_receipt_on_a_draft_is_a_conflict(api_for, buyer, requisitioner, order_number):
    """Goods are received only against an issued order: 409."""
    order = api_for(buyer).get(f"{URL}{order_number}/").json()
    response = api_for(requisitioner).post(
        f"{URL}{order_number}/receipts/",
        {"allocation": _wmas_allocation(order), "quantity": 1},
        format="json",
    )
    assert response.status_code == 409


def test_cancel_after_a_receipt_is_a_conflict(
    api_for, buyer, requisitioner, issued, order_number
):
    """An order with receipts cannot be cancelled: 409."""
    api_for(requisitioner).post(
        f"{URL}{order_number}/receipts/",
        {"allocation": _wmas_allocation(issued), "quantity": 1},
        format="json",
    )
    assert api_for(buyer).post(f"{URL}{order_number}/cancel/").status_code == 409


def test_buyers_do_not_record_receipts(api_for, buyer, issued, order_number):
    """Receipts are the trusts': a buyer gets 403."""
    response = api_for(buyer).post(
        f"{URL}{order_number}/receipts/",
        {"allocation": _wmas_allocation(issued), "quantity": 1},
        format="json",
    )
    assert response.status_code == 403


def _document(number, trust=None, **fields):
    order = JointPurchaseOrder.objects.get(number=number)
    OrderDocument.objects.filter(order=order, trust=trust).delete()
    return OrderDocument.objects.create(
        order=order,
        kind=OrderDocument.Kind.SHARE if trust else OrderDocument.Kind.CONSOLIDATED,
        trust=trust,
        requested_at=timezone.now(),
        **fields,
    )


def test_pdf_is_202_while_pending(api_for, buyer, issued, order_number):
    """While the PDF is being built the answer is 202 ``{"status"}``."""
    _document(order_number, status=OrderDocument.Status.PENDING)
    response = api_for(buyer).get(f"{URL}{order_number}/pdf/")
    assert response.status_code == 202
    assert response.json() == {"status": "pending"}


def test_pdf_is_the_file_when_ready(api_for, buyer, issued, order_number):
    """A ready PDF answers 200 application/pdf, whatever Accept says."""
    document = _document(order_number, status=OrderDocument.Status.READY)
    document.file.save("order.pdf", ContentFile(b"%PDF-1.7 test"))
    response = api_for(buyer).get(
        f"{URL}{order_number}/pdf/", HTTP_ACCEPT="application/pdf"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content) == b"%PDF-1.7 test"


def test_failed_pdf_is_a_conflict_with_its_reason(api_for, buyer, issued, order_number):
    """A failed build answers 409 naming why."""
    _document(order_number, status=OrderDocument.Status.FAILED, failure_reason="boom")
    response = api_for(buyer).get(f"{URL}{order_number}/pdf/")
    assert response.status_code == 409
    assert "boom" in response.json()["detail"]


def test_trust_users_get_their_share_pdf_only(
    api_for, finance, trust, other_trust, issued, order_number
):
    """A trust reads its own share PDF; another's is 404, the whole order 403."""
    _document(order_number, trust=trust, status=OrderDocument.Status.PENDING)
    _document(order_number, trust=other_trust, status=OrderDocument.Status.PENDING)
    client = api_for(finance)
    assert client.get(f"{URL}{order_number}/shares/WMAS/pdf/").status_code == 202
    assert client.get(f"{URL}{order_number}/shares/SECAMB/pdf/").status_code == 404
    assert client.get(f"{URL}{order_number}/pdf/").status_code == 403
