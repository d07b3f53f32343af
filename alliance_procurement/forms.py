"""NHS.UK frontend styling for Django forms: classes, hints and linked errors."""

from django import forms

_WIDGET_CLASSES = {
    forms.Select: "nhsuk-select",
    forms.SelectMultiple: "nhsuk-select",
    forms.Textarea: "nhsuk-textarea",
    forms.CheckboxInput: "nhsuk-checkboxes__input",
    forms.ClearableFileInput: "nhsuk-file-upload",
    forms.FileInput: "nhsuk-file-upload",
}
_ERROR_CLASSES = {
    "nhsuk-select": "nhsuk-select--error",
    "nhsuk-textarea": "nhsuk-textarea--error",
    "nhsuk-input": "nhsuk-input--error",
}


class NHSFormMixin:
    """Give every widget its NHS class, and point it at its hint and error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            widget = field.widget
            css = next(
                (
                    cls
                    for kind, cls in _WIDGET_CLASSES.items()
                    if isinstance(widget, kind)
                ),
                "nhsuk-input",
            )
            widget.attrs["class"] = f"{css} {widget.attrs.get('class', '')}".strip()
            described = []
            if field.help_text:
                described.append(f"{self.auto_id % self.add_prefix(name)}-hint")
            if described:
                widget.attrs["aria-describedby"] = " ".join(described)

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name not in self.fields:
                continue
            widget = self.fields[name].widget
            field_id = self.auto_id % self.add_prefix(name)
            for base, error_class in _ERROR_CLASSES.items():
                if base in widget.attrs.get("class", "").split():
                    widget.attrs["class"] += f" {error_class}"
            described = widget.attrs.get("aria-describedby", "").split()
            described.append(f"{field_id}-error")
            widget.attrs["aria-describedby"] = " ".join(described)
            widget.attrs["aria-invalid"] = "true"
