"""A requisition's journey in Chromium: raise and submit, then approve.

The requisitioner finds an item by typing part of its name, sees the price of
their own quantity's tier, adds and removes a line in place, saves and
submits; an approver in a second browser context approves it from the queue.
Without JavaScript, a requisition of two lines is raised with the form's own
"Add a line".
"""

import datetime
import re
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from orders.models import Requisition
from tests import factories
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(trust):
    return {
        "site": factories.SiteFactory(trust=trust, name="Hollymoor Hub"),
        "cost_centre": factories.CostCentreFactory(
            trust=trust, code="OPS1", name="Operations"
        ),
        "item": priced_item(
            [trust],
            tiers=((1, "10.0000"), (100, "8.5000")),
            name="Nitrile examination gloves",
            sku="GLV-001",
        ),
        "requisitioner": trust_user(trust, Role.REQUISITIONER),
        "approver": trust_user(trust, Role.APPROVER, limit="5000.00"),
    }


def test_raise_submit_then_approve(
    page, browser, sign_in, live_server, screenshot, setting
):
    """Raise → submit as the requisitioner; approve as the approver; status shows."""
    needed_by = timezone.localdate() + datetime.timedelta(days=10)
    sign_in(page, setting["requisitioner"])
    page.goto(f"{live_server.url}/orders/requisitions/new/")
    page.select_option("#id_site", label="Hollymoor Hub")
    page.select_option("#id_cost_centre", label=str(setting["cost_centre"]))
    page.fill("#id_needed_by", needed_by.isoformat())

    # Typing part of the name fills the item box's suggestions.
    page.locator("#id_lines-0-item").press_sequentially("nitr", delay=50)
    page.wait_for_selector(
        "#lines-0-item-options option[value='GLV-001']", state="attached"
    )
    page.fill("#id_lines-0-item", "GLV-001")
    page.fill("#id_lines-0-quantity", "120")
    estimate = page.locator("#lines-0-estimate")
    # 120 reaches the 100+ tier: £8.5000 each, £1,020.00 for the line.
    estimate.get_by_text("£8.5000").wait_for()
    estimate.get_by_text("£1,020.00").wait_for()
    assert "pack size 1" in estimate.inner_text()

    # Add a line in place, then remove it again.
    page.get_by_role("button", name="Add a line").click()
    page.wait_for_selector("#lines-1")
    assert page.input_value("#id_lines-TOTAL_FORMS") == "2"
    expect(page.locator("#id_lines-1-item")).to_be_focused()
    page.get_by_role("button", name="Remove line 2").click()
    page.wait_for_selector("#lines-1", state="detached")
    expect(page.locator("#add-line")).to_be_focused()
    screenshot(page, "requisition-raise")

    page.get_by_role("button", name="Save as draft").click()
    page.wait_for_url(re.compile(r"/orders/requisitions/\d+/$"))
    requisition = Requisition.objects.get()
    assert page.locator("[data-status]").inner_text() == "Draft"
    page.get_by_role("button", name="Submit for approval").click()
    page.locator("[data-status='submitted']").wait_for()
    assert page.locator("[data-status]").inner_text() == "Submitted"
    assert "£1,020.00" in page.locator("#estimated-total").inner_text()
    screenshot(page, "requisition-submitted")

    # The approver, in a browser context of their own.
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="en-GB"
    )
    context.set_default_timeout(15_000)
    try:
        approver_page = context.new_page()
        sign_in(approver_page, setting["approver"])
        approver_page.goto(f"{live_server.url}/orders/approvals/")
        row = approver_page.locator("tr", has_text=requisition.number)
        assert "£1,020.00" in row.inner_text()
        screenshot(approver_page, "requisition-approval-queue")
        row.get_by_role("button", name=re.compile("^Approve")).click()
        approver_page.get_by_text(f"{requisition.number} approved.").wait_for()
        approver_page.goto(f"{live_server.url}{requisition.get_absolute_url()}")
        assert approver_page.locator("[data-status]").inner_text() == "Approved"
        screenshot(approver_page, "requisition-approved")
    finally:
        context.close()

    page.reload()
    assert page.locator("[data-status]").inner_text() == "Approved"
    page.goto(f"{live_server.url}/orders/requisitions/?status=approved")
    listed = page.locator("tr", has_text=requisition.number)
    assert "Approved" in listed.inner_text()
    screenshot(page, "requisition-list")
    requisition.refresh_from_db()
    assert requisition.status == Requisition.Status.APPROVED
    assert requisition.estimated_total == Decimal("1020.00")


def test_raise_a_two_line_requisition_without_javascript(
    page_without_javascript, sign_in, live_server, screenshot, setting, trust
):
    """With JavaScript off the controls that need it are hidden, and the
    form's own "Add a line" brings the page back as typed with a line more:
    a requisition of two lines is saved as a draft."""
    masks = priced_item([trust], name="FFP3 masks", sku="MSK-003")
    page = page_without_javascript
    sign_in(page, setting["requisitioner"])
    page.goto(f"{live_server.url}/orders/requisitions/new/")
    expect(page.locator("#add-line")).to_be_hidden()
    expect(page.get_by_role("button", name="Remove line 1")).to_be_hidden()
    page.select_option("#id_site", label="Hollymoor Hub")
    page.select_option("#id_cost_centre", label=str(setting["cost_centre"]))
    needed_by = timezone.localdate() + datetime.timedelta(days=10)
    page.fill("#id_needed_by", needed_by.isoformat())
    page.fill("#id_lines-0-item", "GLV-001")
    page.fill("#id_lines-0-quantity", "120")

    page.get_by_role("button", name="Add a line").click()
    page.locator("#id_lines-1-item").wait_for()
    assert page.input_value("#id_lines-0-item") == "GLV-001"
    assert page.input_value("#id_lines-0-quantity") == "120"
    assert page.input_value("#id_needed_by") == needed_by.isoformat()
    assert not Requisition.objects.exists()
    page.fill("#id_lines-1-item", "MSK-003")
    page.fill("#id_lines-1-quantity", "4")
    screenshot(page, "requisition-raise-without-javascript")
    page.get_by_role("button", name="Save as draft").click()

    page.get_by_text("Saved").first.wait_for()
    requisition = Requisition.objects.get()
    lines = requisition.lines.order_by("pk")
    assert [(line.item.sku, line.quantity) for line in lines] == [
        ("GLV-001", 120),
        (masks.sku, 4),
    ]
    assert requisition.status == Requisition.Status.DRAFT
