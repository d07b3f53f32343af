"""Requisition forms: the shape of what is typed; the rules are in services."""

import re

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from alliance_procurement.forms import NHSFormMixin
from orders.selectors import requisitions as selectors
from orders.services.requisitions import LineInput
from suppliers.models import MAX_LINE_QUANTITY
from trusts import selectors as trust_selectors

LINE_PREFIX = "lines"
# The name of the form's "Add a line" button where the page runs no JavaScript.
ADD_LINE = "add_line"
MAX_LINES = 200
_LINE_KEY = re.compile(rf"^{LINE_PREFIX}-(\d+)-(item|quantity)$")
# ASCII digits only: "5.0", "1_000" or other scripts' digits are not typed
# quantities, though Python's int() would take them.
_WHOLE_NUMBER = re.compile(r"^\+?[0-9]+$", re.ASCII)
QUANTITY_MESSAGE = _("Enter the quantity as a whole number from 1 to 10,000,000.")


class WholeNumberField(forms.IntegerField):
    """A whole number typed as plain ASCII digits (an optional leading plus)."""

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not _WHOLE_NUMBER.match(text):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        if len(text.lstrip("+").lstrip("0")) > len(str(MAX_LINE_QUANTITY)):
            # Far out of range: refused before int() meets a thousand digits.
            raise ValidationError(self.error_messages["max_value"], code="max_value")
        return int(text)


class RequisitionForm(NHSFormMixin, forms.Form):
    """Site, cost centre, needed-by date and notes; choices of the user's trust."""

    site = forms.ModelChoiceField(
        label=_("Delivery site"), queryset=None, empty_label=_("Choose a site")
    )
    cost_centre = forms.ModelChoiceField(
        label=_("Cost centre"), queryset=None, empty_label=_("Choose a cost centre")
    )
    needed_by = forms.DateField(
        label=_("Needed by"),
        help_text=_("Today or later."),
        widget=forms.DateInput(
            attrs={"type": "date", "class": "nhsuk-input--width-10"},
            format="%Y-%m-%d",
        ),
        error_messages={
            "required": _("Enter the date it is needed by."),
            "invalid": _("Enter a real date, for example 2026-12-31."),
        },
    )
    notes = forms.CharField(
        label=_("Notes (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, trust, **kwargs):
        # Fields are set before NHSFormMixin styles them.
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = trust_selectors.sites_for_trust(trust)
        self.fields["site"].error_messages["required"] = _("Choose a delivery site.")
        self.fields["cost_centre"].queryset = trust_selectors.cost_centres_for_trust(
            trust
        )
        self.fields["cost_centre"].error_messages["required"] = _(
            "Choose a cost centre."
        )


class RequisitionLineForm(NHSFormMixin, forms.Form):
    """One line: the item as typed (SKU, NHS code or name) and a quantity."""

    item = forms.CharField(
        label=_("Item"),
        max_length=200,
        help_text=_("Type part of its name, SKU or NHS code, then pick it."),
        error_messages={"required": _("Enter an item.")},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    quantity = WholeNumberField(
        label=_("Quantity"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        error_messages={
            "required": QUANTITY_MESSAGE,
            "invalid": QUANTITY_MESSAGE,
            "min_value": QUANTITY_MESSAGE,
            "max_value": QUANTITY_MESSAGE,
        },
        widget=forms.NumberInput(
            attrs={
                "inputmode": "numeric",
                "step": "1",
                "class": "nhsuk-input--width-10",
            }
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The item box suggests matches as it is typed: htmx fills its datalist.
        self.fields["item"].widget.attrs.update(
            {
                "list": f"{self.prefix}-item-options",
                "hx-get": reverse("orders:requisition-item-search"),
                "hx-trigger": "input changed delay:250ms",
                "hx-target": f"#{self.prefix}-item-options",
                "hx-swap": "innerHTML",
                "hx-include": "this",
            }
        )

    def clean_item(self):
        text = self.cleaned_data["item"]
        item = selectors.item_find(text=text)
        if item is None:
            raise ValidationError(
                _(
                    "No item matches “%(text)s”: type part of its name, SKU or NHS "
                    "code and pick one from the list."
                ),
                code="unknown_item",
                params={"text": text},
            )
        self.item = item
        return item.sku


class BaseRequisitionLineFormSet(forms.BaseFormSet):
    """Lines as a formset whose forms are all optional until filled in.

    Lines are added and removed in place, so every form is an extra one: a
    removed line simply is not sent. ``line_inputs()`` gives what services
    take.
    """

    def initial_form_count(self):
        return 0

    def clean(self):
        if any(self.errors):
            return
        if not any(form.has_changed() for form in self.forms):
            raise ValidationError(_("Add at least one line."), code="no_lines")

    def line_inputs(self) -> list[LineInput]:
        return [
            LineInput(item_id=form.item.pk, quantity=form.cleaned_data["quantity"])
            for form in self.forms
            if form.has_changed() and form.cleaned_data
        ]


def line_formset_class(extra: int = 1):
    return forms.formset_factory(
        RequisitionLineForm,
        formset=BaseRequisitionLineFormSet,
        extra=extra,
        max_num=MAX_LINES,
        validate_max=True,
        absolute_max=MAX_LINES,
    )


def line_formset(data=None, initial=None):
    """Bound to ``data`` (compacted) or showing ``initial`` lines (or one empty)."""
    if data is not None:
        data = compact_lines(data)
        return line_formset_class()(data, prefix=LINE_PREFIX)
    initial = initial or []
    return line_formset_class(extra=max(1, len(initial)))(
        initial=initial, prefix=LINE_PREFIX
    )


def _posted_lines(data) -> list[dict[str, str]]:
    """The posted lines in page order, without removed and empty ones."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = _LINE_KEY.match(key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = value.strip()
    return [rows[i] for i in sorted(rows) if any(rows[i].values())][:MAX_LINES]


def with_line_added(data, *, trust) -> tuple["RequisitionForm", forms.BaseFormSet]:
    """The form as posted, unchecked and unsaved, with an empty line after
    the others: what "Add a line" shows when the page runs no JavaScript
    (with it, htmx adds the line in place)."""
    header = RequisitionForm(
        trust=trust,
        initial={name: data.get(name, "") for name in RequisitionForm.base_fields},
    )
    return header, line_formset(initial=[*_posted_lines(data), {}])


def compact_lines(data) -> dict:
    """Renumber the posted lines 0, 1, 2 … dropping removed and empty ones.

    Rows removed in the page leave gaps in the numbering; after this, line
    *n* in a message is the *n*-th line on the page.
    """
    kept = _posted_lines(data)
    compacted = {
        key: value for key, value in data.items() if not key.startswith(LINE_PREFIX)
    }
    for index, row in enumerate(kept):
        for field, value in row.items():
            compacted[f"{LINE_PREFIX}-{index}-{field}"] = value
    compacted[f"{LINE_PREFIX}-TOTAL_FORMS"] = str(max(1, len(kept)))
    compacted[f"{LINE_PREFIX}-INITIAL_FORMS"] = "0"
    return compacted


def apply_service_errors(form, formset, exc: ValidationError) -> None:
    """Put a service's errors next to the field or line they name.

    Errors with ``params`` naming a line and field go on that line's field;
    errors keyed by a header field go on it; the rest go to the form.
    """
    errors = exc.error_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc}
    for field, field_errors in errors.items():
        for error in ValidationError(field_errors).error_list:
            params = error.params or {}
            line = params.get("line") if isinstance(params, dict) else None
            if line and 0 < line <= len(formset.forms):
                formset.forms[line - 1].add_error(params.get("field"), error)
            elif field in form.fields:
                form.add_error(field, error)
            else:
                form.add_error(None, error)


def error_summary(form, formset=None) -> list[dict]:
    """The error summary's entries, each linking to its field (NHS pattern)."""
    entries = []
    for name, errors in form.errors.items():
        anchor = f"#{form[name].id_for_label}" if name in form.fields else "#lines"
        entries += [{"text": error, "href": anchor} for error in errors]
    if formset is not None:
        entries += [{"text": e, "href": "#lines"} for e in formset.non_form_errors()]
        for number, line_form in enumerate(formset.forms, start=1):
            for name, errors in line_form.errors.items():
                anchor = (
                    f"#{line_form[name].id_for_label}"
                    if name in line_form.fields
                    else "#lines"
                )
                label = line_form.fields[name].label if name in line_form.fields else ""
                for error in errors:
                    entries.append(
                        {"text": _line_text(number, label, error), "href": anchor}
                    )
    return entries


def _line_text(number: int, label: str, error: str) -> str:
    """``Line 2: Quantity: …`` unless the message already names its line."""
    text = str(error)
    if text.startswith(gettext("Line %(line)s:") % {"line": number}):
        return text
    if label:
        return gettext("Line %(line)s: %(field)s: %(problem)s") % {
            "line": number,
            "field": label,
            "problem": text,
        }
    return gettext("Line %(line)s: %(problem)s") % {"line": number, "problem": text}


class RejectForm(NHSFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejecting"),
        help_text=_("The requester sees this reason."),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Give a reason for rejecting.")},
    )


class CancelForm(NHSFormMixin, forms.Form):
    reason = forms.CharField(
        label=_("Reason for cancelling (optional)"),
        help_text=_("Kept in the requisition's history."),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class LineEstimateQuery(forms.Form):
    """The parameters of the line estimate endpoint."""

    prefix = forms.RegexField(regex=rf"^{LINE_PREFIX}-\d{{1,3}}$")
