"""The price-list CSV import: tiers per SKU, replace all, all or nothing."""

import io
import os
import tracemalloc
from decimal import Decimal

import pytest
from django.db import connection

from alliance_procurement.csv_import import ImportRejected
from catalogue.models import Item
from suppliers import services
from suppliers.models import ContractItem, PriceTier
from tests.factories import (
    ContractFactory,
    FuelPriceIndexFactory,
    ItemFactory,
    contract_item_with_tiers,
)

pytestmark = pytest.mark.django_db

HEADER = (
    "sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,order_multiple"
)


def csv_file(*lines: str, header: str = HEADER) -> io.BytesIO:
    return io.BytesIO(("\n".join([header, *lines]) + "\n").encode())


@pytest.fixture
def contract():
    return ContractFactory(reference="AP-C-GLOVES")


@pytest.fixture
def gloves():
    return ItemFactory(sku="GLV-001")


@pytest.fixture
def masks():
    return ItemFactory(sku="MSK-001")


def tiers_of(contract, sku):
    return list(
        PriceTier.objects.filter(
            contract_item__contract=contract, contract_item__item__sku=sku
        )
        .order_by("min_quantity")
        .values_list("min_quantity", "unit_price")
    )


def rejected(contract, file) -> list:
    with pytest.raises(ImportRejected) as info:
        services.price_list_import(contract_reference=contract.reference, file=file)
    return info.value.row_errors


def snapshot(contract):
    return (
        list(
            ContractItem.objects.filter(contract=contract)
            .order_by("pk")
            .values_list("pk", "item_id", "supplier_code", "minimum_order_quantity")
        ),
        list(
            PriceTier.objects.filter(contract_item__contract=contract)
            .order_by("pk")
            .values_list("pk", "min_quantity", "unit_price")
        ),
    )


def test_rows_of_one_sku_make_its_tiers(contract, gloves, masks):
    """Each row is a tier; the rows of one SKU together are its price list."""
    summary = services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file(
            "GLV-001,G1,1,8.5000,1,1",
            "GLV-001,G1,100,8.00,1,1",
            "GLV-001,G1,1000,7.2,1,1",
            "MSK-001,M1,10,1.25,10,10",
        ),
    )
    assert tiers_of(contract, "GLV-001") == [
        (1, Decimal("8.5000")),
        (100, Decimal("8.0000")),
        (1000, Decimal("7.2000")),
    ]
    masks_item = ContractItem.objects.get(contract=contract, item=masks)
    assert (masks_item.minimum_order_quantity, masks_item.order_multiple) == (10, 10)
    assert masks_item.supplier_code == "M1"
    assert (summary.created, summary.updated, summary.removed, summary.tiers) == (
        2,
        0,
        0,
        4,
    )


def test_import_replaces_items_and_tiers(contract, gloves, masks):
    """Items not in the file leave the contract; kept items get the new tiers."""
    kept = contract_item_with_tiers(
        contract=contract, item=gloves, tiers=[(1, "9.00"), (50, "8.00")]
    )
    contract_item_with_tiers(contract=contract, item=masks, tiers=[(1, "2.00")])
    summary = services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file("GLV-001,G9,1,7.00,1,1", "GLV-001,G9,500,6.50,1,1"),
    )
    assert list(ContractItem.objects.filter(contract=contract)) == [kept]
    kept.refresh_from_db()
    assert kept.supplier_code == "G9"
    assert tiers_of(contract, "GLV-001") == [
        (1, Decimal("7.0000")),
        (500, Decimal("6.5000")),
    ]
    assert (summary.created, summary.updated, summary.removed) == (0, 1, 1)


def test_other_contracts_are_untouched(contract, gloves):
    """Replacing one contract's price list leaves other contracts' tiers alone."""
    other = contract_item_with_tiers(item=gloves, tiers=[(1, "3.00")])
    services.price_list_import(
        contract_reference=contract.reference, file=csv_file("GLV-001,G1,1,8.00,1,1")
    )
    assert list(other.tiers.values_list("unit_price", flat=True)) == [Decimal("3.00")]


def test_index_linked_item_keeps_basis_and_takes_a_negative_margin(contract):
    """An index-linked item stays index-linked; its unit_price is a margin."""
    diesel = ItemFactory(sku="DSL-001")
    index = FuelPriceIndexFactory(name="ULSD weekly")
    contract_item_with_tiers(
        contract=contract,
        item=diesel,
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=index,
        tiers=[(1, "0.05")],
    )
    services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file("DSL-001,D1,1,0.0200,1,1", "DSL-001,D1,10000,-0.0100,1,1"),
    )
    item = ContractItem.objects.get(contract=contract, item=diesel)
    assert (item.price_basis, item.fuel_index) == ("index_linked", index)
    assert tiers_of(contract, "DSL-001")[-1] == (10000, Decimal("-0.0100"))


def test_new_sku_is_fixed_unless_basis_columns_say_otherwise(contract, gloves):
    """With price_basis and fuel_index columns a new SKU can be index-linked."""
    diesel = ItemFactory(sku="DSL-001")
    index = FuelPriceIndexFactory(name="ULSD weekly")
    services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file(
            "GLV-001,G1,1,8.00,1,1,,",
            "DSL-001,D1,1,-0.0300,1,1,index_linked,ULSD weekly",
            header=HEADER + ",price_basis,fuel_index",
        ),
    )
    assert ContractItem.objects.get(item=gloves).price_basis == "fixed"
    fuel = ContractItem.objects.get(item=diesel)
    assert (fuel.price_basis, fuel.fuel_index) == ("index_linked", index)


def test_unknown_fuel_index_is_an_error(contract, gloves):
    """An index-linked row must name an existing fuel index."""
    errors = rejected(
        contract,
        csv_file(
            "GLV-001,G1,1,8.00,1,1,index_linked,Nope",
            header=HEADER + ",price_basis,fuel_index",
        ),
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (2, "fuel_index", "unknown_index")
    ]


def test_basis_column_without_index_column_is_refused(contract, gloves):
    """price_basis and fuel_index come as a pair."""
    errors = rejected(
        contract,
        csv_file("GLV-001,G1,1,8.00,1,1,fixed", header=HEADER + ",price_basis"),
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (1, "fuel_index", "missing_column")
    ]


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        ("NOPE-1,X,1,8.00,1,1", "sku", "unknown_sku"),
        ("GLV-001,G1,1,eight,1,1", "unit_price", "bad_number"),
        ("GLV-001,G1,1,8.00001,1,1", "unit_price", "bad_number"),
        ("GLV-001,G1,1,1e3,1,1", "unit_price", "bad_number"),
        ("GLV-001,G1,1,NaN,1,1", "unit_price", "bad_number"),
        ("GLV-001,G1,1,123456789.00,1,1", "unit_price", "bad_number"),
        ("GLV-001,G1,1,-8.00,1,1", "unit_price", "bad_tier"),
        ("GLV-001,G1,-5,8.00,1,1", "min_quantity", "bad_number"),
        ("GLV-001,G1,0,8.00,1,1", "min_quantity", "bad_number"),
        ("GLV-001,G1,2.5,8.00,1,1", "min_quantity", "bad_number"),
        ("GLV-001,G1,\u0663,8.00,1,1", "min_quantity", "bad_number"),
        ("GLV-001,G1,1,\u0668.00,1,1", "unit_price", "bad_number"),
        ("GLV-001,G1,10000001,8.00,1,1", "min_quantity", "bad_number"),
        (
            "GLV-001,G1,1,8.00,99999999999999999999,1",
            "minimum_order_quantity",
            "bad_number",
        ),
        ("GLV-001,G1,1,8.00,1,x", "order_multiple", "bad_number"),
        ("GLV-001,G1,5,8.00,1,1", "min_quantity", "bad_tier"),
        ("GLV-001," + "C" * 41 + ",1,8.00,1,1", "supplier_code", "too_long"),
    ],
)
def test_each_bad_row_is_reported_with_row_and_column(
    contract, gloves, row, column, code
):
    """A bad row names its row (header is row 1), column and reason; nothing saved."""
    contract_item_with_tiers(contract=contract, item=gloves, tiers=[(1, "9.00")])
    before = snapshot(contract)
    errors = rejected(contract, csv_file(row))
    assert [(e.row, e.column, e.code) for e in errors] == [(2, column, code)]
    assert snapshot(contract) == before


def test_rising_tier_is_reported_on_its_row(contract, gloves, masks):
    """A tier dearer than the one below it is an error on that tier's row."""
    errors = rejected(
        contract,
        csv_file(
            "MSK-001,M1,1,1.00,1,1",
            "GLV-001,G1,1,8.00,1,1",
            "GLV-001,G1,100,8.50,1,1",
        ),
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (4, "unit_price", "bad_tier")
    ]
    assert "rises" in errors[0].message
    assert not ContractItem.objects.exists()


def test_duplicate_break_is_reported_on_the_second_row(contract, gloves):
    """Two tiers may not start at the same quantity."""
    errors = rejected(
        contract, csv_file("GLV-001,G1,1,8.00,1,1", "GLV-001,G1,1,7.00,1,1")
    )
    assert [(e.row, e.column) for e in errors] == [(3, "min_quantity")]
    assert "Two tiers" in errors[0].message


def test_first_tier_may_start_at_the_minimum_order_quantity(contract, gloves):
    """The first tier starts at 1 or at the MOQ (DESIGN §3)."""
    services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file("GLV-001,G1,50,8.00,50,1", "GLV-001,G1,100,7.00,50,1"),
    )
    assert tiers_of(contract, "GLV-001")[0][0] == 50


def test_moq_disagreeing_between_rows_is_an_error(contract, gloves):
    """One SKU has one minimum order quantity and one order multiple."""
    errors = rejected(
        contract,
        csv_file("GLV-001,G1,1,8.00,1,1", "GLV-001,G1,100,7.00,5,2"),
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (3, "minimum_order_quantity", "disagrees"),
        (3, "order_multiple", "disagrees"),
    ]


def test_blank_moq_on_a_later_row_means_the_same(contract, gloves):
    """A later row may leave the per-SKU cells blank."""
    services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file("GLV-001,G1,1,8.00,1,4", "GLV-001,,100,7.00,,"),
    )
    item = ContractItem.objects.get()
    assert (item.supplier_code, item.order_multiple) == ("G1", 4)


def test_unknown_contract_is_refused(gloves):
    """A contract reference that does not exist is an error; nothing saved."""
    with pytest.raises(ImportRejected) as info:
        services.price_list_import(
            contract_reference="NO-SUCH", file=csv_file("GLV-001,G1,1,8.00,1,1")
        )
    assert [e.code for e in info.value.row_errors] == ["unknown_contract"]


def test_every_row_of_an_unknown_sku_is_reported(contract, gloves):
    """Each row naming an unknown SKU is listed."""
    errors = rejected(
        contract,
        csv_file("NOPE,X,1,8.00,1,1", "GLV-001,G1,1,8.00,1,1", "NOPE,X,10,7.00,1,1"),
    )
    assert [(e.row, e.code) for e in errors] == [
        (2, "unknown_sku"),
        (4, "unknown_sku"),
    ]


def test_bom_is_accepted(contract, gloves):
    """A UTF-8 file with a byte order mark imports."""
    file = io.BytesIO(b"\xef\xbb\xbf" + f"{HEADER}\nGLV-001,G1,1,8.00,1,1\n".encode())
    services.price_list_import(contract_reference=contract.reference, file=file)
    assert ContractItem.objects.count() == 1


def test_latin1_is_wrong_encoding(contract, gloves):
    """Latin-1 bytes are 'wrong encoding' on their row, never a traceback."""
    file = io.BytesIO(f"{HEADER}\nGLV-001,Gant£,1,8.00,1,1\n".encode("latin-1"))
    errors = rejected(contract, file)
    assert [(e.row, e.code) for e in errors] == [(2, "wrong_encoding")]


def test_empty_file_is_refused(contract):
    """An empty price list would empty the contract: it is refused."""
    errors = rejected(contract, io.BytesIO(b""))
    assert [e.code for e in errors] == ["empty_file"]


def test_header_only_is_refused(contract, gloves):
    """A header without rows does not wipe the contract."""
    contract_item_with_tiers(contract=contract, item=gloves, tiers=[(1, "9.00")])
    errors = rejected(contract, csv_file())
    assert [e.code for e in errors] == ["no_rows"]
    assert ContractItem.objects.count() == 1


def test_missing_column_is_named(contract):
    """A missing required column is reported on row 1 with its name."""
    errors = rejected(
        contract,
        csv_file(
            "GLV-001,G1,1,8.00,1",
            header="sku,supplier_code,min_quantity,unit_price,minimum_order_quantity",
        ),
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (1, "order_multiple", "missing_column")
    ]


def test_dry_run_counts_without_saving(contract, gloves, masks):
    """A dry run reports what would be created, updated and removed."""
    contract_item_with_tiers(contract=contract, item=masks, tiers=[(1, "2.00")])
    before = snapshot(contract)
    summary = services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file("GLV-001,G1,1,8.00,1,1"),
        dry_run=True,
    )
    assert (summary.created, summary.updated, summary.removed) == (1, 0, 1)
    assert snapshot(contract) == before


def _write_price_list(path, rows: int, skus: list[str]) -> None:
    tiers_per_sku = max(1, rows // len(skus))
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(HEADER + "\n")
        written = 0
        for sku in skus:
            for tier in range(tiers_per_sku):
                if written == rows:
                    return
                price = Decimal("500.0000") - tier * Decimal("0.0125")
                out.write(f"{sku},S-{sku},{1 + tier * 10},{price},1,1\n")
                written += 1


def test_large_price_list_imports_with_bounded_memory(contract, tmp_path):
    """A 200,000-row price list streams: peak Python memory stays well bounded.

    The regular run uses 50,000 rows; set PRICE_LIST_BENCH_ROWS=200000 for
    the full size.
    """
    rows = int(os.environ.get("PRICE_LIST_BENCH_ROWS", "50000"))
    sku_count = rows // 4
    category = ItemFactory().category
    Item.objects.bulk_create(
        [
            ItemFactory.build(sku=f"BIG-{n:06d}", category=category)
            for n in range(sku_count)
        ],
        batch_size=5000,
    )
    path = tmp_path / "prices.csv"
    _write_price_list(path, rows, [f"BIG-{n:06d}" for n in range(sku_count)])
    tracemalloc.start()
    try:
        with open(path, "rb") as file:
            summary = services.price_list_import(
                contract_reference=contract.reference, file=file
            )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert summary.tiers == rows
    assert PriceTier.objects.filter(contract_item__contract=contract).count() == rows
    assert peak < 300 * 1024 * 1024


def test_multi_row_insert_path_gives_the_same_tiers(contract, gloves, monkeypatch):
    """Off PostgreSQL (SQLite under make run) tiers go in by multi-row INSERT."""
    monkeypatch.setattr(connection, "vendor", "sqlite")
    monkeypatch.setattr(connection.features, "max_query_params", 6)
    services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file(
            "GLV-001,G1,1,8.5000,1,1",
            "GLV-001,G1,100,8.00,1,1",
            "GLV-001,G1,1000,-0,1,1",
        ),
    )
    assert tiers_of(contract, "GLV-001") == [
        (1, Decimal("8.5000")),
        (100, Decimal("8.0000")),
        (1000, Decimal("0.0000")),
    ]


def test_fixed_item_with_a_fuel_index_is_an_error(contract, gloves):
    """A fuel index goes only with index_linked."""
    FuelPriceIndexFactory(name="ULSD weekly")
    errors = rejected(
        contract,
        csv_file(
            "GLV-001,G1,1,8.00,1,1,fixed,ULSD weekly",
            header=HEADER + ",price_basis,fuel_index",
        ),
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (2, "fuel_index", "not_index_linked")
    ]


def test_existing_index_linked_item_can_be_made_fixed(contract):
    """price_basis fixed turns an index-linked item to a fixed price."""
    diesel = ItemFactory(sku="DSL-001")
    contract_item_with_tiers(
        contract=contract,
        item=diesel,
        price_basis=ContractItem.PriceBasis.INDEX_LINKED,
        fuel_index=FuelPriceIndexFactory(),
        tiers=[(1, "0.05")],
    )
    services.price_list_import(
        contract_reference=contract.reference,
        file=csv_file(
            "DSL-001,D1,1,1.4500,1,1,fixed,", header=HEADER + ",price_basis,fuel_index"
        ),
    )
    item = ContractItem.objects.get(contract=contract, item=diesel)
    assert (item.price_basis, item.fuel_index) == ("fixed", None)
