"""``{% table_rows table %}``: a table's rows on this page, written in Python.

The NHS table template (``templates/django_tables2/table.html``) used to loop
over cells in the template language, asking each cell's column for its
attributes twice: on a list page that was most of the server time. This tag
writes the same ``<tr>``/``<td>`` markup, working out each column's ``td``
attributes once per table (per cell only when an attribute is callable, as
django-tables2 allows), and leaves the cell values to django-tables2.
"""

from django import template
from django.template.base import render_value_in_context
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeString, mark_safe

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


@register.simple_tag(takes_context=True)
def table_rows(context, table) -> SafeString:
    """The ``<tr>`` rows of ``table``'s current page (empty when it has none)."""
    columns = list(table.columns)
    fixed = {
        column.name: _td_attrs(column)
        for column in columns
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
        for column, cell in row.items():
            attrs = fixed.get(column.name)
            if attrs is None:  # callable attributes see this cell's record
                attrs = _td_attrs(column)
            html.append(f"<td{attrs}>{_cell_text(column, cell, context)}</td>")
        html.append("</tr>")
    return mark_safe("".join(html))  # noqa: S308 -- every piece escaped above  # nosec B308 B703
