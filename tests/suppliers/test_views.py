"""The contract pages: list, contract detail and fuel index detail."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.urls import reverse

from orders.models import JointPurchaseOrder
from suppliers.models import Contract, ContractItem
from tests import factories

pytestmark = pytest.mark.django_db

LIST_URL = reverse("suppliers:contract-list")


def _references(response) -> list[str]:
    return [row.record.reference for row in response.context["table"].paginated_rows]


def _csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8"))))


@pytest.mark.parametrize(
    "url",
    [
        LIST_URL,
        reverse("suppliers:contract-detail", kwargs={"reference": "AP-C-0001"}),
        reverse("suppliers:fuel-index-detail", kwargs={"pk": 1}),
    ],
)
def test_contract_pages_require_sign_in(client, url):
    """An anonymous visitor is sent to sign in, whatever the page."""
    response = client.get(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize(
    "role", ["requisitioner", "approver", "finance", "buyer", "contract_manager"]
)
def test_every_role_reads_the_contract_list(client_for, request, role):
    """Contracts are readable by every signed-in role (DESIGN §7)."""
    factories.ContractFactory(reference="AP-C-READ")
    response = client_for(request.getfixturevalue(role)).get(LIST_URL)
    assert response.status_code == 200
    assert _references(response) == ["AP-C-READ"]


def test_list_shows_committed_value_and_remaining_ceiling(client_for, buyer):
    """Committed value is the net of orders not cancelled; the rest remains."""
    contract = factories.ContractFactory(value_ceiling=Decimal("10000.00"))
    factories.JointPurchaseOrderFactory(contract=contract, net=Decimal("1500.25"))
    factories.JointPurchaseOrderFactory(
        contract=contract,
        net=Decimal("200.00"),
        status=JointPurchaseOrder.Status.ISSUED,
    )
    factories.JointPurchaseOrderFactory(
        contract=contract,
        net=Decimal("999.00"),
        status=JointPurchaseOrder.Status.CANCELLED,
    )
    response = client_for(buyer).get(LIST_URL)
    record = response.context["table"].paginated_rows[0].record
    assert record.committed_value == Decimal("1700.25")
    assert record.remaining_ceiling == Decimal("8299.75")
    body = response.content.decode()
    assert "£1,700.25" in body
    assert "£8,299.75" in body
    assert "£10,000.00" in body


def test_filters_by_status(client_for, buyer):
    """The status filter keeps only contracts in that status."""
    factories.ContractFactory(reference="A", status=Contract.Status.ACTIVE)
    factories.ContractFactory(reference="B", status=Contract.Status.DRAFT)
    response = client_for(buyer).get(LIST_URL, {"status": "draft"})
    assert _references(response) == ["B"]


def test_filters_by_supplier(client_for, buyer):
    """The supplier filter keeps only that supplier's contracts."""
    supplier = factories.SupplierFactory()
    factories.ContractFactory(reference="A", supplier=supplier)
    factories.ContractFactory(reference="B")
    response = client_for(buyer).get(LIST_URL, {"supplier": supplier.pk})
    assert _references(response) == ["A"]


def test_filters_by_trust_without_inflating_committed_value(
    client_for, buyer, trust, other_trust
):
    """A trust filter keeps the contracts open to it, sums unchanged."""
    shared = factories.ContractFactory(reference="A", trusts=[trust, other_trust])
    factories.ContractFactory(reference="B", trusts=[other_trust])
    factories.JointPurchaseOrderFactory(contract=shared, net=Decimal("100.00"))
    response = client_for(buyer).get(LIST_URL, {"trust": trust.pk})
    assert _references(response) == ["A"]
    record = response.context["table"].paginated_rows[0].record
    assert record.committed_value == Decimal("100.00")


@pytest.mark.parametrize(
    ("query", "expected"),
    [("ap-c-2", ["AP-C-2"]), ("defib", ["AP-C-1"]), ("acme", ["AP-C-2"])],
)
def test_search_matches_reference_title_and_supplier(
    client_for, buyer, query, expected
):
    """``q`` searches reference, title and supplier name, ignoring case."""
    factories.ContractFactory(reference="AP-C-1", title="Defibrillators")
    factories.ContractFactory(
        reference="AP-C-2", title="Fuel", supplier__name="Acme Fuels Ltd"
    )
    response = client_for(buyer).get(LIST_URL, {"q": query})
    assert _references(response) == expected


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("reference", ["A", "B", "C"]),
        ("-value_ceiling", ["B", "C", "A"]),
        ("committed_value", ["A", "C", "B"]),
        ("-remaining_ceiling", ["B", "C", "A"]),
    ],
)
def test_sorts_by_column(client_for, buyer, sort, expected):
    """Money columns, annotated ones included, sort either way."""
    a = factories.ContractFactory(reference="A", value_ceiling=Decimal("100.00"))
    b = factories.ContractFactory(reference="B", value_ceiling=Decimal("9000.00"))
    c = factories.ContractFactory(reference="C", value_ceiling=Decimal("500.00"))
    factories.JointPurchaseOrderFactory(contract=b, net=Decimal("50.00"))
    factories.JointPurchaseOrderFactory(contract=c, net=Decimal("10.00"))
    assert a.pk
    response = client_for(buyer).get(LIST_URL, {"sort": sort})
    assert _references(response) == expected


def test_status_is_shown_as_a_coloured_tag(client_for, buyer):
    """An active contract's status is a green NHS tag."""
    factories.ContractFactory(status=Contract.Status.ACTIVE)
    body = client_for(buyer).get(LIST_URL).content.decode()
    assert '<strong class="nhsuk-tag nhsuk-tag--green">Active</strong>' in body


def test_exports_filtered_contracts_as_csv(client_for, buyer, trust, other_trust):
    """The CSV holds the filtered contracts with trusts and money as numbers."""
    contract = factories.ContractFactory(
        reference="AP-C-X",
        trusts=[trust, other_trust],
        value_ceiling=Decimal("5000.00"),
        status=Contract.Status.SUSPENDED,
    )
    factories.JointPurchaseOrderFactory(contract=contract, net=Decimal("1234.50"))
    factories.ContractFactory(reference="AP-C-Y", status=Contract.Status.ACTIVE)
    response = client_for(buyer).get(
        LIST_URL, {"status": "suspended", "_export": "csv"}
    )
    rows = _csv_rows(response)
    header = rows[0]
    assert header[:4] == ["Reference", "Title", "Supplier", "Trusts"]
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["Reference"] == "AP-C-X"
    assert row["Trusts"] == "SECAMB, WMAS"
    assert row["Status"] == "Suspended"
    assert row["Value ceiling"] == "5000.00"
    assert row["Committed"] == "1234.50"
    assert row["Remaining ceiling"] == "3765.50"


def test_exports_contracts_as_xlsx(client_for, buyer):
    """The XLSX download opens as a workbook with the filtered rows."""
    factories.ContractFactory(reference="AP-C-X", title="+SUM(1)")
    response = client_for(buyer).get(LIST_URL, {"_export": "xlsx"})
    values = list(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert values[1][0] == "AP-C-X"
    assert values[1][1] == "'+SUM(1)"


def test_list_query_count_does_not_grow_with_rows(
    client_for, buyer, trust, other_trust, django_assert_max_num_queries
):
    """Ten contracts or thirty (a full page), with trusts and orders: same queries."""
    client = client_for(buyer)

    def add(count):
        for _ in range(count):
            contract = factories.ContractFactory(trusts=[trust, other_trust])
            factories.JointPurchaseOrderFactory(contract=contract)

    add(10)
    client.get(LIST_URL)
    with django_assert_max_num_queries(14) as few:
        client.get(LIST_URL)
    ten = len(few.captured_queries)
    add(20)
    client.get(LIST_URL)  # new contracts: the filter reads its choices again
    with django_assert_max_num_queries(ten):
        client.get(LIST_URL)


def test_detail_shows_trusts_money_items_and_tiers(client_for, requisitioner, trust):
    """The contract page shows its trusts, committed and remaining, items, tiers."""
    contract = factories.ContractFactory(
        reference="AP-C-DET",
        title="Medical gases",
        trusts=[trust],
        value_ceiling=Decimal("250000.00"),
    )
    factories.JointPurchaseOrderFactory(contract=contract, net=Decimal("1000.00"))
    factories.contract_item_with_tiers(
        contract=contract,
        item__sku="OXY-1",
        item__name="Oxygen cylinder",
        supplier_code="BOC-77",
        minimum_order_quantity=5,
        order_multiple=5,
        tiers=[(5, "12.5000"), (50, "11.2500")],
    )
    response = client_for(requisitioner).get(contract.get_absolute_url())
    body = response.content.decode()
    assert response.status_code == 200
    for text in [
        "Medical gases",
        trust.name,
        "£250,000.00",
        "£1,000.00",
        "£249,000.00",
        "OXY-1",
        "Oxygen cylinder",
        "BOC-77",
        "£12.5000",
        "£11.2500",
        "Fixed price",
    ]:
        assert text in body, text


def test_detail_of_unknown_reference_is_404(client_for, requisitioner):
    """A reference that does not exist answers 404."""
    url = reverse("suppliers:contract-detail", kwargs={"reference": "NOPE"})
    assert client_for(requisitioner).get(url).status_code == 404


def test_detail_query_count_does_not_grow_with_items(
    client_for, buyer, django_assert_max_num_queries
):
    """A contract with one item or six costs the same queries."""
    contract = factories.ContractFactory()
    client = client_for(buyer)
    factories.contract_item_with_tiers(contract=contract, tiers=[(1, "1.0000")])
    client.get(contract.get_absolute_url())
    with django_assert_max_num_queries(16) as few:
        client.get(contract.get_absolute_url())
    for _ in range(5):
        factories.contract_item_with_tiers(
            contract=contract, tiers=[(1, "2.0000"), (10, "1.5000")]
        )
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(contract.get_absolute_url())


def test_fuel_index_page_lists_dated_prices_latest_first(client_for, finance):
    """The fuel index page lists its prices, latest first, and its contracts."""
    index = factories.FuelPriceIndexFactory(name="ULSD weekly")
    for day, price in [(5, "1.2500"), (19, "1.2800"), (12, "1.3000")]:
        factories.FuelIndexPriceFactory(
            index=index,
            effective_date=datetime.date(2026, 1, day),
            price_per_litre=Decimal(price),
        )
    factories.contract_item_with_tiers(
        contract__reference="AP-FUEL",
        item__kind="fuel",
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=index,
        tiers=[(1, "0.0500")],
    )
    response = client_for(finance).get(
        reverse("suppliers:fuel-index-detail", kwargs={"pk": index.pk})
    )
    body = response.content.decode()
    assert response.status_code == 200
    dates = [row.record.effective_date.day for row in response.context["table"].rows]
    assert dates == [19, 12, 5]
    assert "£1.2800" in body
    assert "19 January 2026" in body
    assert "AP-FUEL" in body


def test_unknown_fuel_index_is_404(client_for, finance):
    """An index id that does not exist answers 404."""
    url = reverse("suppliers:fuel-index-detail", kwargs={"pk": 999999})
    assert client_for(finance).get(url).status_code == 404


def test_contract_page_links_index_linked_items_to_their_index(client_for, buyer):
    """An index-linked item shows its index and margins over it."""
    index = factories.FuelPriceIndexFactory(name="Diesel spot")
    contract_item = factories.contract_item_with_tiers(
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=index,
        tiers=[(1, "0.0300"), (5000, "-0.0100")],
    )
    body = client_for(buyer).get(contract_item.contract.get_absolute_url())
    text = body.content.decode()
    assert "Diesel spot" in text
    assert reverse("suppliers:fuel-index-detail", kwargs={"pk": index.pk}) in text
    assert "+0.0300" in text
    assert "-0.0100" in text
    assert "Margin per litre" in text


@pytest.mark.parametrize(
    "params",
    [
        {"q": "\x00"},
        {"q": "x" * 5000},
        {"page": "abc"},
        {"page": "999"},
        {"sort": "nonsense"},
        {"sort": "trusts"},
        {"trust": "not-a-number"},
        {"supplier": "999999"},
        {"status": "gone"},
        {"_export": "csv", "page": "-1"},
    ],
)
def test_bad_list_parameters_never_fail(client_for, buyer, params):
    """Odd query strings give a page (or file), never a server error (DESIGN §8)."""
    factories.ContractFactory()
    response = client_for(buyer).get(LIST_URL, params)
    assert response.status_code == 200


@pytest.mark.parametrize("reference", ["NHS/2026/001", "AP C 7", "X%Y?Z#1"])
def test_any_contract_reference_reaches_its_page(client_for, buyer, reference):
    """References with slashes or spaces link from the list to their page."""
    contract = factories.ContractFactory(reference=reference)
    client = client_for(buyer)
    assert client.get(LIST_URL).status_code == 200
    response = client.get(contract.get_absolute_url())
    assert response.status_code == 200
    assert response.context["contract"] == contract
