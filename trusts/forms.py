from django.contrib.auth.forms import AuthenticationForm

from alliance_procurement.forms import NHSFormMixin


class LoginForm(NHSFormMixin, AuthenticationForm):
    """Django's sign-in form in NHS style (``username`` and ``password`` fields)."""
