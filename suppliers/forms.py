"""Forms for contract managers: uploading a catalogue or a price list."""

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from alliance_procurement.forms import NHSFormMixin
from suppliers.models import Contract

# Browsers send text/csv; Excel on Windows labels .csv files with its own type.
CSV_CONTENT_TYPES = frozenset(
    {"text/csv", "application/csv", "application/vnd.ms-excel", "text/plain"}
)


class ImportUploadForm(NHSFormMixin, forms.Form):
    """A .csv file no larger than ``settings.MAX_IMPORT_UPLOAD_BYTES``."""

    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("A .csv file saved as UTF-8 (“CSV UTF-8” in Excel)."),
        widget=forms.FileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        limit = settings.MAX_IMPORT_UPLOAD_BYTES
        if upload.size > limit:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s."),
                code="too_large",
                params={"limit": filesizeformat(limit)},
            )
        if not (upload.name or "").lower().endswith(".csv"):
            raise forms.ValidationError(_("Choose a .csv file."), code="not_csv")
        content_type = (upload.content_type or "").split(";")[0].strip().lower()
        if content_type not in CSV_CONTENT_TYPES:
            raise forms.ValidationError(
                _("The file must be a CSV file (text/csv)."), code="not_csv"
            )
        return upload


class CatalogueImportForm(ImportUploadForm):
    """Upload a catalogue file."""


class PriceListImportForm(ImportUploadForm):
    """Upload a price list for one contract."""

    contract = forms.ModelChoiceField(
        label=_("Contract"),
        queryset=Contract.objects.select_related("supplier").order_by("reference"),
        empty_label=_("Choose a contract"),
        to_field_name="reference",
        help_text=_("The file replaces this contract's items and price tiers."),
    )

    field_order = ["contract", "file"]
