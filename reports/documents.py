"""Savings summary files: PDF (WeasyPrint), CSV and XLSX, and the SVG chart.

The chart is drawn on the server as SVG, so the page and the PDF show the
same picture without any script. Every text cell of a CSV or XLSX file is
neutralised, so a name such as ``=HYPERLINK(...)`` opens as text, never as
a formula.
"""

import csv
import io
from decimal import Decimal

import tablib
from django.template.loader import render_to_string
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from alliance_procurement.tables import xlsx_bytes
from orders import documents as order_documents
from reports.selectors import SavingsFigures, SavingsSummary

LAYOUT_VERSION = "savings-2"
# A spreadsheet reads a cell starting with one of these as a formula; tab and
# carriage return can hide one behind leading whitespace.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
HEADERS = [
    "Section",
    "Code",
    "Name",
    "Pooled spend",
    "Standalone spend",
    "Savings",
    "Savings %",
]


def neutralise(value):
    """Prefix text a spreadsheet would run as a formula with ``'``."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def money(amount: Decimal) -> str:
    return f"£{amount:,.2f}"


# --- Chart -------------------------------------------------------------------


def savings_chart_svg(summary: SavingsSummary) -> SafeString:
    """Bars of pooled and standalone spend per month, savings written above.

    Plain SVG with presentation attributes only (no script, no style
    attribute), titled and described for screen readers.
    """
    width, height = 720, 260
    left, right, top, bottom = 70, 10, 20, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    history = summary.history
    peak = max(
        (entry.figures.standalone_spend for entry in history), default=Decimal(0)
    )
    peak = peak or Decimal(1)
    slot = plot_w / max(len(history), 1)
    bar = slot * 0.35
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-labelledby="chart-title chart-desc" class="app-chart" '
        'font-family="Liberation Sans, Arial, sans-serif">',
        '<title id="chart-title">Pooled and standalone spend, last 12 months</title>',
        '<desc id="chart-desc">'
        + escape(
            "; ".join(
                f"{entry.month:%b %Y}: pooled {money(entry.figures.pooled_spend)}, "
                f"standalone {money(entry.figures.standalone_spend)}, "
                f"savings {money(entry.figures.savings)}"
                for entry in history
            )
        )
        + "</desc>",
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" '
        f'y2="{top + plot_h}" stroke="#425563" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 8}" text-anchor="end" font-size="10" '
        f'fill="#425563">{escape(money(peak))}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="10" '
        f'fill="#425563">£0</text>',
    ]
    for n, entry in enumerate(history):
        x = left + n * slot + slot * 0.1
        for offset, value, colour in (
            (0, entry.figures.standalone_spend, "#aeb7bd"),
            (bar, entry.figures.pooled_spend, "#005eb8"),
        ):
            h = float(value / peak) * plot_h
            parts.append(
                f'<rect x="{x + offset:.1f}" y="{top + plot_h - h:.1f}" '
                f'width="{bar:.1f}" height="{h:.1f}" fill="{colour}"/>'
            )
        parts.append(
            f'<text x="{x + bar:.1f}" y="{top + plot_h + 14}" text-anchor="middle" '
            f'font-size="10" fill="#212b32">{entry.month:%b %y}</text>'
        )
        if entry.figures.savings:
            parts.append(
                f'<text x="{x + bar:.1f}" y="{top + plot_h + 28}" '
                f'text-anchor="middle" font-size="8" fill="#007f3b">'
                f"{escape(money(entry.figures.savings))}</text>"
            )
    parts.append(
        f'<rect x="{left}" y="2" width="10" height="10" fill="#aeb7bd"/>'
        f'<text x="{left + 14}" y="11" font-size="10">Standalone spend</text>'
        f'<rect x="{left + 120}" y="2" width="10" height="10" fill="#005eb8"/>'
        f'<text x="{left + 134}" y="11" font-size="10">Pooled spend</text>'
        f'<text x="{left + 230}" y="11" font-size="10" fill="#007f3b">'
        "Savings under each month</text>"
    )
    parts.append("</svg>")
    # Every interpolated text is escaped above; numbers are formatted here.
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703


# --- Files -------------------------------------------------------------------


def savings_rows(summary: SavingsSummary) -> list[list]:
    """The summary as rows of ``HEADERS``: totals, then each breakdown."""

    def row(section: str, figures: SavingsFigures, code: str = "", name: str = ""):
        return [
            section,
            code or figures.code,
            name or figures.label,
            figures.pooled_spend,
            figures.standalone_spend,
            figures.savings,
            figures.savings_percent,
        ]

    rows = [row("Total", summary.totals, summary.scope_code, summary.scope_name)]
    rows += [row("Trust", figures) for figures in summary.by_trust]
    rows += [row("Category", figures) for figures in summary.by_category]
    rows += [row("Supplier", figures) for figures in summary.by_supplier]
    rows += [row("Top item", figures) for figures in summary.top_items]
    rows += [
        row("Month", entry.figures, f"{entry.month:%Y-%m}", f"{entry.month:%B %Y}")
        for entry in summary.history
    ]
    return rows


def savings_csv(summary: SavingsSummary) -> bytes:
    """The summary as CSV (UTF-8 with BOM, so spreadsheets read the £)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([f"Savings summary {summary.month:%B %Y}", summary.scope_name])
    writer.writerow(HEADERS)
    for values in savings_rows(summary):
        writer.writerow([neutralise(value) for value in values])
    return ("\ufeff" + buffer.getvalue()).encode()


def savings_sheets(summary: SavingsSummary) -> list[tablib.Dataset]:
    """The summary's breakdowns as sheets: totals, trusts, categories,
    suppliers, top items and the last twelve months."""
    rows = savings_rows(summary)
    sheets = []
    for title, section in (
        ("Summary", "Total"),
        ("By trust", "Trust"),
        ("By category", "Category"),
        ("By supplier", "Supplier"),
        ("Top items", "Top item"),
        ("Last 12 months", "Month"),
    ):
        selected = [values for values in rows if values[0] == section]
        if not selected and section == "Trust":
            continue
        sheet = tablib.Dataset(title=title, headers=HEADERS[1:])
        for values in selected:
            sheet.append([neutralise(value) for value in values[1:]])
        sheets.append(sheet)
    return sheets


def savings_xlsx(summary: SavingsSummary) -> bytes:
    """The summary as an XLSX workbook, one sheet per breakdown."""
    return xlsx_bytes(*savings_sheets(summary))


def savings_html(summary: SavingsSummary) -> str:
    return render_to_string(
        "reports/pdf/savings.html",
        {"summary": summary, "chart": savings_chart_svg(summary)},
    )


def savings_pdf(summary: SavingsSummary) -> bytes:
    """The summary as a PDF, chart included."""
    return order_documents.render_pdf(savings_html(summary))


RENDERERS = {"pdf": savings_pdf, "csv": savings_csv, "xlsx": savings_xlsx}


def savings_render(summary: SavingsSummary, file_format: str) -> bytes:
    return RENDERERS[file_format](summary)
