"""The home page's panels: what each role has to do next (DESIGN §1, §7)."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from orders.models import JointPurchaseOrder, PoolingRound, Requisition
from orders.services import purchase_orders as order_services
from reports import dashboard
from reports.models import SavingsDocument
from suppliers.models import Contract, ImportBatch
from tests import factories

pytestmark = pytest.mark.django_db


def _issued_allocation(
    trust, *, savings: str, category=None, issued_at=None, status="issued"
):
    order = factories.JointPurchaseOrderFactory(
        status=status,
        issued_at=None if status == "draft" else issued_at or timezone.now(),
    )
    item = factories.ItemFactory(**({"category": category} if category else {}))
    return factories.AllocationFactory(
        order_line__order=order,
        order_line__item=item,
        share__trust=trust,
        net=Decimal("100.00"),
        standalone_net=Decimal("100.00") + Decimal(savings),
        savings=Decimal(savings),
    )


# --- Requisitioner -----------------------------------------------------------


def test_requisitioner_panel_lists_own_drafts_and_submissions(requisitioner, trust):
    """Only the user's own drafts and submitted requisitions appear."""
    draft = factories.RequisitionFactory(trust=trust, requester=requisitioner)
    submitted = factories.RequisitionFactory(
        trust=trust,
        requester=requisitioner,
        status=Requisition.Status.SUBMITTED,
        submitted_at=timezone.now(),
    )
    factories.RequisitionFactory(trust=trust)  # a colleague's draft
    panel = dashboard.requisitioner_panel(requisitioner)
    assert panel["drafts"] == [draft]
    assert panel["recent"] == [submitted]


def test_home_shows_raise_a_requisition_to_requisitioners(client_for, requisitioner):
    """A requisitioner's home offers to raise a requisition."""
    body = client_for(requisitioner).get(reverse("home")).content.decode()
    assert "Raise a requisition" in body
    assert reverse("orders:requisition-create") in body


# --- Approver ----------------------------------------------------------------


def test_approver_panel_counts_queue_total_and_over_limit(approver, trust):
    """The queue's count, estimated total and how many exceed the limit."""
    for total in ("1000.00", "300000.00", "2500.50"):
        factories.RequisitionFactory(
            trust=trust,
            status=Requisition.Status.SUBMITTED,
            submitted_at=timezone.now(),
            estimated_total=Decimal(total),
        )
    factories.RequisitionFactory(
        status=Requisition.Status.SUBMITTED,
        submitted_at=timezone.now(),
        estimated_total=Decimal("5.00"),
    )  # another trust's
    panel = dashboard.approver_panel(approver)
    assert panel["count"] == 3
    assert panel["total"] == Decimal("303500.50")
    assert panel["over_limit"] == 1


# --- Buyer -------------------------------------------------------------------


def test_buyer_panel_sums_waiting_lines_per_item(buyer, trust, other_trust):
    """Approved unpooled lines are summed per item across trusts."""
    item = factories.ItemFactory()
    factories.ApprovedRequisitionLineFactory(
        item=item, quantity=10, requisition__trust=trust
    )
    factories.ApprovedRequisitionLineFactory(
        item=item, quantity=5, requisition__trust=other_trust
    )
    factories.RequisitionLineFactory(item=item, quantity=99)  # a draft's line
    waiting = dashboard.waiting_lines(buyer)
    assert (waiting["line_count"], waiting["item_count"]) == (2, 1)
    [row] = waiting["items"]
    assert (
        row["item__sku"],
        row["quantity"],
        row["line_count"],
        row["trust_count"],
    ) == (
        item.sku,
        15,
        2,
        2,
    )


def test_buyer_panel_shows_the_items_with_most_waiting_lines(client_for, buyer, trust):
    """However many items wait, the panel shows the ten with the most lines
    (ties by SKU) and counts the rest; the approved lines page has them all."""
    items = [factories.ItemFactory(sku=f"SKU-{n:02}") for n in range(12)]
    for n, item in enumerate(items):
        for _ in range(1 + n % 4):
            factories.ApprovedRequisitionLineFactory(
                item=item, requisition__trust=trust
            )
    waiting = dashboard.waiting_lines(buyer)
    assert (waiting["line_count"], waiting["item_count"]) == (30, 12)
    assert [row["item__sku"] for row in waiting["items"]] == [
        "SKU-03",
        "SKU-07",
        "SKU-11",
        "SKU-02",
        "SKU-06",
        "SKU-10",
        "SKU-01",
        "SKU-05",
        "SKU-09",
        "SKU-00",
    ]
    body = client_for(buyer).get(reverse("home")).content.decode()
    assert "30 lines of 12 items are waiting." in body
    assert "The 10 items with the most lines:" in body
    assert "SKU-04" not in body
    assert "SKU-08" not in body
    assert reverse("orders:approved-lines") in body


def test_buyer_panel_says_when_no_lines_wait(client_for, buyer):
    waiting = dashboard.waiting_lines(buyer)
    assert waiting == {"line_count": 0, "item_count": 0, "items": []}
    body = client_for(buyer).get(reverse("home")).content.decode()
    assert "No approved lines are waiting." in body


def test_contracts_near_ceiling_or_end_need_attention():
    """Active contracts 80% committed or ending within 60 days are listed."""
    today = datetime.date(2026, 11, 25)
    ending = factories.ContractFactory(end_date=datetime.date(2027, 1, 20))
    full = factories.ContractFactory(value_ceiling=Decimal("1000.00"))
    factories.JointPurchaseOrderFactory(
        contract=full, status=JointPurchaseOrder.Status.ISSUED, net=Decimal("800.00")
    )
    roomy = factories.ContractFactory(value_ceiling=Decimal("1000.00"))
    factories.JointPurchaseOrderFactory(contract=roomy, net=Decimal("799.99"))
    factories.ContractFactory(
        end_date=datetime.date(2027, 1, 1), status=Contract.Status.SUSPENDED
    )
    listed = dashboard.contracts_needing_attention(today=today)
    assert listed == [ending, full]


def test_buyer_panel_lists_open_rounds_and_draft_orders(buyer):
    """Open rounds and draft orders wait for the buyer; others do not."""
    open_round = factories.PoolingRoundFactory()
    committed = factories.PoolingRoundFactory(status=PoolingRound.Status.COMMITTED)
    draft = factories.JointPurchaseOrderFactory(pooling_round=open_round)
    factories.JointPurchaseOrderFactory(
        pooling_round=committed, status=JointPurchaseOrder.Status.ISSUED
    )
    panel = dashboard.buyer_panel(buyer, today=timezone.localdate())
    assert panel["open_rounds"] == [open_round]
    assert panel["draft_orders"] == [draft]
    assert panel["draft_order_count"] == 1


# --- Finance -----------------------------------------------------------------


def test_finance_panel_gives_trust_and_alliance_savings_this_month(
    finance, trust, other_trust
):
    """This month's savings so far: the trust's own and the alliance's."""
    _issued_allocation(trust, savings="12.50")
    _issued_allocation(other_trust, savings="7.25")
    panel = dashboard.finance_panel(finance, today=timezone.localdate())
    assert panel["trust_totals"].savings == Decimal("12.50")
    assert panel["alliance_totals"].savings == Decimal("19.75")


def test_finance_panel_links_last_months_files_of_own_trust_and_alliance(
    client_for, finance, trust, other_trust
):
    """Last month's ready files are linked; another trust's are not listed."""
    last_month = (
        timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    ).replace(day=1)
    for scope in (trust, None, other_trust):
        SavingsDocument.objects.create(
            month=last_month,
            trust=scope,
            format="pdf",
            status=SavingsDocument.Status.READY,
            requested_at=timezone.now(),
        )
    body = client_for(finance).get(reverse("home")).content.decode()
    assert reverse("reports:savings-download", args=[last_month, "WMAS", "pdf"]) in body
    assert (
        reverse("reports:savings-download", args=[last_month, "alliance", "pdf"])
        in body
    )
    assert "SECAMB" not in body


def test_savings_by_category_counts_only_the_scope(trust, other_trust):
    """Category figures of a trust leave other trusts' savings out."""
    category = factories.CategoryFactory(name="Airway")
    _issued_allocation(trust, savings="3.00", category=category)
    _issued_allocation(other_trust, savings="4.00", category=category)
    month = timezone.localdate().replace(day=1)
    [row] = dashboard.savings_by_category(first=month, last=month, trust=trust)
    assert (row.label, row.savings) == ("Airway", Decimal("3.00"))


def test_charts_are_titled_and_have_unique_ids(trust):
    """Both charts carry a title and description with ids unique to the panel."""
    _issued_allocation(trust, savings="3.00")
    overview = dashboard.savings_overview(
        trust=trust, today=timezone.localdate(), chart_id="finance"
    )
    assert 'id="finance-month-title"' in overview.month_chart
    assert 'aria-labelledby="finance-month-title finance-month-desc"' in (
        overview.month_chart
    )
    assert 'id="finance-category-title"' in overview.category_chart
    assert "chart-title" not in overview.month_chart.replace("month-title", "")


# --- Kept savings figures ----------------------------------------------------


def _draft_order(trust, *, savings: str) -> JointPurchaseOrder:
    allocation = _issued_allocation(trust, savings=savings, status="draft")
    return allocation.order_line.order


def _savings_this_month(trust) -> tuple[Decimal, Decimal]:
    """This month's savings on the month chart and on the category chart."""
    month = timezone.localdate().replace(day=1)
    history, by_category = dashboard.savings_figures(trust=trust, month=month)
    return history[-1].figures.savings, sum(
        (row.savings for row in by_category), Decimal("0.00")
    )


def test_kept_savings_figures_are_read_again_in_one_query(
    trust, django_assert_num_queries
):
    """A second read of the same scope and month asks only for the orders' state."""
    _issued_allocation(trust, savings="3.00")
    first = _savings_this_month(trust)
    with django_assert_num_queries(1):
        again = _savings_this_month(trust)
    assert first == again == (Decimal("3.00"), Decimal("3.00"))


def test_an_issued_order_shows_in_kept_savings_at_once(trust, buyer):
    """Issuing an order changes the figures on the next read, kept or not."""
    _issued_allocation(trust, savings="3.00")
    assert _savings_this_month(trust) == (Decimal("3.00"), Decimal("3.00"))
    order = _draft_order(trust, savings="2.50")
    assert _savings_this_month(trust) == (Decimal("3.00"), Decimal("3.00"))
    order_services.joint_order_issue(order_id=order.pk, buyer=buyer)
    assert _savings_this_month(trust) == (Decimal("5.50"), Decimal("5.50"))


def test_a_cancelled_order_leaves_kept_savings_at_once(trust, buyer):
    """Cancelling an issued order takes its savings off on the next read."""
    cancelled = _issued_allocation(trust, savings="3.00")
    _issued_allocation(trust, savings="2.00")
    assert _savings_this_month(trust) == (Decimal("5.00"), Decimal("5.00"))
    order_services.joint_order_cancel(
        order_id=cancelled.order_line.order_id, buyer=buyer
    )
    assert _savings_this_month(trust) == (Decimal("2.00"), Decimal("2.00"))


def test_kept_savings_figures_are_per_scope(trust, other_trust):
    """A trust's kept figures are never another trust's or the alliance's."""
    _issued_allocation(trust, savings="3.00")
    _issued_allocation(other_trust, savings="4.00")
    assert _savings_this_month(trust) == (Decimal("3.00"), Decimal("3.00"))
    assert _savings_this_month(other_trust) == (Decimal("4.00"), Decimal("4.00"))
    assert _savings_this_month(None) == (Decimal("7.00"), Decimal("7.00"))
    assert _savings_this_month(trust) == (Decimal("3.00"), Decimal("3.00"))


def test_category_chart_escapes_names():
    """A category name is text in the chart, never markup."""
    rows = [
        dashboard.selectors.SavingsFigures(
            savings=Decimal("1.00"), label="<script>x</script>"
        )
    ]
    chart = dashboard.category_chart_svg(rows, chart_id="t")
    assert "<script>" not in chart
    assert "&lt;script&gt;" in chart


# --- Contract manager --------------------------------------------------------


def test_contract_manager_panel_lists_contracts_ending_within_90_days():
    """Active contracts ending in the next 90 days, soonest first."""
    today = datetime.date(2026, 11, 25)
    later = factories.ContractFactory(end_date=datetime.date(2027, 2, 23))
    sooner = factories.ContractFactory(end_date=datetime.date(2026, 12, 1))
    factories.ContractFactory(end_date=datetime.date(2027, 2, 24))
    factories.ContractFactory(end_date=datetime.date(2026, 11, 24))
    panel = dashboard.contract_manager_panel(today=today)
    assert panel["expiring"] == [sooner, later]


def test_home_lists_recent_imports_with_status(client_for, contract_manager):
    """The contract manager sees the latest imports and their status."""
    ImportBatch.objects.create(
        kind=ImportBatch.Kind.CATALOGUE,
        original_name="catalogue-november.csv",
        status=ImportBatch.Status.FAILED,
        created_by=contract_manager,
    )
    body = client_for(contract_manager).get(reverse("home")).content.decode()
    assert "catalogue-november.csv" in body
    assert 'data-status="failed"' in body


# --- Several roles, bounded queries -----------------------------------------


def test_user_with_several_roles_sees_each_panel(client_for, trust):
    """A requisitioner who also approves sees both panels."""
    user = factories.UserFactory(
        membership__trust=trust,
        membership__is_requisitioner=True,
        membership__is_approver=True,
    )
    body = client_for(user).get(reverse("home")).content.decode()
    assert 'id="panel-requisitioner"' in body
    assert 'id="panel-approver"' in body
    assert 'id="panel-finance"' not in body


@pytest.mark.parametrize(
    ("role", "trusted", "max_queries"),
    [
        ("requisitioner", True, 9),
        ("approver", True, 9),
        ("finance", True, 12),
        ("buyer", False, 15),
        ("contract_manager", False, 9),
    ],
)
def test_home_queries_do_not_grow_with_rows(
    client_for,
    trust,
    other_trust,
    django_assert_max_num_queries,
    role,
    trusted,
    max_queries,
):
    """Each panel reads in a fixed number of queries, whatever the rows."""
    user = factories.UserFactory(
        membership__trust=trust if trusted else None,
        **{f"membership__is_{role}": True},
    )
    for n in range(6):
        factories.RequisitionFactory(
            trust=trust, **({"requester": user} if trusted else {})
        )
        factories.RequisitionFactory(
            trust=trust,
            status=Requisition.Status.SUBMITTED,
            submitted_at=timezone.now(),
            estimated_total=Decimal("10.00"),
        )
        factories.ApprovedRequisitionLineFactory(requisition__trust=other_trust)
        factories.JointPurchaseOrderFactory()
        factories.ContractFactory(
            end_date=timezone.localdate() + datetime.timedelta(days=n)
        )
        _issued_allocation(trust, savings="1.00")
        ImportBatch.objects.create(
            kind=ImportBatch.Kind.CATALOGUE, original_name=f"f{n}.csv", created_by=user
        )
    client = client_for(user)
    with django_assert_max_num_queries(max_queries):
        response = client.get(reverse("home"))
    assert response.status_code == 200
