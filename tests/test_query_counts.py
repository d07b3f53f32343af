"""Every list and detail page runs as many queries for 100 rows as for 10.

Each test measures a page showing 10 rows, adds 90 more, and asserts with
``django_assert_max_num_queries`` that the page showing 100 rows runs no more
queries: a query per row (N+1) fails it. Lists show 100 rows with
``?per_page=100``.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from orders.models import JointPurchaseOrder, Requisition
from tests import factories

pytestmark = pytest.mark.django_db

LIST_PARAMS = {"per_page": 100}


def _queries(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured.captured_queries)


def _flat(client, url, grow, django_assert_max_num_queries, params=None):
    """Queries at 10 rows bound the queries at 100 rows."""
    grow(10)
    at_ten = _queries(client, url, params)
    grow(90)
    with django_assert_max_num_queries(at_ten):
        response = client.get(url, params or {})
    assert response.status_code == 200
    return response


def _requisitions(trust, requester, **extra):
    def grow(n):
        factories.RequisitionFactory.create_batch(
            n, trust=trust, requester=requester, **extra
        )

    return grow


def test_requisition_list_queries_do_not_grow_with_rows(
    client_for, requisitioner, trust, django_assert_max_num_queries
):
    """The requisition list runs the same queries for 100 rows as for 10."""
    response = _flat(
        client_for(requisitioner),
        reverse("orders:requisition-list"),
        _requisitions(trust, requisitioner),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )
    assert response.content.count(b"/orders/requisitions/") >= 100


def test_approval_queue_queries_do_not_grow_with_rows(
    client_for, approver, requisitioner, trust, django_assert_max_num_queries
):
    """The approval queue runs the same queries for 100 requisitions as for 10."""
    _flat(
        client_for(approver),
        reverse("orders:approval-queue"),
        _requisitions(
            trust,
            requisitioner,
            status=Requisition.Status.SUBMITTED,
            submitted_at=timezone.now(),
        ),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )


def test_approved_lines_queries_do_not_grow_with_rows(
    client_for, buyer, django_assert_max_num_queries
):
    """The buyers' approved lines run the same queries for 100 lines as for 10."""
    _flat(
        client_for(buyer),
        reverse("orders:approved-lines"),
        lambda n: factories.ApprovedRequisitionLineFactory.create_batch(n),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )


def _orders_shared_with(trust):
    def grow(n):
        for _ in range(n):
            factories.OrderShareFactory(
                trust=trust,
                order__status=JointPurchaseOrder.Status.ISSUED,
                order__issued_at=timezone.now(),
            )

    return grow


@pytest.mark.parametrize("role", ["buyer", "requisitioner"])
def test_order_list_queries_do_not_grow_with_rows(
    request, role, client_for, trust, django_assert_max_num_queries
):
    """The order list runs the same queries for 100 orders as for 10, by role."""
    _flat(
        client_for(request.getfixturevalue(role)),
        reverse("orders:order-list"),
        _orders_shared_with(trust),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )


@pytest.mark.parametrize("role", ["buyer", "requisitioner"])
def test_order_detail_queries_do_not_grow_with_lines(
    request, role, client_for, trust, django_assert_max_num_queries
):
    """An order's page runs the same queries for 100 lines as for 10, by role."""
    share = factories.OrderShareFactory(
        trust=trust,
        order__status=JointPurchaseOrder.Status.ISSUED,
        order__issued_at=timezone.now(),
    )

    def grow(n):
        for _ in range(n):
            factories.AllocationFactory(order_line__order=share.order, share=share)

    _flat(
        client_for(request.getfixturevalue(role)),
        share.order.get_absolute_url(),
        grow,
        django_assert_max_num_queries,
    )


def test_requisition_detail_queries_do_not_grow_with_lines(
    client_for, requisitioner, trust, django_assert_max_num_queries
):
    """A requisition's page runs the same queries for 100 lines as for 10."""
    requisition = factories.RequisitionFactory(trust=trust, requester=requisitioner)

    def grow(n):
        factories.RequisitionLineFactory.create_batch(n, requisition=requisition)

    _flat(
        client_for(requisitioner),
        requisition.get_absolute_url(),
        grow,
        django_assert_max_num_queries,
    )


def test_round_list_queries_do_not_grow_with_rows(
    client_for, buyer, django_assert_max_num_queries
):
    """The pooling rounds list runs the same queries for 100 rounds as for 10."""
    _flat(
        client_for(buyer),
        reverse("orders:round-list"),
        lambda n: factories.PoolingRoundFactory.create_batch(n, opened_by=buyer),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )


def test_catalogue_queries_do_not_grow_with_rows(
    client_for, requisitioner, django_assert_max_num_queries
):
    """The catalogue runs the same queries for 100 items as for 10."""
    category = factories.CategoryFactory()
    _flat(
        client_for(requisitioner),
        reverse("catalogue:item-list"),
        lambda n: factories.ItemFactory.create_batch(n, category=category),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )


def test_item_detail_queries_do_not_grow_with_contracts(
    client_for, requisitioner, django_assert_max_num_queries
):
    """An item's page runs the same queries on 100 contracts as on 10."""
    item = factories.ItemFactory()

    def grow(n):
        for _ in range(n):
            factories.contract_item_with_tiers(
                item=item, tiers=[(1, "10.00"), (100, "9.00")]
            )

    _flat(
        client_for(requisitioner),
        reverse("catalogue:item-detail", kwargs={"sku": item.sku}),
        grow,
        django_assert_max_num_queries,
    )


def test_contract_list_queries_do_not_grow_with_rows(
    client_for, contract_manager, django_assert_max_num_queries
):
    """The contract list runs the same queries for 100 contracts as for 10."""
    _flat(
        client_for(contract_manager),
        reverse("suppliers:contract-list"),
        lambda n: factories.ContractFactory.create_batch(n),
        django_assert_max_num_queries,
        LIST_PARAMS,
    )


def test_contract_detail_queries_do_not_grow_with_items(
    client_for, contract_manager, django_assert_max_num_queries
):
    """A contract's page runs the same queries for 100 items as for 10."""
    contract = factories.ContractFactory()

    def grow(n):
        for _ in range(n):
            factories.contract_item_with_tiers(
                contract=contract, tiers=[(1, "10.00"), (100, "9.00")]
            )

    _flat(
        client_for(contract_manager),
        reverse("suppliers:contract-detail", kwargs={"reference": contract.reference}),
        grow,
        django_assert_max_num_queries,
    )


def test_fuel_index_detail_queries_do_not_grow_with_prices(
    client_for, contract_manager, django_assert_max_num_queries
):
    """A fuel index's page runs the same queries for 100 prices as for 10."""
    index = factories.FuelPriceIndexFactory()
    start = datetime.date(2020, 1, 1)
    made = []

    def grow(n):
        for _ in range(n):
            factories.FuelIndexPriceFactory(
                index=index, effective_date=start + datetime.timedelta(days=len(made))
            )
            made.append(1)

    _flat(
        client_for(contract_manager),
        reverse("suppliers:fuel-index-detail", kwargs={"pk": index.pk}),
        grow,
        django_assert_max_num_queries,
        LIST_PARAMS,
    )
