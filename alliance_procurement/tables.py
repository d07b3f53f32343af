"""Shared django-tables2 columns and the CSV / XLSX export every list offers.

Columns:

- ``MoneyColumn``: an amount as ``£1,234.56``, right-aligned (class
  ``app-money``); exports the Decimal rounded to the penny.
- ``UnitPriceColumn``: a unit price or fuel margin to 4 places, ``£1.3245``.
- ``StatusTagColumn``: a status as an NHS tag, coloured per status value.
- ``DateColumn``: a date, or a date and time in the local time zone, as the
  ``date`` filter writes it (``format="j M Y"``); exports ISO 8601.

Pagination:

- ``KeysFirstPaginator``: ties on the sort are broken by primary key, so
  every row shows on exactly one page whatever column the user sorts by, and
  a page past the first finds its rows' keys first, skipping the earlier rows
  in the sort's index alone, then reads and joins only the page's own rows.
- ``pages_of(25)``: a list view's ``table_pagination`` with that paginator.
- ``MAX_PER_PAGE``: a page shows at most 100 rows, whatever ``?per_page=``
  asks; a size below 1 or not a number gives the list's own
  (``rows_per_page``).

Export:

- ``ExportMixin``: add to a ``SingleTableMixin`` list view (usually with
  django-filter's ``FilterView``) and ``?_export=csv`` or ``?_export=xlsx``
  downloads every filtered row, sorted as shown, not just the page on screen.
  ``templates/includes/filter_form.html`` links to both.
- ``neutralise_formula``: every text cell of an export passes through it, so
  a name such as ``=HYPERLINK(...)`` opens in a spreadsheet as text, not as a
  formula (CSV / formula injection).
- ``xlsx_bytes``: tablib datasets as an XLSX file, a sheet each, laid out
  as tablib lays them out, written row by row (openpyxl's write-only
  workbook).

Example::

    class ItemTable(tables.Table):
        price = UnitPriceColumn()
        total = MoneyColumn(verbose_name="Total")
        status = StatusTagColumn(colours={"active": "green", "ended": "grey"})

    class ItemListView(LoginRequiredMixin, ExportMixin, SingleTableMixin,
                       FilterView):
        table_class = ItemTable
        filterset_class = ItemFilter
        export_name = "items"
"""

import datetime
import functools
import io
import re
from collections.abc import Mapping
from decimal import Decimal

import django_tables2 as tables
from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.utils import dateformat, formats, timezone, translation
from django.utils.safestring import mark_safe
from django_tables2 import utils as django_tables2_utils
from django_tables2.export import TableExport
from django_tables2.export.views import ExportMixin as BaseExportMixin
from django_tables2.rows import BoundRows
from django_tables2.utils import Accessor
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from alliance_procurement.markup import escaped
from alliance_procurement.money import to_pennies, to_unit_price

# django-tables2 asks ``inspect.signature`` which arguments a column's
# ``render``/``value`` method takes for every cell it draws: on a list page
# that was a third of the server's time. A method's signature cannot change,
# so it is worked out once per function (bound methods share their
# function's). Unhashable callables and a full cache fall back to the
# library's own function.
_library_signature = django_tables2_utils.signature
_signatures: dict = {}
_SIGNATURES_MAX = 4096


def _cached_signature(fn):
    key = (getattr(fn, "__func__", fn), hasattr(fn, "__self__"))
    try:
        return _signatures[key]
    except KeyError:
        pass
    except TypeError:  # unhashable callable
        return _library_signature(fn)
    result = _library_signature(fn)
    if len(_signatures) < _SIGNATURES_MAX:
        _signatures[key] = result
    return result


django_tables2_utils.signature = _cached_signature

# The attribute an export response carries for the audit trail: the action and
# detail of its download, recorded by ``trusts.middleware`` (this package may
# not import the apps).
EXPORT_AUDIT_ATTR = "audit_download"

# A spreadsheet reads a cell starting with one of these as a formula; tab and
# carriage return can hide one after leading whitespace.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

NUMERIC_ATTRS = {
    "th": {"class": "app-money nhsuk-table__header--numeric"},
    "td": {"class": "app-money nhsuk-table__cell--numeric"},
}


def format_money(value: Decimal, places: int = 2) -> str:
    """Format an amount as pounds with thousands separators: ``£1,234.56``.

    A negative amount reads ``-£1.20``. Rounding is the project's
    (``to_pennies`` or ``to_unit_price``), never the template filter's.
    """
    rounded = to_pennies(value) if places == 2 else to_unit_price(value)
    sign = "-" if rounded < 0 else ""
    # Pounds are written the British way whatever the locale: comma
    # thousands, point decimals (Python's own formatting, exact for Decimal).
    return f"{sign}£{abs(rounded):,.{places}f}"


class MoneyColumn(tables.Column):
    """An amount in pounds to the penny, right-aligned (``app-money``).

    Shows ``£1,234.56``; in exports the cell is the rounded Decimal, so a
    spreadsheet sums it as a number. Empty values show the table's default.
    """

    places = 2

    def __init__(self, *args, **kwargs):
        attrs = kwargs.pop("attrs", None) or {}
        kwargs["attrs"] = {**NUMERIC_ATTRS, **attrs}
        super().__init__(*args, **kwargs)

    def render(self, value):
        return format_money(Decimal(value), self.places)

    def value(self, value):
        decimal = Decimal(value)
        return to_pennies(decimal) if self.places == 2 else to_unit_price(decimal)


class UnitPriceColumn(MoneyColumn):
    """A unit price or fuel margin per litre to 4 places: ``£1.3245``."""

    places = 4


class StatusTagColumn(tables.Column):
    """A status as an NHS.UK tag whose colour depends on the status value.

    ``colours`` maps the stored value (``"active"``) to an NHS tag colour
    (``green``, ``blue``, ``grey``, ``red``, ``orange``, ``yellow``,
    ``purple``, ``pink``, ``aqua-green``, ``white``); values not in it take
    ``default_colour``. The label is the choice's display text; exports get
    the label only.
    """

    def __init__(
        self,
        *args,
        colours: Mapping[str, str] | None = None,
        default_colour: str = "grey",
        **kwargs,
    ):
        self.colours = dict(colours or {})
        self.default_colour = default_colour
        super().__init__(*args, **kwargs)

    def colour_for(self, raw_value) -> str:
        return self.colours.get(str(raw_value), self.default_colour)

    def tag(self, raw_value, label):
        """The NHS tag for a stored status value showing ``label``."""
        colour = escaped(self.colour_for(raw_value))
        tag = f'<strong class="nhsuk-tag nhsuk-tag--{colour}">{escaped(label)}</strong>'
        return mark_safe(tag)  # noqa: S308 -- both parts escaped  # nosec B308 B703

    def render(self, value, record, bound_column):
        # ``value`` is already the choice label; the colour keys on the stored
        # value, so read it from the record.
        return self.tag(
            Accessor(bound_column.accessor).resolve(record, quiet=True), value
        )

    def value(self, value):
        return value


# ``date`` format characters that read the time or the time zone; the others
# (``j M Y``, ``d/m/Y``, ``l j F``) read only the day.
_TIME_SPECIFIERS = frozenset("aAcefgGhHiIOPrsTuUZ")


@functools.lru_cache(maxsize=64)
def _reads_day_only(format_string: str) -> bool:
    escaped = False
    for char in format_string:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in _TIME_SPECIFIERS:
            return False
    return True


@functools.lru_cache(maxsize=4096)
def _day_text(day: datetime.date, format_string: str, language: str | None) -> str:
    # ``language`` is part of the key: month and day names are translated.
    return dateformat.format(day, format_string)


def date_writer(format_name: str):
    """``date_text`` for many values: the format, time zone and language of
    the moment are looked up once, not once a value (a list writes a date
    in every row)."""
    format_string = formats.get_format(format_name)
    day_only = _reads_day_only(format_string)
    zone = timezone.get_current_timezone()
    language = translation.get_language()
    use_tz = settings.USE_TZ

    def write(value) -> str:
        # ``template_localtime``: an aware date and time shown in local time.
        if (
            use_tz
            and isinstance(value, datetime.datetime)
            and not timezone.is_naive(value)
            and getattr(value, "convert_to_local_time", True)
        ):
            value = value.astimezone(zone)
        if not day_only:
            return dateformat.format(value, format_string)
        if isinstance(value, datetime.datetime):
            value = value.date()
        return _day_text(value, format_string, language)

    return write


def date_text(value: datetime.date, format_name: str) -> str:
    """``value`` as the ``date`` filter writes it with ``format_name`` (a
    format or a format setting's name), a date and time in the local time zone.

    A list shows hundreds of dates but few different days: a format that reads
    only the day is worked out once per day, format and language.
    """
    return date_writer(format_name)(value)


class DateColumn(tables.Column):
    """A date, or a date and time shown in the local time zone.

    ``format`` is a ``date`` filter format (``"j M Y"`` shows ``25 Nov
    2026``) or a format setting's name; by default ``SHORT_DATE_FORMAT``
    (``DATE_FORMAT`` with ``short=False``). Exports the ISO 8601 text. The
    same output as django-tables2's ``DateColumn``, which compiles a template
    for every cell; this one calls the filter's formatting directly.
    """

    def __init__(self, *args, format: str | None = None, short: bool = True, **kwargs):
        self.format = format or ("SHORT_DATE_FORMAT" if short else "DATE_FORMAT")
        super().__init__(*args, **kwargs)

    def render(self, value):
        return date_text(value, self.format)

    def value(self, value):
        if isinstance(value, datetime.date):
            return value.isoformat()
        return value


def _with_unique_last_key(queryset: QuerySet) -> QuerySet:
    """``queryset`` sorted as before, ties broken by primary key.

    Rows that tie on the sort (two requisitions raised in the same second)
    otherwise come back in any order, so one could show on two pages and
    another on none. The key sorts the same way as the first sort column.
    """
    query = queryset.query
    ordering = list(query.order_by)
    if not ordering and query.default_ordering:
        ordering = list(queryset.model._meta.ordering)
    if not ordering or "?" in ordering:
        return queryset
    pk_names = {"pk", queryset.model._meta.pk.name, queryset.model._meta.pk.attname}
    if any(isinstance(term, str) and term.lstrip("-") in pk_names for term in ordering):
        return queryset
    first = ordering[0]
    descending = (
        first.startswith("-")
        if isinstance(first, str)
        else getattr(first, "descending", False)
    )
    return queryset.order_by(*ordering, "-pk" if descending else "pk")


# The most rows a page of any list shows, whatever ``?per_page=`` asks for:
# a larger page is an export's job.
MAX_PER_PAGE = 100


def rows_per_page(requested, default: int) -> int:
    """The page size a list shows for ``requested`` (``?per_page=``'s text or
    a number): at most ``MAX_PER_PAGE``; the list's own ``default`` when it
    is missing, not a whole number or below 1."""
    try:
        size = int(requested)
    except (TypeError, ValueError):
        return default
    return default if size < 1 else min(size, MAX_PER_PAGE)


class KeysFirstPaginator(Paginator):
    """A paginator for long lists: stable pages, deep pages without joins.

    Every page sorts ties by primary key, so a row shows on exactly one page.
    ``OFFSET 24000 LIMIT 25`` over a query that joins sites, cost centres
    and users makes PostgreSQL build all 24,025 joined rows to throw 24,000
    away; a page past the first instead selects its 25 keys in the same
    order (``SELECT id … ORDER BY … OFFSET … LIMIT 25``, which an index on the
    sort columns answers without the joins), then the rows with those keys,
    sorted the same way. Rows that are not a queryset are paged as usual.

    A page holds at most ``MAX_PER_PAGE`` rows, and a size below 1 gives the
    list's own (``default_per_page``, which ``pages_of`` sets): django-tables2
    takes ``?per_page=`` as it comes, so ``?per_page=1000000`` would
    otherwise draw a whole table and ``?per_page=-5`` fail.
    """

    default_per_page = 25

    def __init__(self, object_list, per_page, *args, **kwargs):
        super().__init__(
            object_list,
            rows_per_page(per_page, self.default_per_page),
            *args,
            **kwargs,
        )

    def page(self, number):
        rows = self.object_list
        queryset = getattr(getattr(rows, "data", None), "data", None)
        if not isinstance(rows, BoundRows) or not isinstance(queryset, QuerySet):
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        queryset = _with_unique_last_key(queryset)
        if bottom == 0 or queryset.query.combinator or queryset.query.distinct:
            data = queryset[bottom:top]
        else:
            data = queryset.filter(pk__in=queryset.values("pk")[bottom:top])
        window = BoundRows(data=data, table=rows.table, pinned_data=rows.pinned_data)
        return self._get_page(window, number, self)


@functools.cache
def _keys_first_paginator_of(per_page: int) -> type[KeysFirstPaginator]:
    return type(
        f"KeysFirstPaginatorOf{per_page}",
        (KeysFirstPaginator,),
        {"default_per_page": per_page, "__module__": __name__},
    )


def pages_of(per_page: int) -> dict:
    """``table_pagination`` for a list view: ``per_page`` rows a page, cut
    by ``KeysFirstPaginator``, which falls back to ``per_page`` for a page
    size below 1."""
    return {
        "per_page": per_page,
        "paginator_class": _keys_first_paginator_of(per_page),
    }


def neutralise_formula(value):
    """Return ``value`` safe to open in a spreadsheet.

    Text starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
    return) is prefixed with ``'`` so the spreadsheet shows it as text instead
    of running it as a formula. Numbers, dates and empty cells pass unchanged:
    a negative Decimal is a number, not a formula.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


class _ExportedTable:
    """A table as ``TableExport`` reads it: its own attributes (the title
    comes from its ``Meta``), with ``as_values`` giving the same cells as
    django-tables2's, worked out per column (``table_tags.table_values``), and
    every header and cell neutralised."""

    def __init__(self, table):
        self._table = table

    def __getattr__(self, name):
        return getattr(self._table, name)

    def as_values(self, exclude_columns=None):
        # The template tags import this module: import theirs when exporting.
        from alliance_procurement.table_tags import table_values

        for row in table_values(self._table, exclude_columns or ()):
            yield [neutralise_formula(cell) for cell in row]


# What a worksheet's name may not hold, and how long it may be (Excel's rules).
_SHEET_TITLE_REFUSED = re.compile(r"[\\*?:/\[\]]")
_SHEET_TITLE_MAX = 31


def xlsx_bytes(*datasets) -> bytes:
    """tablib ``Dataset`` objects as an XLSX file, one sheet each, laid out as
    tablib lays them out (bold header row frozen at the top, columns as wide
    as their longest text, multi-line text wrapped), written row by row
    through openpyxl's write-only workbook. tablib builds the whole workbook
    as cell objects, addressing each cell by its name, then reads each sheet
    again to size the columns: for the alliance's 50,000 approved lines that
    took 20–30 % more time and four times the memory (200 MiB against
    48 MiB). Characters a spreadsheet cannot hold (control characters) show
    as U+FFFD, where openpyxl refused them and the file was not made."""
    workbook = Workbook(write_only=True)
    for dataset in datasets:
        _write_sheet(workbook, dataset)
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()


def _write_sheet(workbook, dataset) -> None:
    title = _SHEET_TITLE_REFUSED.sub("-", dataset.title or "") or "Export"
    sheet = workbook.create_sheet(title[:_SHEET_TITLE_MAX])
    headers = list(dataset.headers or ())
    # A write-only sheet takes its column widths before its first row.
    widths = [len(str(header)) for header in headers]
    for row in dataset:
        for index, value in enumerate(row):
            width = len(str(value))
            if index == len(widths):
                widths.append(width)
            elif width > widths[index]:
                widths[index] = width
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if headers:
        sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        sheet.append(
            [_styled(sheet, _xlsx_value(header), font=bold) for header in headers]
        )
    wrap = Alignment(wrap_text=True)
    for row in dataset:
        cells = [_xlsx_value(value) for value in row]
        sheet.append(
            [
                _styled(sheet, value, alignment=wrap)
                if isinstance(value, str) and "\n" in value
                else value
                for value in cells
            ]
        )


def _xlsx_value(value):
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("\ufffd", value)
    return value


def _styled(sheet, value, **style) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    for name, setting in style.items():
        setattr(cell, name, setting)
    return cell


class SafeTableExport(TableExport):
    """A ``TableExport`` that neutralises formulas in every header and cell,
    and writes XLSX row by row (``xlsx_bytes``)."""

    def table_to_dataset(self, table, exclude_columns, dataset_kwargs=None):
        return super().table_to_dataset(
            _ExportedTable(table), exclude_columns, dataset_kwargs
        )

    def export(self):
        if self.format == self.XLSX:
            return xlsx_bytes(self.dataset)
        return super().export()


class ExportMixin(BaseExportMixin):
    """Offer the filtered, sorted rows of a table view as CSV or XLSX.

    Put it before ``SingleTableMixin``. ``?_export=csv`` or ``?_export=xlsx``
    answers with a file named ``<export_name>-<date>.<format>`` holding every
    row the current filters select (all pages). Other formats are ignored and
    the page renders as usual. Columns with ``exclude_from_export=True`` (or
    named in ``exclude_columns``) are left out. The response carries what the
    audit trail records of the download (``EXPORT_AUDIT_ATTR``). Rows that
    tie on the sort come in primary key order, as on the pages.
    """

    export_class = SafeTableExport
    export_formats = (TableExport.CSV, TableExport.XLSX)

    def get_export_filename(self, export_format):
        return f"{self.export_name}-{timezone.localdate():%Y-%m-%d}.{export_format}"

    def create_export(self, export_format):
        table = self.get_table(**self.get_table_kwargs())
        if isinstance(table.data.data, QuerySet):
            # Rows that tie on the sort come in key order, as on the pages.
            table.data.data = _with_unique_last_key(table.data.data)
        exporter = self.export_class(
            export_format=export_format,
            table=table,
            exclude_columns=self.exclude_columns,
            dataset_kwargs=self.get_dataset_kwargs(),
        )
        filename = self.get_export_filename(export_format)
        response = exporter.response(filename=filename)
        # The app is the view's package: ``orders.requisitions_export.downloaded``.
        app_label = type(self).__module__.split(".")[0]
        setattr(
            response,
            EXPORT_AUDIT_ATTR,
            {
                "action": f"{app_label}.{self.export_name.replace('-', '_')}"
                "_export.downloaded",
                "detail": {
                    "filename": filename,
                    "format": export_format,
                    "rows": exporter.dataset.height,
                    "query": self.request.GET.urlencode()[:500],
                },
            },
        )
        return response

    def render_to_response(self, context, **kwargs):
        export_format = self.request.GET.get(self.export_trigger_param)
        if export_format in self.export_formats:
            return self.create_export(export_format)
        # Skip the base mixin, which would also accept JSON, YAML and others.
        return super(BaseExportMixin, self).render_to_response(context, **kwargs)
