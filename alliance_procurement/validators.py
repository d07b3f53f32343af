"""GS1 identifiers shared by sites (GLN) and items (GTIN)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

GTIN_LENGTHS = (8, 12, 13, 14)


def gs1_check_digit(body: str) -> int:
    """Return the GS1 mod-10 check digit for the digits that precede it.

    Weights alternate 3, 1 starting from the rightmost digit of ``body``.
    """
    total = sum(
        int(digit) * (3 if position % 2 == 0 else 1)
        for position, digit in enumerate(reversed(body))
    )
    return (10 - total % 10) % 10


def is_valid_gs1(code: str, lengths: tuple[int, ...]) -> bool:
    """Tell whether ``code`` is all digits, of an allowed length, check digit right."""
    if not code.isdigit() or not code.isascii() or len(code) not in lengths:
        return False
    return gs1_check_digit(code[:-1]) == int(code[-1])


def validate_gtin(value: str) -> None:
    """Accept a GTIN-8, -12, -13 or -14 whose check digit is right."""
    if not is_valid_gs1(value, GTIN_LENGTHS):
        raise ValidationError(
            _(
                "%(value)s is not a valid GTIN: 8, 12, 13 or 14 digits with a correct "
                "check digit."
            ),
            code="invalid_gtin",
            params={"value": value},
        )


def validate_gln(value: str) -> None:
    """Accept a 13-digit GS1 Global Location Number whose check digit is right."""
    if not is_valid_gs1(value, (13,)):
        raise ValidationError(
            _("%(value)s is not a valid GLN: 13 digits with a correct check digit."),
            code="invalid_gln",
            params={"value": value},
        )
