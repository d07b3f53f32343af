"""Money rounding: the one place amounts are rounded (DESIGN §3)."""

from decimal import ROUND_HALF_UP, Decimal

PENNY = Decimal("0.01")
UNIT_PRICE_PLACES = Decimal("0.0001")
ZERO = Decimal("0.00")


def to_pennies(amount: Decimal) -> Decimal:
    """Round an amount a person sees or pays to the penny, half up (DESIGN §3)."""
    return Decimal(amount).quantize(PENNY, rounding=ROUND_HALF_UP)


def to_unit_price(amount: Decimal) -> Decimal:
    """Round a unit price or fuel margin to the 4 places it is stored with."""
    return Decimal(amount).quantize(UNIT_PRICE_PLACES, rounding=ROUND_HALF_UP)
