"""A pooling round's journey in Chromium: preview, commit, issue; then a trust
user sees only their own share of the order."""

import datetime

import pytest
from django.utils import timezone

from orders.models import JointPurchaseOrder
from tests import factories

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def setting(settings, trust, other_trust):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    item = factories.ItemFactory(sku="GLV-001", name="Nitrile examination gloves")
    factories.contract_item_with_tiers(
        tiers=[(1, "10.0000"), (100, "8.0000")],
        item=item,
        contract=factories.ContractFactory(
            reference="AP-GLOVES", trusts=[trust, other_trust]
        ),
    )
    for owner, quantity in ((trust, 70), (other_trust, 40)):
        factories.ApprovedRequisitionLineFactory(
            requisition__trust=owner, item=item, quantity=quantity
        )
    return {
        "buyer": factories.UserFactory(membership__is_buyer=True),
        "finance": factories.UserFactory(
            membership__trust=trust, membership__is_finance=True
        ),
    }


def test_preview_commit_issue_then_a_trust_sees_its_share(
    page, browser, sign_in, live_server, screenshot, setting
):
    """The buyer previews, commits and issues; a trust user sees only their share."""
    sign_in(page, setting["buyer"])
    page.goto(f"{live_server.url}/orders/rounds/")
    page.get_by_role("link", name="Open a round").click()
    cut_off = timezone.localtime() + datetime.timedelta(hours=1)
    page.fill("#id_cut_off", f"{cut_off:%Y-%m-%dT%H:%M}")
    page.get_by_role("button", name="Open round and preview").click()

    page.get_by_role("heading", name="Preview").wait_for()
    body = page.locator("main").inner_text()
    assert "AP-GLOVES" in body
    assert "£8.0000" in body  # 110 gloves reach the 100 tier together
    assert "£220.00" in body  # each trust alone would pay £10.0000
    assert "No lines are held." in body
    screenshot(page, "pooling-preview")

    page.get_by_role("button", name="Commit round: create draft orders").click()
    page.get_by_text("Round committed: 1 draft orders.").wait_for()
    order = JointPurchaseOrder.objects.get()
    page.get_by_role("link", name=order.number).click()
    page.get_by_role("button", name="Issue order").click()
    page.get_by_text(f"Order {order.number} issued.").wait_for()
    assert "Issued" in page.locator("h1").inner_text()
    screenshot(page, "pooling-order-buyer")

    context = browser.new_context(locale="en-GB")
    trust_page = context.new_page()
    sign_in(trust_page, setting["finance"])
    trust_page.goto(f"{live_server.url}/orders/")
    trust_page.get_by_text(f"{order.number}/WMAS").wait_for()
    trust_page.get_by_role("link", name=order.number).click()
    trust_body = trust_page.locator("main").inner_text()
    assert f"{order.number}/WMAS" in trust_body
    assert "£560.00" in trust_body  # 70 × £8
    assert "SECAMB" not in trust_body
    assert "£880.00" not in trust_body  # the order's total
    screenshot(trust_page, "pooling-order-trust")
    context.close()
