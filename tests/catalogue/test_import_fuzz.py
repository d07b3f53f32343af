"""Fuzzing the catalogue CSV import: any file is either applied whole or
refused whole with errors naming row and column; nothing crashes (DESIGN §8).

Files are built from rows near the rules (huge and odd numbers, duplicate
SKUs, formula-looking cells, NUL characters, very long values), with the
header shuffled, short or padded, then encoded as UTF-8 (with or without the
BOM Excel writes), Latin-1, CP-1252 or UTF-16, or spliced with random bytes.
"""

import csv
import io

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st

from alliance_procurement.csv_import import ImportRejected
from catalogue import services
from catalogue.models import Category, Item
from suppliers.models import ImportBatch
from tests import factories
from tests.suppliers.import_pages import upload_and_confirm

pytestmark = pytest.mark.django_db

SERVICE_EXAMPLES = 300
DRY_RUN_EXAMPLES = 60
COMMAND_EXAMPLES = 40
FUZZ = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
}
COLUMNS = list(services.CATALOGUE_COLUMNS)
# Errors of the whole file, which no row or column can name.
FILE_CODES = {"empty_file", "no_rows", "conflict"}
# Errors of a whole row (its shape or encoding), which no column can name.
ROW_CODES = {"wrong_cell_count", "wrong_encoding", "bad_csv", "empty_column"}

formulae = st.sampled_from(
    ["=1+1", "+SUM(A1:A9)", "-2+3", "@cmd", '=HYPERLINK("http://x")', "\t=1"]
)
hostile = st.one_of(
    formulae,
    st.sampled_from(
        ["", " ", "\x00", "a\x00b", "\ufeff", "é", "\U0001d7d9", "x" * 300]
    ),
    st.text(max_size=12),
    st.sampled_from(["Gloves", "FTA123", "Nitrile", ""]).map(lambda t: t + "\x00"),
)
numbers = st.one_of(
    st.integers(min_value=1, max_value=10_000_000).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=10**300, max_value=10**400).map(str),
    st.sampled_from(["0", "-1", "1.5", "1e3", "1,000", "1_000", "٣", "+7", "007"]),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
cells = {
    "sku": st.one_of(
        st.sampled_from(["GLV-001", "GLV-002", "NEW-1", "new-1"]), hostile
    ),
    "name": st.one_of(st.sampled_from(["Gloves", "Masks, FFP3", "Gauze"]), hostile),
    "category": st.one_of(st.sampled_from(["Gloves", "gloves", "PPE"]), hostile),
    "unit": st.one_of(st.sampled_from(["box", "EACH", "litre", "crate"]), hostile),
    "pack_size": st.one_of(numbers, hostile),
    "kind": st.one_of(st.sampled_from(["consumable", "Fuel", "equipment"]), hostile),
    "vat_rate": st.one_of(
        st.sampled_from(["0.20", "20%", "5 %", "0", "0.2", "20", "0.175"]), numbers
    ),
    "nhs_code": st.one_of(st.sampled_from(["", "FTA123"]), hostile),
    "gtin": st.one_of(st.sampled_from(["", "5012345678900", "5012345678901"]), numbers),
    "description": st.one_of(st.sampled_from(["", "Nitrile"]), hostile),
}
# Mostly valid rows, so that whole imports happen too.
valid_cells = {
    "sku": st.sampled_from(["GLV-001", "GLV-002", "NEW-1", "NEW-2", "NEW-3"]),
    "name": st.sampled_from(["Gloves", "Masks, FFP3", "=Gauze", "Gants é"]),
    "category": st.sampled_from(["Gloves", "gloves", "PPE"]),
    "unit": st.sampled_from(["box", "EACH", "litre"]),
    "pack_size": st.integers(min_value=1, max_value=10_000_000).map(str),
    "kind": st.sampled_from(["consumable", "Fuel", "equipment"]),
    "vat_rate": st.sampled_from(["0.20", "20%", "0", "0.05"]),
    "nhs_code": st.sampled_from(["", "FTA123"]),
    "gtin": st.sampled_from(["", "5012345678900"]),
    "description": st.sampled_from(["", "Nitrile"]),
}
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"]


@st.composite
def catalogue_files(draw):
    """(bytes, header, rows, encoding) of a catalogue CSV, hostile or not."""
    header = COLUMNS + draw(st.sampled_from([[], ["description"]]))
    shape = draw(st.sampled_from(["valid", "valid", "hostile", "header", "bytes"]))
    if shape == "header":
        header = draw(
            st.lists(
                st.one_of(
                    st.sampled_from(
                        [*COLUMNS, "description", "SKU", " Name ", "sku\x00"]
                    ),
                    hostile,
                ),
                max_size=12,
            )
        )
    source = valid_cells if shape == "valid" else cells
    rows = draw(
        st.lists(
            st.fixed_dictionaries(
                {name: source.get(name, hostile) for name in header}
            ).map(lambda row, header=header: [row[name] for name in header]),
            max_size=6,
        )
    )
    if shape == "valid" and rows and draw(st.booleans()):
        # One hostile cell in an otherwise sound file.
        row = draw(st.sampled_from(rows))
        column = draw(st.integers(min_value=0, max_value=len(header) - 1))
        row[column] = draw(cells.get(header[column], hostile))
    if shape != "valid":
        # Short and padded rows.
        rows = [
            row + draw(st.lists(hostile, max_size=1)) if draw(st.booleans()) else row
            for row in rows
        ]
    out = io.StringIO()
    csv.writer(out).writerows([header, *rows])
    encoding = draw(st.sampled_from(ENCODINGS))
    data = out.getvalue().encode(encoding, errors="replace")
    if shape == "bytes":
        cut = draw(st.integers(min_value=0, max_value=len(data)))
        data = data[:cut] + draw(st.binary(max_size=40)) + data[cut:]
        encoding = "bytes"
    return data, header, rows, encoding


def _snapshot():
    return (
        list(Item.objects.order_by("pk").values_list()),
        list(Category.objects.order_by("pk").values_list()),
    )


def _reset_catalogue():
    """The same two items before every example, whatever the last one did."""
    Item.objects.all().delete()
    Category.objects.all().delete()
    gloves = factories.CategoryFactory(name="Gloves")
    factories.ItemFactory(sku="GLV-001", name="Gloves", category=gloves, unit="box")
    factories.ItemFactory(sku="GLV-002", name="Gloves L", category=gloves, unit="box")


def _check_errors(errors):
    assert errors
    for error in errors:
        assert str(error)
        if error.code in FILE_CODES:
            continue
        assert error.row is not None, error
        assert error.row >= 1, error
        header_nul = error.row == 1 and error.code == "nul_character"
        if error.code not in ROW_CODES and not header_nul:
            assert error.column, error


def _check_applied(header, rows, summary):
    """Every row of an imported file is in the catalogue as it was written."""
    names = [name.strip().lower() for name in header]
    by_sku = {}
    for row in rows:
        values = dict(zip(names, (cell.strip() for cell in row), strict=True))
        by_sku[values["sku"]] = values
    assert summary.rows == len(by_sku)
    assert summary.rows == summary.created + summary.updated + summary.unchanged
    for sku, values in by_sku.items():
        item = Item.objects.select_related("category").get(sku=sku)
        assert item.name == values["name"]
        assert item.pack_size == int(values["pack_size"])
        assert item.unit == values["unit"].lower()
        assert item.category.name.lower() == values["category"].lower()
        assert item.nhs_code == values["nhs_code"]


def test_catalogue_import_is_whole_or_nothing(db):
    """Any file: every row applied as written, or row errors naming row and
    column with the catalogue unchanged (300 examples)."""

    @settings(max_examples=SERVICE_EXAMPLES, **FUZZ)
    @given(file=catalogue_files())
    def run(file):
        data, header, rows, encoding = file
        _reset_catalogue()
        before = _snapshot()
        try:
            summary = services.catalogue_import(file=io.BytesIO(data))
        except ImportRejected as exc:
            event("rejected")
            note("\n".join(map(str, exc.row_errors)))
            _check_errors(exc.row_errors)
            assert _snapshot() == before
            return
        event("imported")
        assert rows
        if encoding in ("utf-8", "utf-8-sig"):
            _check_applied(header, rows, summary)
        else:
            assert summary.rows == summary.created + summary.updated + summary.unchanged
            assert Item.objects.count() == len(before[0]) + summary.created

    run()


def test_catalogue_dry_run_never_writes(db):
    """A dry run of any file writes nothing, whatever it finds (part of the
    service examples' inputs, 60 examples)."""

    @settings(max_examples=DRY_RUN_EXAMPLES, **FUZZ)
    @given(file=catalogue_files())
    def run(file):
        _reset_catalogue()
        before = _snapshot()
        try:
            services.catalogue_import(file=io.BytesIO(file[0]), dry_run=True)
        except ImportRejected as exc:
            _check_errors(exc.row_errors)
        assert _snapshot() == before

    run()


def test_import_command_answers_every_file(db, tmp_path):
    """``manage.py import_catalogue`` on any file: a summary, or a
    ``CommandError`` after printing row errors; nothing saved then
    (40 examples)."""
    path = tmp_path / "catalogue.csv"

    @settings(max_examples=COMMAND_EXAMPLES, **FUZZ)
    @given(file=catalogue_files())
    def run(file):
        _reset_catalogue()
        before = _snapshot()
        path.write_bytes(file[0])
        out, err = io.StringIO(), io.StringIO()
        try:
            call_command("import_catalogue", str(path), stdout=out, stderr=err)
        except CommandError as exc:
            refusal = str(exc)
            assert "nothing was imported" in refusal
            assert err.getvalue().strip()
            assert _snapshot() == before
        else:
            assert "rows:" in out.getvalue()

    run()


PAGE_EXAMPLES = 40


def test_import_pages_answer_every_file(db, client, contract_manager):
    """The catalogue import pages (upload, preview, confirm) with any file:
    never a 500; the upload saves nothing to the catalogue, and confirming
    applies every row or none (40 examples)."""
    client.force_login(contract_manager)

    @settings(max_examples=PAGE_EXAMPLES, **FUZZ)
    @given(file=catalogue_files())
    def run(file):
        data, header, rows, encoding = file
        _reset_catalogue()
        before = _snapshot()
        batch = upload_and_confirm(
            client, "suppliers:import-catalogue", data, _snapshot
        )
        if batch is None:
            return
        if batch.status == ImportBatch.Status.APPLIED:
            assert rows
            if encoding in ("utf-8", "utf-8-sig"):
                summary = services.catalogue_import(file=io.BytesIO(data), dry_run=True)
                assert summary.created == 0
                _check_applied(header, rows, summary)
        else:
            assert _snapshot() == before

    run()
