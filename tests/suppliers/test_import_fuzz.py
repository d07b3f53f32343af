"""Fuzzing both importers: any bytes give a summary or row errors, never a crash,
and a rejected file changes nothing (DESIGN §8)."""

import datetime
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from alliance_procurement.csv_import import ImportRejected
from catalogue import services as catalogue_services
from catalogue.models import Category, Item
from suppliers import services
from suppliers.models import (
    Contract,
    ContractItem,
    ImportBatch,
    PriceTier,
    Supplier,
)
from tests.suppliers.import_pages import upload_and_confirm

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
CATALOGUE_HEADER = ["sku", "name", "category", "unit", "pack_size", "kind"]
CATALOGUE_HEADER += ["vat_rate", "nhs_code", "gtin"]
PRICE_HEADER = ["sku", "supplier_code", "min_quantity", "unit_price"]
PRICE_HEADER += ["minimum_order_quantity", "order_multiple"]

cells = st.one_of(
    st.sampled_from(
        ["GLV-001", "GLV-002", "box", "each", "consumable", "fuel", "0.20", "20%"]
    ),
    st.sampled_from(["", "1", "100", "0", "-1", "8.50", "-0.01", "NaN", "1e999"]),
    st.sampled_from(["Infinity", "0x10", "1_000", "٣", "²", "5012345678900"]),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.text(max_size=30),
)


def csv_text(header: list[str]):
    row = st.lists(cells, min_size=len(header) - 1, max_size=len(header) + 1)
    return st.lists(row, max_size=8).map(
        lambda rows: "\n".join(
            [",".join(header)]
            + [",".join('"' + c.replace('"', '""') + '"' for c in r) for r in rows]
        )
    )


quantities = st.one_of(st.integers(min_value=-5, max_value=10**8).map(str), cells)
prices = st.one_of(
    st.decimals(
        min_value=Decimal(-100), max_value=Decimal(10**9), places=5, allow_nan=False
    ).map(str),
    cells,
)
near_valid_price_rows = st.lists(
    st.tuples(
        st.sampled_from(["GLV-001", "GLV-002", "NOPE"]),
        st.sampled_from(["", "G1", "G2"]),
        quantities,
        prices,
        st.sampled_from(["", "1", "5", "2"]),
        st.sampled_from(["", "1", "5"]),
    ),
    max_size=10,
).map(lambda rows: "\n".join([",".join(PRICE_HEADER)] + [",".join(r) for r in rows]))


def payloads(header: list[str]):
    return st.one_of(
        near_valid_price_rows.map(str.encode)
        if header == PRICE_HEADER
        else st.nothing(),
        st.binary(max_size=400),
        csv_text(header).map(str.encode),
        csv_text(header).map(lambda text: text.encode("latin-1", errors="replace")),
        st.tuples(csv_text(header), st.binary(max_size=60)).map(
            lambda pair: pair[0].encode() + pair[1]
        ),
        csv_text(header).map(lambda text: text.encode("utf-16")),
        csv_text(header).map(lambda text: text.encode("utf-8-sig")),
        # A NUL character in a cell of an otherwise readable file.
        (near_valid_price_rows if header == PRICE_HEADER else csv_text(header)).map(
            lambda text: text.replace("1", "1\x00", 1).encode()
        ),
    )


def _world():
    category, _ = Category.objects.get_or_create(name="Gloves")
    for sku in ("GLV-001", "GLV-002"):
        Item.objects.get_or_create(
            sku=sku,
            defaults={
                "name": sku,
                "category": category,
                "unit": "box",
                "kind": "consumable",
                "vat_rate": Decimal("0.20"),
            },
        )
    supplier, _ = Supplier.objects.get_or_create(
        name="Fuzz Ltd", defaults={"email": "fuzz@example.com"}
    )
    contract, _ = Contract.objects.get_or_create(
        reference="FUZZ",
        defaults={
            "title": "Fuzz",
            "supplier": supplier,
            "start_date": datetime.date(2020, 1, 1),
            "end_date": datetime.date(2099, 1, 1),
            "value_ceiling": Decimal("1000.00"),
        },
    )
    return contract


def _snapshot():
    return (
        list(Item.objects.order_by("pk").values_list()),
        list(Category.objects.order_by("pk").values_list()),
        list(ContractItem.objects.order_by("pk").values_list()),
        list(PriceTier.objects.order_by("pk").values_list()),
    )


@FUZZ
@given(payload=payloads(CATALOGUE_HEADER))
def test_catalogue_import_never_crashes_nor_imports_part(payload):
    """Any bytes: a summary, or row errors with nothing saved (100 examples)."""
    _world()
    before = _snapshot()
    summary, errors = None, None
    try:
        summary = catalogue_services.catalogue_import(file=io.BytesIO(payload))
    except ImportRejected as exc:
        errors = exc.row_errors
    event("rejected" if summary is None else "imported")
    if summary is None:
        assert errors
        assert all(str(error) for error in errors)
        assert _snapshot() == before
    else:
        assert summary.rows == summary.created + summary.updated + summary.unchanged


@FUZZ
@given(payload=payloads(PRICE_HEADER))
def test_price_list_import_never_crashes_nor_imports_part(payload):
    """Any bytes (UTF-8 with or without BOM, UTF-16, Latin-1, NUL characters,
    numbers up to 10**40 and 1e999): a summary, or row errors with nothing
    saved (100 examples)."""
    contract = _world()
    before = _snapshot()
    summary, errors = None, None
    try:
        summary = services.price_list_import(
            contract_reference=contract.reference, file=io.BytesIO(payload)
        )
    except ImportRejected as exc:
        errors = exc.row_errors
    event("rejected" if summary is None else "imported")
    if summary is None:
        assert errors
        assert all(str(error) for error in errors)
        assert _snapshot() == before
    else:
        assert summary.tiers == PriceTier.objects.count()


@settings(FUZZ, max_examples=40)
@given(payload=payloads(PRICE_HEADER))
def test_price_list_pages_answer_every_file(client, contract_manager, payload):
    """The price-list upload, preview and confirm pages with any bytes: never
    a 500; the upload changes no price, and a confirm applies the whole file
    or nothing (40 examples)."""
    contract = _world()
    client.force_login(contract_manager)
    before = _snapshot()
    batch = upload_and_confirm(
        client,
        "suppliers:import-price-list",
        payload,
        _snapshot,
        contract=contract.reference,
    )
    if batch is None:
        return
    if batch.status != ImportBatch.Status.APPLIED:
        assert _snapshot() == before
    else:
        assert PriceTier.objects.filter(contract_item__contract=contract).exists()
