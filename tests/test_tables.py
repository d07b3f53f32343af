"""Shared table columns, the NHS table template and safe CSV / XLSX exports."""

import csv
import io
from decimal import Decimal

import django_tables2 as tables
import openpyxl
import pytest
from django.test import RequestFactory
from hypothesis import given
from hypothesis import strategies as st

from alliance_procurement.filters import NHSFilterSet, SearchFilter
from alliance_procurement.tables import (
    ExportMixin,
    MoneyColumn,
    SafeTableExport,
    StatusTagColumn,
    UnitPriceColumn,
    format_money,
    neutralise_formula,
)
from catalogue.models import Item
from tests import factories


class RowTable(tables.Table):
    name = tables.Column()
    amount = MoneyColumn()
    price = UnitPriceColumn()
    status = StatusTagColumn(colours={"active": "green", "ended": "grey"})

    caption = "Rows for testing"


def _row(**overrides):
    row = {
        "name": "Gloves",
        "amount": Decimal("1234.56"),
        "price": Decimal("1.3245"),
        "status": "active",
    }
    row.update(overrides)
    return row


def _render(table, query=""):
    request = RequestFactory().get(f"/list/{query}")
    tables.RequestConfig(request, paginate={"per_page": 2}).configure(table)
    return table.as_html(request)


@pytest.mark.parametrize(
    ("amount", "shown"),
    [
        (Decimal("1234.56"), "£1,234.56"),
        (Decimal("0"), "£0.00"),
        (Decimal("1234567.005"), "£1,234,567.01"),  # half up, to the penny
        (Decimal("2.345"), "£2.35"),
        (Decimal("-1.20"), "-£1.20"),
    ],
)
def test_money_is_shown_in_pounds_with_separators(amount, shown):
    """Amounts read £1,234.56, rounded half up to the penny."""
    assert format_money(amount) == shown


@pytest.mark.parametrize(
    ("price", "shown"),
    [
        (Decimal("1.3245"), "£1.3245"),
        (Decimal("12000"), "£12,000.0000"),
        (Decimal("0.00005"), "£0.0001"),
    ],
)
def test_unit_prices_are_shown_to_four_places(price, shown):
    """Unit prices and fuel margins show their 4 decimal places."""
    assert format_money(price, 4) == shown


def test_money_columns_render_right_aligned():
    """Money cells carry the app-money class and the formatted amount."""
    html = _render(RowTable([_row()]))
    assert 'class="nhsuk-table__cell app-money nhsuk-table__cell--numeric"' in html
    assert "£1,234.56" in html
    assert "£1.3245" in html


def test_status_tag_colour_follows_the_mapping():
    """Each status value takes its colour; unmapped values take the default."""
    column = StatusTagColumn(colours={"active": "green"}, default_colour="red")
    assert column.colour_for("active") == "green"
    assert column.colour_for("suspended") == "red"


def test_status_tag_renders_an_nhs_tag():
    """The status cell is an NHS tag with the colour of the raw value."""
    html = _render(RowTable([_row(status="ended")]))
    assert '<strong class="nhsuk-tag nhsuk-tag--grey">ended</strong>' in html


def test_table_has_caption_and_nhs_classes():
    """The table renders as an nhsuk-table with its caption."""
    html = _render(RowTable([_row()]))
    assert 'class="nhsuk-table app-table"' in html
    assert '<caption class="nhsuk-table__caption">Rows for testing</caption>' in html
    assert 'scope="col"' in html


def test_sortable_header_is_a_link_with_aria_sort():
    """A sorted column says ascending; sorting links drop the page number."""
    html = _render(RowTable([_row(), _row(), _row()]), "?sort=name&page=2")
    assert 'aria-sort="ascending"' in html
    assert 'href="?sort=-name"' in html


def test_empty_table_shows_one_row_saying_so():
    """With no rows the body holds one full-width row explaining it."""
    html = _render(RowTable([]))
    assert 'colspan="4"' in html
    assert "Nothing matches" in html


def test_pagination_shows_previous_next_and_page_x_of_y():
    """Beyond one page the NHS pagination links previous and next pages."""
    html = _render(RowTable([_row()] * 5), "?page=2")
    assert 'class="nhsuk-pagination"' in html
    assert "Page 2 of 3" in html
    assert 'href="?page=1"' in html
    assert 'href="?page=3"' in html


def test_pagination_links_keep_the_filters_and_sort():
    """Previous and next keep every other parameter, repeated ones included."""
    html = _render(RowTable([_row()] * 5), "?status=a&status=b&sort=name&page=2")
    assert 'href="?status=a&amp;status=b&amp;sort=name&amp;page=1"' in html
    assert 'href="?status=a&amp;status=b&amp;sort=name&amp;page=3"' in html


def test_single_page_shows_no_pagination():
    """One page needs no pagination links."""
    assert "nhsuk-pagination" not in _render(RowTable([_row()]))


@pytest.mark.parametrize(
    "text",
    ["=1+2", "+44 121", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_text_starting_a_formula_is_neutralised(text):
    """Text a spreadsheet would run as a formula gets a leading quote."""
    assert neutralise_formula(text) == "'" + text


@pytest.mark.parametrize(
    "value",
    ["Gloves", "", " =1", "1=1", Decimal("-1.20"), -3, None, "'=already"],
)
def test_other_values_pass_unchanged(value):
    """Plain text, numbers (negative too) and empty cells are left alone."""
    assert neutralise_formula(value) == value


@given(st.text())
def test_no_neutralised_text_starts_a_formula(text):
    """Whatever the text, the exported cell never starts with = + - @."""
    assert not neutralise_formula(text).startswith(("=", "+", "-", "@"))


def _export(table, export_format):
    return SafeTableExport(export_format, table).export()


def test_csv_export_neutralises_cells_and_keeps_numbers():
    """CSV cells are safe text; money exports as the rounded number."""
    table = RowTable([_row(name="=cmd|' /C calc'!A0", amount=Decimal("-5.005"))])
    rows = list(csv.reader(io.StringIO(_export(table, "csv"))))
    assert rows[0] == ["Name", "Amount", "Price", "Status"]
    assert rows[1] == ["'=cmd|' /C calc'!A0", "-5.01", "1.3245", "active"]


def test_xlsx_export_neutralises_cells():
    """The XLSX cell holds the quoted text, not a formula."""
    table = RowTable([_row(name="@SUM(1+1)")])
    workbook = openpyxl.load_workbook(io.BytesIO(_export(table, "xlsx")))
    values = list(workbook.active.values)
    assert values[1][0] == "'@SUM(1+1)"
    assert values[1][1] == pytest.approx(1234.56)


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_xlsx_export_has_the_cells_and_layout_tablib_gives():
    """The row-by-row workbook holds what tablib's own XLSX held: the same
    title and cells, a bold header frozen at the top, columns as wide as
    their longest text, multi-line text wrapped."""
    rows = [
        _row(name="Gloves, nitrile, medium, box of 100"),
        _row(name="Two\nlines", amount=Decimal("-0.01"), status="ended"),
        _row(name="", amount=None, price=Decimal("0.0001")),
    ]
    exporter = SafeTableExport("xlsx", RowTable(rows))
    ours = _sheet(exporter.export())
    tablibs = _sheet(exporter.dataset.export("xlsx"))
    assert list(ours.values) == list(tablibs.values)
    assert ours.title == tablibs.title
    assert ours.freeze_panes == tablibs.freeze_panes == "A2"
    assert [cell.font.b for cell in ours[1]] == [True] * 4
    assert [cell.font.b for cell in ours[2]] == [False] * 4
    for letter in "ABCD":
        assert ours.column_dimensions[letter].width == (
            tablibs.column_dimensions[letter].width
        )
    assert ours["A2"].value == "Gloves, nitrile, medium, box of 100"
    assert ours.column_dimensions["A"].width == len(
        "Gloves, nitrile, medium, box of 100"
    )
    assert ours["A3"].alignment.wrap_text
    assert not ours["A2"].alignment.wrap_text
    assert ours["B3"].value == pytest.approx(-0.01)


def test_xlsx_export_shows_a_control_character_instead_of_failing():
    """A character no spreadsheet can hold (a pasted bell, a NUL) is shown as
    U+FFFD; the rest of the text and the download survive."""
    table = RowTable([_row(name="Bell\x07 and NUL\x00 here")])
    assert _sheet(_export(table, "xlsx"))["A2"].value == "Bell\ufffd and NUL\ufffd here"


@given(
    names=st.lists(st.text(max_size=40), min_size=1, max_size=5),
    pennies=st.lists(st.integers(-(10**9), 10**9), min_size=1, max_size=5),
)
def test_xlsx_export_keeps_every_text_and_amount(names, pennies):
    """Whatever the text (formula-like, multi-line, control characters) and
    the amounts, the workbook holds each row's neutralised text and the
    amount to the penny."""
    rows = [
        _row(name=name, amount=Decimal(penny) / 100)
        for name, penny in zip(names, pennies, strict=False)
    ]
    values = list(_sheet(_export(RowTable(rows), "xlsx")).values)
    assert values[0] == ("Name", "Amount", "Price", "Status")
    for row, (name, value) in zip(
        rows, [(v[0], v[1]) for v in values[1:]], strict=True
    ):
        expected = openpyxl.cell.cell.ILLEGAL_CHARACTERS_RE.sub(
            "\ufffd", neutralise_formula(row["name"])
        )
        # XML reads a carriage return back as a line feed, as tablib's file did.
        expected = expected.replace("\r\n", "\n").replace("\r", "\n")
        assert (name or "") == expected
        assert Decimal(str(value)) == row["amount"]


def test_export_neutralises_headers():
    """A header a contract manager could name is neutralised as well."""

    class EvilHeaderTable(tables.Table):
        name = tables.Column(verbose_name="=HEADER()")

    rows = list(csv.reader(io.StringIO(_export(EvilHeaderTable([_row()]), "csv"))))
    assert rows[0] == ["'=HEADER()"]


# --- shared filters and the export view mixin -----------------------------------


class _ItemFilter(NHSFilterSet):
    q = SearchFilter(fields=("name", "sku"))

    class Meta:
        model = Item
        fields = ["q", "kind"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "expected"),
    [("GLOVE", {"A"}), ("b", {"B"}), ("", {"A", "B"}), ("   ", {"A", "B"})],
)
def test_search_filter_matches_any_field_ignoring_case(text, expected):
    """A row matches when any searched field contains the text; blank is no filter."""
    factories.ItemFactory(sku="A", name="Nitrile gloves")
    factories.ItemFactory(sku="B", name="Bandage")
    found = _ItemFilter({"q": text}, queryset=Item.objects.all()).qs
    assert {item.sku for item in found} == expected


def test_filter_form_widgets_get_nhs_classes():
    """Every filter widget carries its NHS.UK class."""
    form = _ItemFilter({}, queryset=Item.objects.none()).form
    assert form.fields["q"].widget.attrs["class"] == "nhsuk-input"
    assert form.fields["kind"].widget.attrs["class"] == "nhsuk-select"


class _ExportView(ExportMixin, tables.SingleTableView):
    table_class = RowTable
    template_name = "django_tables2/table.html"
    export_name = "rows"

    def get_queryset(self):
        return [_row(), _row(name="Second")]


@pytest.mark.parametrize(
    ("export_format", "kind"), [("csv", "text/csv"), ("xlsx", "spreadsheetml")]
)
def test_export_mixin_answers_csv_and_xlsx_as_dated_attachments(export_format, kind):
    """``?_export=csv|xlsx`` answers a file named with the export name and date."""
    request = RequestFactory().get("/", {"_export": export_format})
    response = _ExportView.as_view()(request)
    assert kind in response["Content-Type"]
    assert response["Content-Disposition"].startswith('attachment; filename="rows-')
    assert response["Content-Disposition"].endswith(f'.{export_format}"')


@pytest.mark.parametrize("export_format", ["json", "yaml", "latex", "ods", "tsv"])
def test_export_mixin_refuses_other_formats(export_format):
    """Formats other than CSV and XLSX render the page instead."""
    request = RequestFactory().get("/", {"_export": export_format})
    response = _ExportView.as_view()(request)
    assert "Content-Disposition" not in response


class AttrsTable(tables.Table):
    name = tables.Column(attrs={"td": {"class": "app-nowrap", "data-kind": "name"}})
    code = tables.Column(attrs={"td": {"data-code": lambda record: record["code"]}})
    amount = MoneyColumn()

    class Meta:
        row_attrs = {"data-id": lambda record: record["code"]}


def test_cells_carry_their_column_attributes_and_escaped_values():
    """The rows written in Python match the NHS table markup, escaped."""
    from django.test.html import parse_html

    rows = [
        {"name": "<b>Gloves</b> & co", "code": "G1", "amount": Decimal("2.5")},
        {"name": "Aprons", "code": 'A"2', "amount": Decimal("1234.567")},
    ]
    html = _render(AttrsTable(rows))
    body = html[html.index("<tbody") : html.index("</tbody>") + len("</tbody>")]
    expected = """
    <tbody class="nhsuk-table__body">
      <tr class="nhsuk-table__row" data-id="G1">
        <td class="nhsuk-table__cell app-nowrap" data-kind="name"
          >&lt;b&gt;Gloves&lt;/b&gt; &amp; co</td>
        <td class="nhsuk-table__cell" data-code="G1">G1</td>
        <td class="nhsuk-table__cell app-money nhsuk-table__cell--numeric">£2.50</td>
      </tr>
      <tr class="nhsuk-table__row" data-id="A&quot;2">
        <td class="nhsuk-table__cell app-nowrap" data-kind="name">Aprons</td>
        <td class="nhsuk-table__cell" data-code="A&quot;2">A&quot;2</td>
        <td class="nhsuk-table__cell app-money nhsuk-table__cell--numeric"
          >£1,234.57</td>
      </tr>
    </tbody>
    """
    assert parse_html(body) == parse_html(expected)


def test_render_methods_get_the_arguments_they_ask_for_on_every_row():
    """Signatures are remembered per function: each table still gets its own."""

    class First(tables.Table):
        name = tables.Column()

        def render_name(self, value, record):
            return f"{value}-{record['code']}"

    class Second(tables.Table):
        name = tables.Column()

        def render_name(self, value):
            return value.upper()

    rows = [{"name": "gloves", "code": "G1"}, {"name": "aprons", "code": "A2"}]
    for _ in range(2):  # the second time from the remembered signatures
        first, second = _render(First(rows)), _render(Second(rows))
        assert "gloves-G1" in first
        assert "aprons-A2" in first
        assert "GLOVES" in second
        assert "APRONS" in second


@given(
    st.decimals(
        min_value=Decimal("-1e12"),
        max_value=Decimal("1e12"),
        allow_nan=False,
        allow_infinity=False,
        places=6,
    ),
    st.sampled_from([2, 4]),
)
def test_formatted_money_reads_back_as_the_rounded_amount(amount, places):
    """Whatever the amount: pounds sign, commas every three digits, the
    project's rounding, and the figure reads back exactly."""
    from alliance_procurement.money import to_pennies, to_unit_price

    shown = format_money(amount, places)
    rounded = to_pennies(amount) if places == 2 else to_unit_price(amount)
    negative = shown.startswith("-")
    assert shown.removeprefix("-").startswith("£")
    whole, fraction = shown.removeprefix("-").removeprefix("£").split(".")
    assert len(fraction) == places
    groups = whole.split(",")
    assert 1 <= len(groups[0]) <= 3
    assert all(len(group) == 3 for group in groups[1:])
    figure = Decimal(whole.replace(",", "") + "." + fraction)
    assert (-figure if negative else figure) == rounded
