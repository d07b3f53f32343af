"""The catalogue CSV import: validation per row, all or nothing (DESIGN §8)."""

import io
from decimal import Decimal

import pytest

from alliance_procurement.csv_import import ImportRejected
from catalogue import services
from catalogue.models import Category, Item
from tests.factories import CategoryFactory, ItemFactory

pytestmark = pytest.mark.django_db

HEADER = "sku,name,category,unit,pack_size,kind,vat_rate,nhs_code,gtin"
GOOD_ROW = (
    "GLV-001,Nitrile gloves M,Gloves,box,100,consumable,0.20,FTA123,5012345678900"
)


def csv_file(*lines: str, header: str = HEADER, encoding: str = "utf-8") -> io.BytesIO:
    return io.BytesIO("\n".join([header, *lines]).encode(encoding) + b"\n")


def rejected(file) -> list:
    with pytest.raises(ImportRejected) as info:
        services.catalogue_import(file=file)
    return info.value.row_errors


def test_new_rows_create_items_and_categories():
    """A new SKU becomes an item; its category is created when missing."""
    summary = services.catalogue_import(file=csv_file(GOOD_ROW))
    item = Item.objects.get(sku="GLV-001")
    assert (item.name, item.category.name, item.unit, item.pack_size) == (
        "Nitrile gloves M",
        "Gloves",
        "box",
        100,
    )
    assert item.vat_rate == Decimal("0.20")
    assert item.gtin == "5012345678900"
    assert (summary.created, summary.updated, summary.categories_created) == (1, 0, 1)


def test_existing_sku_is_updated_not_duplicated():
    """A SKU already in the catalogue is updated in place."""
    item = ItemFactory(sku="GLV-001", name="Old name", pack_size=50)
    summary = services.catalogue_import(file=csv_file(GOOD_ROW))
    item.refresh_from_db()
    assert (item.name, item.pack_size, item.category.name) == (
        "Nitrile gloves M",
        100,
        "Gloves",
    )
    assert Item.objects.count() == 1
    assert (summary.created, summary.updated) == (0, 1)


def test_unchanged_rows_are_counted_apart():
    """Importing the same file twice changes nothing the second time."""
    services.catalogue_import(file=csv_file(GOOD_ROW))
    summary = services.catalogue_import(file=csv_file(GOOD_ROW))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 1)


def test_category_matches_whatever_its_case():
    """'gloves' in the file is the existing 'Gloves' category, not a new one."""
    CategoryFactory(name="Gloves")
    services.catalogue_import(file=csv_file(GOOD_ROW.replace("Gloves", "gloves")))
    assert Category.objects.count() == 1


def test_description_column_is_optional_and_kept_when_absent():
    """Without a description column an existing description stays."""
    ItemFactory(sku="GLV-001", description="Powder free")
    services.catalogue_import(file=csv_file(GOOD_ROW))
    assert Item.objects.get(sku="GLV-001").description == "Powder free"
    services.catalogue_import(
        file=csv_file(GOOD_ROW + ",Latex free", header=HEADER + ",description")
    )
    assert Item.objects.get(sku="GLV-001").description == "Latex free"


@pytest.mark.parametrize(
    ("text", "rate"),
    [("0.2", "0.20"), ("0.20", "0.20"), ("20%", "0.20"), ("0.05", "0.05"), ("0", "0")],
)
def test_vat_rate_accepts_fractions_and_percentages(text, rate):
    """VAT is a fraction (0.20, 0.2) or a percentage with its sign (20%)."""
    services.catalogue_import(file=csv_file(GOOD_ROW.replace(",0.20,", f",{text},")))
    assert Item.objects.get().vat_rate == Decimal(rate)


def test_bom_file_keeps_accented_names():
    """A UTF-8 file with a BOM keeps its accented characters."""
    body = f"{HEADER}\n{GOOD_ROW.replace('Nitrile', 'Nitrilé')}\n"
    services.catalogue_import(file=io.BytesIO(b"\xef\xbb\xbf" + body.encode()))
    assert Item.objects.get().name == "Nitrilé gloves M"


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (",Gloves,Gloves,box,1,consumable,0.20,,", "sku", "required"),
        ("A-1,,Gloves,box,1,consumable,0.20,,", "name", "required"),
        ("A-1,Gloves,,box,1,consumable,0.20,,", "category", "required"),
        ("A-1,Gloves,Gloves,crate,1,consumable,0.20,,", "unit", "bad_choice"),
        ("A-1,Gloves,Gloves,box,1,food,0.20,,", "kind", "bad_choice"),
        ("A-1,Gloves,Gloves,box,0,consumable,0.20,,", "pack_size", "bad_number"),
        ("A-1,Gloves,Gloves,box,1.5,consumable,0.20,,", "pack_size", "bad_number"),
        ("A-1,Gloves,Gloves,box,ten,consumable,0.20,,", "pack_size", "bad_number"),
        (
            "A-1,Gloves,Gloves,box," + "9" * 400 + ",consumable,0.20,,",
            "pack_size",
            "bad_number",
        ),
        ("A-1,Gloves,Gloves,box,1,consumable,20,,", "vat_rate", "bad_vat_rate"),
        ("A-1,Gloves,Gloves,box,1,consumable,0.175,,", "vat_rate", "bad_vat_rate"),
        ("A-1,Gloves,Gloves,box,1,consumable,0.20,,5012345678901", "gtin", "bad_gtin"),
        ("A-1,Gloves,Gloves,box,1,consumable,0.20,,ABC", "gtin", "bad_gtin"),
        ("A-1," + "x" * 201 + ",Gloves,box,1,consumable,0.20,,", "name", "too_long"),
        (
            "A-1,Gloves,Gloves,box,1,consumable,0.20," + "N" * 21 + ",",
            "nhs_code",
            "too_long",
        ),
        ("A/1,Gloves,Gloves,box,1,consumable,0.20,,", "sku", "bad_sku"),
    ],
)
def test_each_bad_cell_is_reported_on_its_row_and_column(row, column, code):
    """A bad value names its row (header is row 1) and column; nothing is saved."""
    ItemFactory(sku="KEEP-1")
    errors = rejected(csv_file(GOOD_ROW, row))
    assert [(e.row, e.column, e.code) for e in errors] == [(3, column, code)]
    assert Item.objects.count() == 1
    assert Category.objects.count() == 1


def test_every_bad_row_is_reported():
    """All bad rows are listed, not only the first."""
    errors = rejected(
        csv_file(
            "A-1,Gloves,Gloves,box,0,consumable,0.20,,",
            GOOD_ROW,
            "A-2,Gloves,Gloves,box,1,food,0.20,,",
        )
    )
    assert [(e.row, e.column) for e in errors] == [(2, "pack_size"), (4, "kind")]
    assert not Item.objects.exists()


def test_duplicate_sku_in_the_file_is_an_error():
    """A SKU appears once in a catalogue file."""
    errors = rejected(csv_file(GOOD_ROW, GOOD_ROW))
    assert [(e.row, e.column, e.code) for e in errors] == [(3, "sku", "duplicate_sku")]


def test_missing_column_is_an_error_on_the_header():
    """A required column absent from the header is named, on row 1."""
    errors = rejected(
        csv_file(
            "GLV-001,Gloves,Gloves,box,100,consumable,0.20,FTA123",
            header="sku,name,category,unit,pack_size,kind,vat_rate,nhs_code",
        )
    )
    assert [(e.row, e.column, e.code) for e in errors] == [
        (1, "gtin", "missing_column")
    ]


def test_extra_column_is_refused():
    """A column the import does not know is refused, so no data is silently lost."""
    errors = rejected(csv_file(GOOD_ROW + ",red", header=HEADER + ",colour"))
    assert [(e.row, e.column, e.code) for e in errors] == [
        (1, "colour", "unknown_column")
    ]
    assert not Item.objects.exists()


def test_empty_file_is_an_error():
    """An empty file is refused with a clear message."""
    errors = rejected(io.BytesIO(b""))
    assert [e.code for e in errors] == ["empty_file"]


def test_header_only_file_is_an_error():
    """A header without rows imports nothing and says so."""
    errors = rejected(csv_file())
    assert [e.code for e in errors] == ["no_rows"]


def test_latin1_file_is_wrong_encoding_on_its_row():
    """A non-UTF-8 row is 'wrong encoding' with its row number, not a traceback."""
    file = csv_file(
        GOOD_ROW,
        GOOD_ROW.replace("GLV-001", "GLV-002").replace("Nitrile", "Nitrilé"),
        encoding="latin-1",
    )
    errors = rejected(file)
    assert [(e.row, e.code) for e in errors] == [(3, "wrong_encoding")]
    assert "UTF-8" in str(errors[0])
    assert not Item.objects.exists()


def test_row_with_too_many_cells_is_an_error():
    """A row longer than the header is refused rather than guessed at."""
    errors = rejected(csv_file(GOOD_ROW + ",extra"))
    assert [(e.row, e.code) for e in errors] == [(2, "wrong_cell_count")]


def test_dry_run_saves_nothing_and_counts():
    """A dry run says what would be created and writes nothing."""
    ItemFactory(sku="GLV-001")
    summary = services.catalogue_import(
        file=csv_file(GOOD_ROW, GOOD_ROW.replace("GLV-001", "GLV-002")), dry_run=True
    )
    assert (summary.created, summary.updated, summary.categories_created) == (1, 1, 1)
    assert Item.objects.count() == 1
    assert not Category.objects.filter(name="Gloves").exists()
    assert summary.preview[0]["sku"] == "GLV-001"
    assert summary.preview[0]["row"] == "2"


def test_error_text_names_row_and_column():
    """An error reads 'Row N, column C: reason'."""
    errors = rejected(csv_file("A-1,Gloves,Gloves,box,0,consumable,0.20,,"))
    assert str(errors[0]).startswith("Row 2, column pack_size: ")
