"""Forms of pooling rounds and receipts: shape only, rules stay in services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from alliance_procurement.forms import NHSFormMixin
from suppliers.models import MAX_LINE_QUANTITY


class PoolingRoundOpenForm(NHSFormMixin, forms.Form):
    cut_off = forms.DateTimeField(
        label=_("Cut-off"),
        help_text=_(
            "Approved lines submitted before this date and time (UK time) are "
            "pooled. For example, 2026-11-30 17:00."
        ),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%d"],
        widget=forms.DateTimeInput(
            attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"
        ),
        error_messages={
            "required": _("Enter the cut-off date and time."),
            "invalid": _(
                "Enter the cut-off as a date and time, like 2026-11-30 17:00."
            ),
        },
    )


class AllocationReceiveForm(NHSFormMixin, forms.Form):
    allocation = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    quantity = forms.IntegerField(
        label=_("Quantity received"),
        min_value=1,
        max_value=MAX_LINE_QUANTITY,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
        error_messages={
            "required": _("Enter the quantity received."),
            "invalid": _("Enter the quantity received as a whole number."),
            "min_value": _("Enter a quantity of at least 1."),
        },
    )
    note = forms.CharField(label=_("Note (optional)"), max_length=300, required=False)


class PreviewGroupFilterForm(NHSFormMixin, forms.Form):
    """Find groups in a round's preview, sent by GET: by contract, by item."""

    contract = forms.TypedChoiceField(
        label=_("Contract"), coerce=int, required=False, empty_value=None
    )
    item = forms.CharField(
        label=_("Item SKU or name contains"), max_length=100, required=False
    )

    def __init__(self, *args, contracts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contract"].choices = [("", _("All contracts"))] + [
            (contract.pk, f"{contract.reference} – {contract.supplier.name}")
            for contract in contracts
        ]
