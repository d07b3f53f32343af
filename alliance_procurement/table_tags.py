"""``{% table_rows table %}``: a table's rows on this page, written in Python.

The NHS table template (``templates/django_tables2/table.html``) used to loop
over cells in the template language, asking each cell's column for its
attributes twice; django-tables2 itself, for every cell, looks its column up
by name among all the columns, works out the column's default and model field
again, and hashes every choice label to show a status. On a list page that
was most of the server time. This tag writes the same ``<tr>``/``<td>``
markup and the same cell content (django-tables2's rules: a choice field
shows its label, an empty value the column's default, then the column's or
table's ``render``, then the link), working out once per table what does not
change from row to row: each column's ``td`` attributes (per cell only when
an attribute is callable, as django-tables2 allows), accessor, default and
choice labels. Model records are read attribute by attribute (django-tables2
tries each step as a dictionary key first, an exception per step), and the
project's own columns (plain, money, date, status) are rendered without
working out which arguments their ``render`` takes.
"""

import html

import django_tables2 as tables
from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.utils.encoding import force_str
from django.utils.formats import localize
from django.utils.functional import Promise
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape
from django.utils.http import urlencode
from django.utils.safestring import SafeData, SafeString, mark_safe
from django_tables2.columns import ManyToManyColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.rows import BoundRow
from django_tables2.utils import Accessor, call_with_appropriate

from alliance_procurement.markup import attributes, escaped
from alliance_procurement.tables import (
    DateColumn,
    MoneyColumn,
    StatusTagColumn,
    UnitPriceColumn,
    date_writer,
)

register = template.Library()


def _fixed_attrs(column) -> dict:
    """``column.attrs`` as the header and the cells that do not depend on
    their row read them, worked out once and kept on the bound column:
    django-tables2 works them all out (``th``, ``td``, ``tf``, classes) on
    every read."""
    attrs = getattr(column, "_fixed_attrs", None)
    if attrs is None:
        attrs = column._fixed_attrs = column.attrs
    return attrs


def _td_attrs(column, attrs=None) -> str:
    """`` class="…" key="value"`` for a column's cells, as the template wrote it."""
    attrs = (column.attrs if attrs is None else attrs).get("td", {})
    classes = "nhsuk-table__cell"
    if attrs.get("class"):
        classes += f" {attrs['class']}"
    rest = attributes((key, value) for key, value in attrs.items() if key != "class")
    return f' class="{escaped(classes)}"{rest}'


def _has_callable_attrs(column) -> bool:
    return any(
        callable(value)
        for value in getattr(column.column, "attrs", {}).get("td", {}).values()
    )


def _text_writer(column, context):
    """``f(value)`` writing a cell's content as the template wrote
    ``{{ value }}`` (or ``{{ value|localize }}``/``unlocalize`` when the
    column says so), worked out once per column."""
    if column.localize is None:
        autoescape = context.autoescape

        def write(value) -> str:
            # Text needs no localising: escape it as the template would
            # (Django's ``escape`` is ``html.escape``), without its lazy-text
            # bookkeeping.
            if autoescape and type(value) is str:
                return html.escape(value)
            if isinstance(value, SafeData):
                return str(value)
            return render_value_in_context(value, context)

        return write
    use_l10n = bool(column.localize)
    return lambda value: conditional_escape(localize(value, use_l10n=use_l10n))


_NO_LABELS = object()
_UNREAD = object()


def _direct_render(table, bound_column):
    """``f(value, stored)`` giving the cell content without django-tables2's
    argument matching, or ``None`` when the column needs the general path."""
    column = bound_column.column
    if getattr(table, f"render_{bound_column.name}", None) is not None:
        return None
    kind = type(column)
    if kind is tables.Column:
        return lambda value, stored: value
    if kind in (MoneyColumn, UnitPriceColumn):
        return lambda value, stored: column.render(value)
    if kind is DateColumn:
        write = date_writer(column.format)
        return lambda value, stored: write(value)
    if kind is StatusTagColumn:
        return _status_tags(column)
    return None


def _status_tags(column):
    """``f(label, stored)`` giving the column's tag, each different one
    written once: a page shows a handful of statuses in every row."""
    written = {}

    def tag(value, stored):
        try:
            return written[stored, value]
        except KeyError:
            text = written[stored, value] = column.tag(stored, value)
            return text
        except TypeError:  # a value that cannot be a key
            return column.tag(stored, value)

    return tag


# A table's own methods for a column's export value, in the order
# django-tables2 looks for them before the column's ``value``.
_OWN_METHODS = ("value", "render")


def _direct_value(table, bound_column):
    """``f(value)`` giving the cell's export value without django-tables2's
    argument matching, or ``None`` when the column needs the general path
    (the table's ``value_<name>`` or ``render_<name>``, another column)."""
    name = bound_column.name
    if any(getattr(table, f"{kind}_{name}", None) is not None for kind in _OWN_METHODS):
        return None
    column = bound_column.column
    kind = type(column)
    if kind is tables.Column:  # its ``value`` is its ``render``: the value itself
        return lambda value: value
    if kind in (MoneyColumn, UnitPriceColumn, DateColumn, StatusTagColumn):
        return column.value
    return None


def _plain_link(link) -> bool:
    """``linkify=True`` with nothing more: a link to the record's own page."""
    return (
        link is not None
        and link.url is None
        and link.accessor is None
        and not link.reverse_args
        and not link.attrs
    )


def _model_path(record, bits):
    """``record.a.b`` for accessor ``a__b``; ``_UNREAD`` when a step is not a
    plain attribute (a callable), so django-tables2 must resolve it."""
    value = record
    for bit in bits:
        value = getattr(value, bit, _UNREAD)
        if value is None:
            return None
        if value is _UNREAD or callable(value):
            return _UNREAD
    return value


class _Cells:
    """One column's cells, the way ``BoundRow.get_cell`` computes them."""

    def __init__(self, table, bound_column):
        self.table = table
        self.bound_column = bound_column
        self.column = bound_column.column
        self.accessor = Accessor(bound_column.accessor)
        path, _, self.remainder = self.accessor.rpartition(Accessor.SEPARATOR)
        self.parent = Accessor(path)
        self.default = bound_column.default
        self.render = bound_column.render
        self.link = bound_column.link
        # Columns whose values django-tables2 treats specially keep its own path.
        self.library_only = isinstance(self.column, (BaseLinkColumn, ManyToManyColumn))
        self.bits = tuple(self.accessor.split(Accessor.SEPARATOR))
        self.parent_bits = self.bits[:-1]
        self.direct = _direct_render(table, bound_column)
        self.direct_value = _direct_value(table, bound_column)
        self.plain_link = _plain_link(self.link)
        self._labels: dict = {}

    def _choice_labels(self, record, parent):
        """``{stored value: label}`` when the value is a field with choices."""
        key = (type(record), type(parent))
        labels = self._labels.get(key)
        if labels is None:
            labels = _NO_LABELS
            try:
                field = self.accessor.get_field(record)
            except FieldDoesNotExist:
                field = None
            display = f"get_{self.remainder}_display"
            if getattr(field, "choices", ()) and hasattr(parent, display):
                labels = {
                    make_hashable(value): force_str(label, strings_only=True)
                    for value, label in field.flatchoices
                }
            self._labels[key] = labels
        return labels

    def _value(self, record):
        """``(value shown, stored value)``, as ``BoundRow`` reads them."""
        if isinstance(record, models.Model):
            parent = _model_path(record, self.parent_bits)
            if parent is _UNREAD:
                parent = self.parent.resolve(record, quiet=True)
        else:
            parent = self.parent.resolve(record, quiet=True)
        if isinstance(parent, models.Model):
            labels = self._choice_labels(record, parent)
            if labels is not _NO_LABELS:
                stored = getattr(parent, self.remainder)
                return labels.get(make_hashable(stored), stored), stored
            value = _model_path(parent, (self.remainder,))
            if value is not _UNREAD:
                return value, value
        if not self.remainder:
            return None, None
        try:
            value = self.accessor.resolve(record)
        except Exception:  # django-tables2 shows the default then
            value = None
        return value, value

    def _linked_url(self, record):
        """Where django-tables2's ``linkify=True`` points for this record: the
        page of the object the column is named after if it has one (an
        order's ``contract``), else the record's; ``_UNREAD`` when the
        library must work it out."""
        target = getattr(record, self.bound_column.name, _UNREAD)
        if target is _UNREAD or callable(target):
            return _UNREAD
        if not hasattr(target, "get_absolute_url"):
            if not hasattr(record, "get_absolute_url"):
                return _UNREAD
            target = record
        return target.get_absolute_url()

    def _arguments(self, row, value) -> dict:
        return {
            "value": value,
            "record": row.record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": self.table,
        }

    def export_value(self, row):
        """The cell in an export, as ``BoundRow.get_cell_value`` gives it:
        the column's (or the table's) ``value``, ``None`` when empty."""
        if self.library_only:
            return row.get_cell_value(self.bound_column.name)
        value, _stored = self._value(row.record)
        if value in self.column.empty_values:
            return None
        if self.direct_value is not None:
            return self.direct_value(value)
        return call_with_appropriate(
            self.bound_column.value, self._arguments(row, value)
        )

    def cell(self, row):
        if self.library_only:
            return row.get_cell(self.bound_column.name)
        record = row.record
        value, stored = self._value(record)
        if value in self.column.empty_values:
            return self.default
        if self.direct is not None and not self.link:
            return self.direct(value, stored)
        if self.direct is not None and self.plain_link:
            url = self._linked_url(record)
            if url is not _UNREAD:
                content = self.direct(value, stored)
                if url is None:
                    return content
                link = f'<a href="{escaped(url)}">{escaped(content)}</a>'
                return mark_safe(link)  # noqa: S308 -- both parts escaped  # nosec B308 B703
        kwargs = self._arguments(row, value)
        if self.direct is not None:
            content = self.direct(value, stored)
        else:
            content = call_with_appropriate(self.render, kwargs)
        return self.link(content, **kwargs) if self.link else content


@register.simple_tag(takes_context=True)
def table_rows(context, table) -> SafeString:
    """The ``<tr>`` rows of ``table``'s current page (empty when it has none)."""
    # Per column, once: its cells, its ``td`` attributes (``None`` when an
    # attribute is callable and so depends on the cell) and its text writer.
    columns = [
        (
            column,
            _Cells(table, column).cell,
            None
            if _has_callable_attrs(column)
            else _td_attrs(column, _fixed_attrs(column)),
            _text_writer(column, context),
        )
        for column in table.columns
    ]
    # The template writes its own row class: only other row attributes count.
    has_row_attrs = bool(table.row_attrs)
    parts = []
    for row in table.paginated_rows:
        row_attrs = (
            attributes((k, v) for k, v in row.attrs.items() if k != "class")
            if has_row_attrs
            else ""
        )
        parts.append(f'<tr class="nhsuk-table__row"{row_attrs}>')
        for column, cell, fixed_attrs, text in columns:
            value = cell(row)
            attrs = fixed_attrs
            if attrs is None:  # callable attributes see this cell's record and value
                column.current_value = value
                column.current_record = row.record
                attrs = _td_attrs(column)
            parts.append(f"<td{attrs}>{text(value)}</td>")
        parts.append("</tr>")
    return mark_safe("".join(parts))  # noqa: S308 -- every piece escaped above  # nosec B308 B703


def table_values(table, exclude_columns=()):
    """What ``Table.as_values`` yields for an export: the headers, then each
    row's cells (``force_str`` of each cell's export value), worked out per
    column once as ``table_rows`` does, not per cell as django-tables2 does:
    a list's export of tens of thousands of rows took seconds in the
    library's cell lookup alone. Rows come from ``_export_rows``."""
    columns = [
        column
        for column in table.columns.iterall()
        if not (column.column.exclude_from_export or column.name in exclude_columns)
    ]
    yield [force_str(column.header, strings_only=True) for column in columns]
    cells = [_Cells(table, column) for column in columns]
    for row in _export_rows(table):
        yield [force_str(cell.export_value(row), strings_only=True) for cell in cells]


# Records an export reads from the database at a time.
EXPORT_CHUNK = 2000


def _export_rows(table):
    """Every row of ``table``, in its order, for an export: a queryset's
    records are read ``EXPORT_CHUNK`` at a time and let go once written,
    instead of every record of the export held at once (a year of a trust's
    requisitions held 125 MiB of model objects). A table with pinned rows
    goes through django-tables2's own rows."""
    queryset = getattr(table.data, "data", None)
    pinned = table.get_top_pinned_data() or table.get_bottom_pinned_data()
    if not isinstance(queryset, models.QuerySet) or pinned:
        yield from table.rows
        return
    for record in queryset.iterator(chunk_size=EXPORT_CHUNK):
        yield BoundRow(record, table=table)


def _query(request, updates: dict, removal: str | None = None) -> str:
    """``?…`` for this request with ``updates`` set and ``removal`` dropped,
    every other parameter kept (repeated ones too), not escaped."""
    params = dict(request.GET)
    params.update(updates)
    params.pop(removal, None)
    return "?" + urlencode(params, doseq=True)


def _query_string(request, updates: dict, removal: str) -> str:
    """``_query`` escaped: what django-tables2's ``{% querystring_replace %}``
    writes."""
    return html.escape(_query(request, updates, removal))


@register.simple_tag(takes_context=True)
def page_query(context, param: str, number: int) -> str:
    """``?…`` for this request showing page ``number`` of ``param``, every other
    parameter kept (the template escapes it)."""
    return _query(context["request"], {param: [str(number)]})


def _header_text(header, context) -> str:
    """``{{ column.header }}``: text (usually lazily translated) escaped as
    the template escapes it, anything else rendered as the template would."""
    if isinstance(header, (str, Promise)):
        text = str(header)
        return escaped(text) if context.autoescape else text
    return render_value_in_context(header, context)


@register.simple_tag(takes_context=True)
def table_head(context, table) -> SafeString:
    """The header row's ``<th>`` cells: each sortable header a link that sorts
    by it (back to page 1) and carries ``aria-sort``."""
    request = context["request"]
    order_field = table.prefixed_order_by_field
    page_field = table.prefixed_page_field
    parts = []
    for column in table.columns:
        th = _fixed_attrs(column).get("th", {})
        classes = "nhsuk-table__header"
        if th.get("class"):
            classes += " " + escaped(th["class"])
        attrs = f' class="{classes}"'
        header = _header_text(column.header, context)
        if column.orderable:
            alias = column.order_by_alias
            if column.is_ordered:
                sort = "descending" if alias.is_descending else "ascending"
            else:
                sort = "none"
            attrs += f' aria-sort="{sort}"'
            href = _query_string(request, {order_field: alias.next}, page_field)
            header = f'<a href="{href}">{header}</a>'
        attrs += attributes((key, value) for key, value in th.items() if key != "class")
        parts.append(f'<th scope="col"{attrs}>{header}</th>')
    return mark_safe("".join(parts))  # noqa: S308 -- every piece escaped above  # nosec B308 B703
