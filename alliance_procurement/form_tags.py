"""``{% form_field field %}``: one form field in NHS.UK style, written in Python.

Label, hint and each error linked to the input by id, then the widget: the
markup every form uses (``templates/includes/field.html`` calls this tag).
Written in Python because a list page's filter form renders it for every
field on every request, where the template language cost more than the
table's rows.
"""

from django import template
from django.utils.safestring import SafeString, mark_safe

from alliance_procurement.markup import escaped

register = template.Library()


@register.simple_tag
def form_field(field) -> SafeString:
    """The field's ``nhsuk-form-group``: label, hint, errors, widget."""
    errors = field.errors
    label_for = escaped(field.id_for_label)
    error_class = " nhsuk-form-group--error" if errors else ""
    label = escaped(field.label)
    parts = [
        f'<div class="nhsuk-form-group{error_class}">\n'
        f'  <label class="nhsuk-label" for="{label_for}">{label}</label>\n'
    ]
    if field.help_text:
        parts.append(
            f'  <div class="nhsuk-hint" id="{label_for}-hint">'
            f"{escaped(field.help_text)}</div>\n"
        )
    for error in errors:
        parts.append(
            f'  <span class="nhsuk-error-message" id="{label_for}-error">'
            '<span class="nhsuk-u-visually-hidden">Error:</span> '
            f"{escaped(error)}</span>\n"
        )
    parts.append(f"  {field}\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 -- each part escaped above  # nosec B308 B703
