"""GS1 check digits for item GTINs and site GLNs (DESIGN §2)."""

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from alliance_procurement.validators import (
    gs1_check_digit,
    is_valid_gs1,
    validate_gln,
    validate_gtin,
)

VALID_GTINS = [
    "96385074",  # GTIN-8
    "036000291452",  # GTIN-12 (UPC-A)
    "5012345678900",  # GTIN-13
    "4006381333931",  # GTIN-13
    "10614141000415",  # GTIN-14
    "00000000000000",  # all zeros: check digit 0 is right
]
# The valid GTIN-13 5012345678900 written in full-width digits.
FULL_WIDTH_GTIN = "".join(chr(0xFF10 + int(digit)) for digit in "5012345678900")
VALID_GLNS = ["5012345000008", "0614141000005", "9501101020016"]


@pytest.mark.parametrize("gtin", VALID_GTINS)
def test_valid_gtins_pass(gtin):
    """A GTIN-8, -12, -13 or -14 with the right check digit is accepted."""
    validate_gtin(gtin)


@pytest.mark.parametrize(
    "gtin",
    [
        "96385075",  # GTIN-8, check digit off by one
        "036000291453",
        "5012345678901",
        "10614141000416",
    ],
)
def test_gtin_with_wrong_check_digit_is_refused(gtin):
    """A wrong check digit is refused with code invalid_gtin."""
    with pytest.raises(ValidationError) as excinfo:
        validate_gtin(gtin)
    assert excinfo.value.code == "invalid_gtin"


@pytest.mark.parametrize(
    "gtin",
    [
        "",
        "1234567",  # 7 digits
        "123456789",  # 9 digits
        "12345678901",  # 11 digits
        "123456789012345",  # 15 digits
        "50123456789O0",  # letter O
        "5012345 78900",
        "-501234567890",
        FULL_WIDTH_GTIN,  # digits to isdigit(), but not ASCII
    ],
)
def test_gtin_of_wrong_length_or_not_digits_is_refused(gtin):
    """Only 8, 12, 13 or 14 ASCII digits can be a GTIN."""
    with pytest.raises(ValidationError):
        validate_gtin(gtin)


@pytest.mark.parametrize("gln", VALID_GLNS)
def test_valid_glns_pass(gln):
    """A 13-digit GLN with the right check digit is accepted."""
    validate_gln(gln)


@pytest.mark.parametrize(
    "gln",
    [
        "5012345000005",  # wrong check digit
        "501234500000",  # 12 digits
        "50123450000040",  # 14 digits, though a valid GTIN-14 shape
        "96385074",  # a valid GTIN-8 is not a GLN
        "501234500000A",
        "",
    ],
)
def test_invalid_glns_are_refused(gln):
    """A GLN is exactly 13 digits with the right check digit."""
    with pytest.raises(ValidationError) as excinfo:
        validate_gln(gln)
    assert excinfo.value.code == "invalid_gln"


def test_error_message_names_the_value():
    """The message quotes the bad value so a user can find it."""
    with pytest.raises(ValidationError) as excinfo:
        validate_gtin("5012345678901")
    assert "5012345678901" in excinfo.value.messages[0]


@given(
    body=st.text(alphabet="0123456789", min_size=7, max_size=13).filter(
        lambda body: len(body) + 1 in (8, 12, 13, 14)
    )
)
def test_exactly_one_check_digit_completes_any_body(body):
    """For any body, the computed digit is valid and each other digit is not."""
    right = gs1_check_digit(body)
    for digit in range(10):
        assert is_valid_gs1(f"{body}{digit}", (8, 12, 13, 14)) is (digit == right)
