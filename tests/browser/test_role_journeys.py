"""The main journeys of finance and of the contract manager, in Chromium.

Finance: home → a savings month → download a file → orders → the trust's
share PDF, and the same PDF with JavaScript off. Contract manager: home →
contracts → a contract → imports.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from orders.models import JointPurchaseOrder, OrderDocument
from reports.models import SavingsDocument
from suppliers.models import ImportBatch
from tests import factories
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _last_month() -> datetime.date:
    return (timezone.localdate().replace(day=1) - datetime.timedelta(days=1)).replace(
        day=1
    )


@pytest.fixture
def finance_world(trust, other_trust):
    contract = factories.ContractFactory(reference="AP-GLOVES", trusts=[trust])
    item = priced_item([trust], contract=contract, name="Nitrile gloves")
    order = factories.JointPurchaseOrderFactory(
        number="AP-2026-000042",
        contract=contract,
        status=JointPurchaseOrder.Status.ISSUED,
        issued_at=timezone.now(),
    )
    allocation = factories.AllocationFactory(
        order_line__order=order,
        order_line__item=item,
        share__trust=trust,
        net=Decimal("80.00"),
        standalone_net=Decimal("100.00"),
        savings=Decimal("20.00"),
    )
    share_pdf = OrderDocument.objects.create(
        order=order,
        kind=OrderDocument.Kind.SHARE,
        trust=trust,
        status=OrderDocument.Status.READY,
        requested_at=timezone.now(),
    )
    share_pdf.file.save("share.pdf", ContentFile(b"%PDF-1.7 share of WMAS"))
    pack = SavingsDocument.objects.create(
        month=_last_month(),
        trust=trust,
        format=SavingsDocument.Format.CSV,
        status=SavingsDocument.Status.READY,
        requested_at=timezone.now(),
    )
    pack.file.save("savings.csv", ContentFile(b"section,savings\ntotal,20.00\n"))
    return {
        "finance": trust_user(trust, Role.FINANCE),
        "order": order,
        "share": allocation.share,
    }


def test_finance_reads_savings_downloads_a_file_and_its_share_pdf(
    page, sign_in, live_server, screenshot, finance_world
):
    """Finance goes from home to a month's savings, downloads last month's
    file, then opens an order and downloads its own trust's share PDF."""
    month = _last_month()
    sign_in(page, finance_world["finance"])
    page.get_by_role("heading", name="Savings", exact=True).wait_for()
    screenshot(page, "journey-finance-home")

    page.get_by_role("link", name=f"{month:%B %Y} in detail").click()
    page.wait_for_url(f"**/reports/savings/{month:%Y-%m}/?scope=WMAS")
    assert f"Savings {month:%B %Y}" in page.locator("h1").inner_text()

    page.goto(live_server.url + "/")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="WMAS CSV").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    assert "total,20.00" in Path(download.path()).read_text(encoding="utf-8")

    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Orders"
    ).click()
    order = finance_world["order"]
    page.get_by_role("link", name=order.number).click()
    page.get_by_text(finance_world["share"].reference).first.wait_for()
    screenshot(page, "journey-finance-order")
    # The share PDF's address, as the order's document panel links it.
    with page.expect_download() as download_info:
        page.evaluate(
            "(url) => { window.location.href = url; }",
            live_server.url
            + reverse("orders:order-share-pdf", args=[order.number, "WMAS"]),
        )
    with Path(download_info.value.path()).open("rb") as pdf:
        assert pdf.read().startswith(b"%PDF")


def test_finance_without_javascript_reaches_the_share_pdf(
    page_without_javascript, sign_in, live_server, screenshot, finance_world
):
    """With JavaScript off nothing loads the order's documents panel: its
    link leads to a whole page, with the way back to the order, from which
    the trust's share PDF downloads."""
    page = page_without_javascript
    sign_in(page, finance_world["finance"])
    order = finance_world["order"]
    page.goto(live_server.url + order.get_absolute_url())
    page.get_by_role("link", name="See this order's PDFs and their status").click()
    page.wait_for_url(f"**{reverse('orders:order-documents', args=[order.number])}")
    assert page.locator("h1").inner_text() == f"Order {order.number}: PDFs"
    breadcrumb = page.get_by_role("navigation", name="Breadcrumb")
    assert breadcrumb.get_by_role("link", name=f"Order {order.number}").count() == 1
    screenshot(page, "journey-finance-documents-without-javascript")
    share_link = page.get_by_role("link", name=f"Download PDF of {order.number}/WMAS")
    with page.expect_download() as download_info:
        share_link.click()
    download = download_info.value
    assert download.suggested_filename == f"{order.number}-WMAS.pdf"
    with Path(download.path()).open("rb") as pdf:
        assert pdf.read() == b"%PDF-1.7 share of WMAS"


@pytest.fixture
def contract_world(trust):
    contract = factories.ContractFactory(
        reference="AP-FUEL",
        title="Road fuel, bunkered",
        trusts=[trust],
        end_date=timezone.localdate() + datetime.timedelta(days=30),
    )
    manager = factories.UserFactory(membership__is_contract_manager=True)
    ImportBatch.objects.create(
        kind=ImportBatch.Kind.PRICE_LIST,
        contract=contract,
        original_name="fuel-prices.csv",
        status=ImportBatch.Status.APPLIED,
        created_by=manager,
    )
    return {"manager": manager, "contract": contract}


def test_contract_manager_sees_expiring_contract_then_imports(
    page, sign_in, live_server, screenshot, contract_world
):
    """The contract manager's home lists a contract ending soon; from the
    contracts list they open it, then reach the imports page."""
    sign_in(page, contract_world["manager"])
    panel = page.locator("section", has=page.locator("#panel-contract_manager"))
    panel.get_by_role("link", name="AP-FUEL").wait_for()
    assert "fuel-prices.csv" in panel.inner_text()
    screenshot(page, "journey-contract-manager-home")

    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Contracts"
    ).click()
    page.get_by_role("link", name="AP-FUEL").first.click()
    page.wait_for_url("**/contracts/AP-FUEL/")
    assert "Road fuel, bunkered" in page.locator("h1").inner_text()

    page.get_by_role("navigation", name="Menu").get_by_role(
        "link", name="Imports"
    ).click()
    page.get_by_role("heading", name="Imports", exact=True).wait_for()
    assert "fuel-prices.csv" in page.locator("main").inner_text()
    screenshot(page, "journey-contract-manager-imports")
