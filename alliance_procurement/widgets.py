"""Widgets that render in Python where Django's templates cost too much.

Django renders each ``<option>`` of a select through its own template: a list
page's filter form with a few hundred options spends more time there than
on its rows. ``OptionsSelect`` writes the same markup directly, escaped the
same way.
"""

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


class OptionsSelect(forms.Select):
    """A ``Select`` whose options are written in Python (same HTML as Django's)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = []
        for group_name, options, _index in widget["optgroups"]:
            rendered = format_html_join(
                "",
                '<option value="{}"{}>{}</option>',
                (
                    (
                        "" if option["value"] is None else str(option["value"]),
                        flatatt(option["attrs"]),
                        option["label"],
                    )
                    for option in options
                ),
            )
            if group_name:
                rendered = format_html(
                    '<optgroup label="{}">{}</optgroup>', group_name, rendered
                )
            parts.append(rendered)
        return format_html(
            '<select name="{}"{}>{}</select>',
            widget["name"],
            flatatt(widget["attrs"]),
            mark_safe("".join(parts)),  # noqa: S308 -- each part built by format_html  # nosec B308 B703
        )
