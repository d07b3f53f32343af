"""``{% form_field field %}``: one form field in NHS.UK style, written in Python.

Label, hint and each error linked to the input by id, then the widget: the
markup every form uses (``templates/includes/field.html`` calls this tag).
Written in Python because a list page's filter form renders it for every
field on every request, where the template language cost more than the
table's rows.
"""

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


@register.simple_tag
def form_field(field) -> SafeString:
    """The field's ``nhsuk-form-group``: label, hint, errors, widget."""
    errors = field.errors
    label_for = field.id_for_label
    parts = [
        format_html(
            '<div class="nhsuk-form-group{}">\n  <label class="nhsuk-label" '
            'for="{}">{}</label>\n',
            " nhsuk-form-group--error" if errors else "",
            label_for,
            field.label,
        )
    ]
    if field.help_text:
        parts.append(
            format_html(
                '  <div class="nhsuk-hint" id="{}-hint">{}</div>\n',
                label_for,
                field.help_text,
            )
        )
    for error in errors:
        parts.append(
            format_html(
                '  <span class="nhsuk-error-message" id="{}-error">'
                '<span class="nhsuk-u-visually-hidden">Error:</span> {}</span>\n',
                label_for,
                error,
            )
        )
    parts.append(f"  {field}\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 -- each part escaped above  # nosec B308 B703
