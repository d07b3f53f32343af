"""Savings files read back: PDF, CSV, XLSX and the chart (DESIGN §6)."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
import tablib
from pypdf import PdfReader

from reports import documents, selectors
from tests import factories
from tests.orders.builders_documents import build_order, build_trusts

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2026, 3, 1)


@pytest.fixture
def summary():
    trusts = build_trusts()
    category = factories.CategoryFactory(name='=HYPERLINK("http://x")')
    items = [
        factories.ItemFactory(category=category, name=f"Gloves {n}") for n in range(4)
    ]
    build_order(
        trusts=trusts,
        lines=4,
        items=items,
        issued_at=datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC),
    )
    return selectors.savings_summary(month=MARCH)


def test_csv_holds_totals_and_breakdowns(summary):
    """The CSV has the totals row, each trust, category, supplier, item, month."""
    rows = list(
        csv.reader(io.StringIO(documents.savings_csv(summary).decode("utf-8-sig")))
    )
    assert rows[1] == documents.HEADERS
    total = rows[2]
    assert total[:3] == ["Total", "alliance", "Alliance-wide"]
    assert Decimal(total[3]) == summary.totals.pooled_spend
    assert Decimal(total[4]) == summary.totals.standalone_spend
    assert Decimal(total[5]) == summary.totals.savings
    assert Decimal(total[6]) == summary.totals.savings_percent
    sections = [row[0] for row in rows[2:]]
    assert sections.count("Trust") == 3
    assert sections.count("Month") == 12
    assert "Top item" in sections


def test_csv_neutralises_formulas(summary):
    """A text cell that a spreadsheet would run as a formula is prefixed with '."""
    text = documents.savings_csv(summary).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    category = next(row for row in rows if row[0] == "Category")
    assert category[2] == '\'=HYPERLINK("http://x")'


def test_xlsx_holds_the_same_figures_as_numbers(summary):
    """The workbook has a sheet per breakdown; amounts are numbers, not text."""
    book = openpyxl.load_workbook(io.BytesIO(documents.savings_xlsx(summary)))
    assert book.sheetnames == [
        "Summary",
        "By trust",
        "By category",
        "By supplier",
        "Top items",
        "Last 12 months",
    ]
    total = [cell.value for cell in book["Summary"][2]]
    assert total[0] == "alliance"
    assert Decimal(str(total[2])) == summary.totals.pooled_spend
    assert Decimal(str(total[4])) == summary.totals.savings
    category = [cell.value for cell in book["By category"][2]]
    assert category[1].startswith("'=")
    assert book["By trust"].max_row == 4


def test_xlsx_sheets_are_laid_out_as_tablib_lays_them_out(summary):
    """Each sheet holds what tablib's own workbook of the same sheets holds,
    header bold and frozen; columns are as wide as their longest text (tablib
    left a workbook's columns at the default width)."""
    sheets = documents.savings_sheets(summary)
    book = tablib.Databook()
    for sheet in sheets:
        book.add_sheet(sheet)
    theirs_book = openpyxl.load_workbook(io.BytesIO(book.export("xlsx")))
    ours = openpyxl.load_workbook(io.BytesIO(documents.savings_xlsx(summary)))
    assert ours.sheetnames == theirs_book.sheetnames
    for mine, theirs in zip(ours.worksheets, theirs_book.worksheets, strict=True):
        assert list(mine.values) == list(theirs.values)
        assert mine.freeze_panes == theirs.freeze_panes == "A2"
        assert all(cell.font.b for cell in mine[1])
    for sheet in sheets:
        mine = ours[sheet.title]
        for index, header in enumerate(sheet.headers):
            longest = max(len(str(value)) for value in [header, *sheet.get_col(index)])
            letter = openpyxl.utils.get_column_letter(index + 1)
            assert mine.column_dimensions[letter].width == longest


def test_an_item_named_with_a_control_character_still_gives_a_workbook():
    """A name pasted with a control character (here a bell) reaches the
    workbook as U+FFFD, instead of failing the month's file."""
    trusts = build_trusts()
    item = factories.ItemFactory(name="Bell\x07 gloves")
    build_order(
        trusts=trusts,
        lines=1,
        items=[item],
        issued_at=datetime.datetime(2026, 3, 10, 12, tzinfo=datetime.UTC),
    )
    book = openpyxl.load_workbook(
        io.BytesIO(documents.savings_xlsx(selectors.savings_summary(month=MARCH)))
    )
    names = [row[1] for row in book["Top items"].iter_rows(min_row=2, values_only=True)]
    assert any("Bell\ufffd gloves" in name for name in names)


def test_pdf_shows_month_totals_and_pages(summary):
    """The PDF names the month and scope, shows the totals and page numbers."""
    content = documents.savings_pdf(summary)
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Savings summary – March 2026" in text
    assert "Alliance-wide" in text
    assert f"£{summary.totals.savings:,.2f}" in text
    assert f"Page 1 of {len(reader.pages)}" in text


def test_chart_is_plain_svg_with_twelve_months(summary):
    """The chart is SVG with a bar pair per month, a title, and no script."""
    svg = str(documents.savings_chart_svg(summary))
    assert svg.startswith("<svg")
    assert "<script" not in svg
    assert "style=" not in svg
    assert svg.count("<rect") >= 24
    assert "Mar 26" in svg
    assert "Apr 25" in svg
    assert "<title" in svg
