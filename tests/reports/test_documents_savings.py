"""Savings files read back: PDF, CSV, XLSX and the chart (DESIGN §6)."""

import csv
import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
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
