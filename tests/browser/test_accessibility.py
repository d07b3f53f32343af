"""Every page each role reaches passes axe-core's WCAG 2.2 AA rules.

Each role signs in and visits its lists and the detail pages of objects made
here: a requisition, a round, an order, an item, a contract, a savings month,
an import and the profile. A serious or critical violation fails the test and
is printed with the offending markup. The requisition form is also checked
from the keyboard.
"""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from orders.models import JointPurchaseOrder
from suppliers.models import ImportBatch
from tests import factories
from tests.browser.axe import axe_violations, blocking, describe
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    fast_passwords_fixture,
    make_draft,
    make_submitted,
    priced_item,
    trust_user,
)
from trusts.models import Role

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(trust, other_trust):
    """One of everything a page can show, for the trust WMAS."""
    contract = factories.ContractFactory(
        reference="AP-GLOVES", title="Examination gloves", trusts=[trust, other_trust]
    )
    item = priced_item(
        [trust],
        contract=contract,
        tiers=((1, "10.0000"), (100, "8.0000")),
        sku="GLV-001",
        name="Nitrile examination gloves",
    )
    requisitioner = trust_user(trust, Role.REQUISITIONER)
    draft = make_draft(requisitioner, [(item, 20)])
    submitted = make_submitted(requisitioner, [(item, 120)])
    round_ = factories.PoolingRoundFactory()
    order = factories.JointPurchaseOrderFactory(
        pooling_round=round_,
        contract=contract,
        status=JointPurchaseOrder.Status.ISSUED,
        issued_at=timezone.now(),
        net=Decimal("80.00"),
    )
    factories.AllocationFactory(
        order_line__order=order,
        order_line__item=item,
        share__trust=trust,
        net=Decimal("80.00"),
        standalone_net=Decimal("100.00"),
        savings=Decimal("20.00"),
    )
    contract_manager = factories.UserFactory(membership__is_contract_manager=True)
    batch = ImportBatch.objects.create(
        kind=ImportBatch.Kind.CATALOGUE,
        original_name="catalogue.csv",
        status=ImportBatch.Status.FAILED,
        errors=[{"row": 2, "field": "sku", "message": "This field is required."}],
        error_count=1,
        row_count=1,
        created_by=contract_manager,
    )
    # A preview another catalogue import overtook: its page says so.
    out_of_date = ImportBatch.objects.create(
        kind=ImportBatch.Kind.CATALOGUE,
        original_name="catalogue-old.csv",
        status=ImportBatch.Status.PREVIEWED,
        row_count=1,
        created_count=1,
        created_by=contract_manager,
    )
    ImportBatch.objects.create(
        kind=ImportBatch.Kind.CATALOGUE,
        original_name="catalogue-new.csv",
        status=ImportBatch.Status.APPLIED,
        applied_at=timezone.now(),
        created_by=contract_manager,
    )
    last_month = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    return {
        "users": {
            "requisitioner": requisitioner,
            "approver": trust_user(trust, Role.APPROVER),
            "finance": trust_user(trust, Role.FINANCE),
            "buyer": factories.UserFactory(membership__is_buyer=True),
            "contract_manager": contract_manager,
        },
        "draft": draft,
        "submitted": submitted,
        "round": round_,
        "order": order,
        "item": item,
        "contract": contract,
        "batch": batch,
        "out_of_date": out_of_date,
        "month": f"{last_month:%Y-%m}",
    }


def pages_of(role: str, world: dict) -> dict[str, str]:
    """The pages ``role`` reaches, by a short name used for screenshots."""
    common = {
        "home": "/",
        "profile": "/accounts/profile/",
        "catalogue": "/catalogue/",
        "item": f"/catalogue/{world['item'].sku}/",
        "contracts": "/contracts/",
        "contract": f"/contracts/{world['contract'].reference}/",
    }
    order = f"/orders/{world['order'].number}/"
    by_role = {
        "requisitioner": {
            "requisitions": "/orders/requisitions/",
            "requisition-new": "/orders/requisitions/new/",
            "requisition": f"/orders/requisitions/{world['draft'].pk}/",
            "requisition-edit": f"/orders/requisitions/{world['draft'].pk}/edit/",
            "orders": "/orders/",
            "order": order,
        },
        "approver": {
            "approvals": "/orders/approvals/",
            "requisitions": "/orders/requisitions/",
            "requisition": f"/orders/requisitions/{world['submitted'].pk}/",
            "requisition-reject": (
                f"/orders/requisitions/{world['submitted'].pk}/reject/"
            ),
            "orders": "/orders/",
            "order": order,
        },
        "finance": {
            "requisitions": "/orders/requisitions/",
            "orders": "/orders/",
            "order": order,
            "order-documents": f"{order}documents/",
            "savings": "/reports/savings/",
            "savings-month": f"/reports/savings/{world['month']}/?scope=WMAS",
            "savings-alliance": f"/reports/savings/{world['month']}/",
        },
        "buyer": {
            "approved-lines": "/orders/approved-lines/",
            "rounds": "/orders/rounds/",
            "round-new": "/orders/rounds/new/",
            "round": f"/orders/rounds/{world['round'].pk}/",
            "orders": "/orders/",
            "order": order,
            "order-documents": f"{order}documents/",
            "savings": "/reports/savings/",
            "savings-month": f"/reports/savings/{world['month']}/",
        },
        "contract_manager": {
            "imports": "/contracts/imports/",
            "import": f"/contracts/imports/{world['batch'].pk}/",
            "import-out-of-date": f"/contracts/imports/{world['out_of_date'].pk}/",
            "import-catalogue": "/contracts/imports/catalogue/",
            "import-price-list": "/contracts/imports/price-list/",
        },
    }
    return common | by_role[role]


@pytest.mark.parametrize(
    "role", ["requisitioner", "approver", "finance", "buyer", "contract_manager"]
)
def test_every_page_of_a_role_has_no_serious_violations(
    page, sign_in, live_server, screenshot, world, role
):
    """No page a role reaches has a serious or critical WCAG 2.2 AA violation."""
    sign_in(page, world["users"][role])
    failures = []
    for name, path in pages_of(role, world).items():
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{path} answered {response.status}"
        found = blocking(axe_violations(page))
        if found:
            failures.append(describe(path, found))
        screenshot(page, f"{role}-{name}")
    assert not failures, "\n\n".join(failures)


def test_error_pages_have_no_serious_violations(page, sign_in, live_server, world):
    """The 403 and 404 pages pass the same rules as every other page."""
    sign_in(page, world["users"]["requisitioner"])
    failures = []
    for path, status in (("/orders/rounds/", 403), ("/no-such-page/", 404)):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == status
        found = blocking(axe_violations(page))
        if found:
            failures.append(describe(path, found))
    assert not failures, "\n\n".join(failures)


def test_requisition_form_with_errors_has_no_serious_violations(
    page, sign_in, live_server, screenshot, world
):
    """A form sent back with errors shows an accessible error summary."""
    sign_in(page, world["users"]["requisitioner"])
    page.goto(f"{live_server.url}/orders/requisitions/new/")
    page.get_by_role("button", name="Save as draft").click()
    summary = page.locator(".nhsuk-error-summary")
    summary.wait_for()
    assert summary.locator("a").count() >= 1
    screenshot(page, "requisitioner-requisition-errors")
    found = blocking(axe_violations(page))
    assert not found, describe("/orders/requisitions/new/ (errors)", found)


def _has_visible_focus(page) -> bool:
    return page.evaluate(
        """() => {
          const el = document.activeElement;
          const style = getComputedStyle(el);
          const outline = style.outlineStyle !== "none"
            && parseFloat(style.outlineWidth) > 0
            && style.outlineColor !== "rgba(0, 0, 0, 0)";
          return outline || style.boxShadow !== "none";
        }"""
    )


def test_requisition_form_skip_link_comes_first_and_focus_is_visible(
    page, sign_in, live_server, world
):
    """Tab first reaches the skip link; every focus stop on the way to the
    form is visibly marked; the skip link lands in the main content."""
    sign_in(page, world["users"]["requisitioner"])
    page.goto(f"{live_server.url}/orders/requisitions/new/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.textContent.trim()") == (
        "Skip to main content"
    )
    assert _has_visible_focus(page)
    page.keyboard.press("Enter")
    assert page.evaluate("() => location.hash") == "#maincontent"

    page.goto(f"{live_server.url}/orders/requisitions/new/")
    unmarked = []
    for _ in range(60):
        page.keyboard.press("Tab")
        element = page.evaluate(
            "() => document.activeElement.id || document.activeElement.outerHTML"
            ".slice(0, 80)"
        )
        if not _has_visible_focus(page):
            unmarked.append(element)
        if element == "id_site":
            break
    else:
        pytest.fail("the keyboard never reached the delivery site field")
    assert not unmarked, f"focus not visible on: {unmarked}"
