"""Forms of the sign-in pages: the one-time code of two-factor sign-in."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from alliance_procurement.forms import NHSFormMixin


class _CodeField(forms.CharField):
    def to_python(self, value):
        # "123 456" as some apps show it is the same code.
        return super().to_python(value).replace(" ", "")


class OTPTokenForm(NHSFormMixin, forms.Form):
    """Six digits from the authenticator app."""

    token = _CodeField(
        label=_("Security code"),
        help_text=_("The 6-digit code shown in your authenticator app."),
        max_length=12,
        validators=[RegexValidator(r"^\d{6}$", _("Enter the 6 digits of the code."))],
        widget=forms.TextInput(
            attrs={
                "autocomplete": "one-time-code",
                "inputmode": "numeric",
                "class": "nhsuk-input--width-10",
            }
        ),
    )
