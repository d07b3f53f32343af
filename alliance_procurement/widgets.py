"""Widgets that render in Python where Django's templates cost too much.

Django renders each ``<option>`` of a select through its own template and
builds a dictionary of context per option; a model choice field also reads
its choices through a server-side cursor (three round trips to PostgreSQL).
On a list page's filter form that cost more than the page's rows.
``OptionsSelect`` writes the same markup directly, escaped the same way, and
reads a model choice field's rows with one plain query, or from the cache for
models whose choices are kept (``alliance_procurement.choices``).
``quick_input`` does the same for a one-line ``<input>`` (text, number,
month...), which Django renders through two templates.
"""

from functools import cache

from django import forms
from django.forms.models import ModelChoiceIterator
from django.utils.safestring import mark_safe

from alliance_procurement.choices import is_kept, kept_choices
from alliance_procurement.markup import escaped, flat_attributes


def _choices(choices):
    """``(value, label)`` pairs; a model field's rows kept or fetched in one query."""
    if not isinstance(choices, ModelChoiceIterator):
        return choices
    field = choices.field
    head = [] if field.empty_label is None else [("", field.empty_label)]
    if is_kept(field.queryset.model):
        return head + kept_choices(field)
    return head + [choices.choice(obj) for obj in choices.queryset.all()]


class OptionsSelect(forms.Select):
    """A ``Select`` whose options are written in Python (same HTML as Django's)."""

    def render(self, name, value, attrs=None, renderer=None):
        wanted = set(self.format_value(value))
        selected_one = False

        def option(value, label) -> str:
            nonlocal selected_one
            text = "" if value is None else str(value)
            # A single select marks only the first matching option, as Django does.
            selected = text in wanted and (
                self.allow_multiple_selected or not selected_one
            )
            selected_one |= selected
            mark = " selected" if selected else ""
            return f'<option value="{escaped(text)}"{mark}>{escaped(label)}</option>'

        parts = []
        for value_or_group, label in _choices(self.choices):
            if isinstance(label, (list, tuple)):
                options = "".join(option(v, sub) for v, sub in label)
                parts.append(
                    f'<optgroup label="{escaped(value_or_group)}">{options}</optgroup>'
                )
            else:
                parts.append(option(value_or_group, label))
        final_attrs = flat_attributes(self.build_attrs(self.attrs, attrs))
        options = "".join(parts)
        select = f'<select name="{escaped(name)}"{final_attrs}>{options}</select>'
        return mark_safe(select)  # noqa: S308 -- every part escaped above  # nosec B308 B703


# Inputs whose markup is Django's ``input.html`` and nothing else.
PLAIN_INPUTS = (
    forms.TextInput,
    forms.NumberInput,
    forms.EmailInput,
    forms.URLInput,
    forms.SearchInput,
    forms.TelInput,
    forms.DateInput,
    forms.DateTimeInput,
    forms.TimeInput,
)


class _InputMarkup:
    """``render`` of an ``Input`` written in Python: the same text as
    ``django/forms/widgets/input.html`` with its ``attrs.html`` (a ``False``
    attribute left out, a ``True`` one written bare)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [f'<input type="{escaped(widget["type"])}"']
        parts.append(f' name="{escaped(widget["name"])}"')
        if widget["value"] is not None:
            parts.append(f' value="{escaped(widget["value"])}"')
        for key, attr in widget["attrs"].items():
            if attr is True:
                parts.append(f" {escaped(key)}")
            elif attr is not False:
                parts.append(f' {escaped(key)}="{escaped(attr)}"')
        parts.append(">")
        return mark_safe("".join(parts))  # noqa: S308 -- every part escaped above  # nosec B308 B703


@cache
def _quick_class(widget_class: type) -> type:
    return type(widget_class.__name__, (_InputMarkup, widget_class), {})


def quick_input(widget: forms.Widget) -> forms.Widget:
    """``widget``, from now on rendered in Python if it is exactly one of the
    ``PLAIN_INPUTS`` with Django's own template (not a subclass, not given
    another ``template_name``)."""
    widget_class = type(widget)
    if (
        widget_class in PLAIN_INPUTS
        and widget.template_name == widget_class.template_name
    ):
        widget.__class__ = _quick_class(widget_class)
    return widget
