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
choice labels.
"""

from django import template
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.template.base import render_value_in_context
from django.utils.encoding import force_str
from django.utils.formats import localize
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django_tables2.columns import ManyToManyColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.utils import Accessor, call_with_appropriate

register = template.Library()


def _td_attrs(column) -> str:
    """`` class="…" key="value"`` for a column's cells, as the template wrote it."""
    attrs = column.attrs.get("td", {})
    classes = "nhsuk-table__cell"
    if attrs.get("class"):
        classes += f" {attrs['class']}"
    rest = "".join(
        format_html(' {}="{}"', key, value)
        for key, value in attrs.items()
        if key != "class"
    )
    return format_html(' class="{}"', classes) + rest


def _has_callable_attrs(column) -> bool:
    return any(
        callable(value)
        for value in getattr(column.column, "attrs", {}).get("td", {}).values()
    )


def _cell_text(column, value, context) -> str:
    if column.localize is None:
        return render_value_in_context(value, context)
    if column.localize:
        return conditional_escape(localize(value, use_l10n=True))
    return conditional_escape(localize(value, use_l10n=False))


_NO_LABELS = object()


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

    def cell(self, row):
        if self.library_only:
            return row.get_cell(self.bound_column.name)
        record = row.record
        value = None
        parent = self.parent.resolve(record, quiet=True)
        labels = (
            self._choice_labels(record, parent)
            if isinstance(parent, models.Model)
            else _NO_LABELS
        )
        if labels is not _NO_LABELS:
            stored = getattr(parent, self.remainder)
            value = labels.get(make_hashable(stored), stored)
        elif self.remainder:
            try:
                value = self.accessor.resolve(record)
            except Exception:  # django-tables2 shows the default then
                value = None
        if value in self.column.empty_values:
            return self.default
        kwargs = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": self.bound_column,
            "bound_row": row,
            "table": self.table,
        }
        content = call_with_appropriate(self.render, kwargs)
        return self.link(content, **kwargs) if self.link else content


@register.simple_tag(takes_context=True)
def table_rows(context, table) -> SafeString:
    """The ``<tr>`` rows of ``table``'s current page (empty when it has none)."""
    columns = [(column, _Cells(table, column)) for column in table.columns]
    fixed = {
        column.name: _td_attrs(column)
        for column, _cells in columns
        if not _has_callable_attrs(column)
    }
    html = []
    for row in table.paginated_rows:
        row_attrs = "".join(
            format_html(' {}="{}"', key, value)
            for key, value in row.attrs.items()
            if key != "class"
        )
        html.append(f'<tr class="nhsuk-table__row"{row_attrs}>')
        for column, cells in columns:
            value = cells.cell(row)
            attrs = fixed.get(column.name)
            if attrs is None:  # callable attributes see this cell's record and value
                column.current_value = value
                column.current_record = row.record
                attrs = _td_attrs(column)
            html.append(f"<td{attrs}>{_cell_text(column, value, context)}</td>")
        html.append("</tr>")
    return mark_safe("".join(html))  # noqa: S308 -- every piece escaped above  # nosec B308 B703
