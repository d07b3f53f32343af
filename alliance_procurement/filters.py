"""Shared django-filter pieces for list pages in NHS.UK style.

- ``NHSFilterSet``: a ``FilterSet`` whose form gives every widget its NHS
  class (``NHSFormMixin``); render it with ``templates/includes/filter_form.html``.
- ``SearchFilter``: one text box searching several fields at once
  (case-insensitive "contains", any field may match).

Example::

    class ItemFilter(NHSFilterSet):
        q = SearchFilter(fields=("name", "sku"))

        class Meta:
            model = Item
            fields = ["category", "kind"]
"""

from functools import cache

from django import forms
from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_filters import CharFilter, FilterSet

from alliance_procurement.forms import NHSFormMixin
from alliance_procurement.widgets import OptionsSelect, quick_input

SEARCH_MAX_LENGTH = 100


class NHSFilterForm(NHSFormMixin, forms.Form):
    """The form behind every ``NHSFilterSet``."""


def _quick_widgets(fields) -> None:
    """Render the fields' plain selects with ``OptionsSelect`` and their
    plain inputs with ``quick_input`` (same HTML, faster)."""
    for field in fields:
        widget = field.widget
        if type(widget) is forms.Select:
            quick = OptionsSelect(attrs=widget.attrs, choices=widget.choices)
            quick.is_required = widget.is_required
            field.widget = quick
        else:
            quick_input(widget)


@cache
def _nhs_form(form_class: type[forms.Form]) -> type[forms.Form]:
    """``form_class`` with the NHS styling (``NHSFormMixin``), made once."""
    if issubclass(form_class, NHSFormMixin):
        return form_class
    return type(form_class.__name__, (NHSFormMixin, form_class), {})


# Form classes of filter sets whose fields are the same on every request,
# by filter set class and the filters it shows.
_FORM_CLASSES: dict[tuple, type[forms.Form]] = {}


class NHSFilterSet(FilterSet):
    """A filter set whose form is styled and accessible the NHS.UK way.

    django-filter makes the form class, and a form field for every filter,
    afresh for each request. A filter set whose fields are the same on every
    request (no queryset or choices given per request, in ``__init__`` or as
    a callable) sets ``same_fields_every_request``: its form class is then
    made once for each set of filters it shows, and each form copies its
    fields from the class, as every Django form does.
    """

    same_fields_every_request = False

    def get_form_class(self):
        if not self.same_fields_every_request:
            return self._new_form_class()
        key = (type(self), tuple(self.filters))
        form_class = _FORM_CLASSES.get(key)
        if form_class is None:
            if any(
                callable(getattr(filter_, "queryset", None))
                for filter_ in self.filters.values()
            ):
                raise ImproperlyConfigured(
                    f"{type(self).__name__} has a queryset given per request: "
                    "its fields are not the same on every request."
                )
            form_class = _FORM_CLASSES[key] = self._new_form_class()
        return form_class

    def _new_form_class(self) -> type[forms.Form]:
        # django-filter's own class, built on the NHS form in one step.
        fields = {name: filter_.field for name, filter_ in self.filters.items()}
        _quick_widgets(fields.values())
        return type(f"{type(self).__name__}Form", (_nhs_form(self._meta.form),), fields)


class SearchFilter(CharFilter):
    """Search ``fields`` for the typed text; a row matches if any field does.

    Leading and trailing spaces are ignored and an empty box filters nothing.
    Searching across a many-valued relation can repeat rows: add ``distinct``
    to the queryset then.
    """

    def __init__(self, *, fields: tuple[str, ...] | list[str], **kwargs):
        self.search_fields = tuple(fields)
        kwargs.setdefault("label", _("Search"))
        kwargs.setdefault("max_length", SEARCH_MAX_LENGTH)
        super().__init__(**kwargs)

    def filter(self, qs, value):
        text = (value or "").strip()
        if not text:
            return qs
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": text})
        return qs.filter(query)
