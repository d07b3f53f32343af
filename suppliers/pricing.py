"""Price tiers and index-linked fuel as pure Decimal functions (DESIGN §3).

Nothing here touches the database: callers pass tiers and index prices in.
"""

import datetime
import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext as _

FIXED = "fixed"
INDEX_LINKED = "index_linked"


@dataclass(frozen=True, order=True)
class Tier:
    """A quantity break: from ``min_quantity`` units, ``unit_price`` each.

    For index-linked items ``unit_price`` is the margin per litre over the index.
    """

    min_quantity: int
    unit_price: Decimal


class PriceUnavailable(Exception):
    """A line cannot be priced; ``code`` says why (e.g. ``no_index_price``)."""

    def __init__(self, message: str, code: str):
        super().__init__(message)
        self.message = message
        self.code = code


def tier_for_quantity(tiers: Sequence[Tier], quantity: int) -> Tier:
    """Return the tier that applies to ``quantity``.

    The tier with the largest ``min_quantity`` not above the quantity applies;
    a quantity below the first tier is priced at the first tier (DESIGN §3).
    Raises ``ValueError`` when there are no tiers.
    """
    if not tiers:
        raise ValueError("A contract item needs at least one price tier.")
    ordered = sorted(tiers)
    chosen = ordered[0]
    for tier in ordered:
        if tier.min_quantity <= quantity:
            chosen = tier
        else:
            break
    return chosen


def next_tier(tiers: Sequence[Tier], quantity: int) -> Tier | None:
    """Return the first tier above the one ``quantity`` reaches, if any."""
    for tier in sorted(tiers):
        if tier.min_quantity > quantity:
            return tier
    return None


def index_price_in_force(
    prices: Iterable[tuple[datetime.date, Decimal]], on: datetime.date
) -> Decimal | None:
    """Return the index price with the latest effective date not after ``on``."""
    in_force = [(day, price) for day, price in prices if day <= on]
    return max(in_force)[1] if in_force else None


def unit_price(
    *,
    tiers: Sequence[Tier],
    quantity: int,
    price_basis: str = FIXED,
    index_price: Decimal | None = None,
) -> Decimal:
    """Return the unit price of ``quantity`` units (4 places, not rounded further).

    Fixed items take their tier's price. Index-linked fuel takes the index in
    force on the pricing date plus the tier's margin (DESIGN §3); with no index
    price in force, raise ``PriceUnavailable`` with code ``no_index_price``.
    """
    tier = tier_for_quantity(tiers, quantity)
    if price_basis == INDEX_LINKED:
        if index_price is None:
            raise PriceUnavailable(
                _("No fuel index price is in force on the pricing date."),
                code="no_index_price",
            )
        return index_price + tier.unit_price
    return tier.unit_price


def tier_errors(
    tiers: Sequence[Tier], *, minimum_order_quantity: int = 1, price_basis: str = FIXED
) -> list[str]:
    """List what breaks the tier rules of DESIGN §3; empty when the tiers are sound.

    The first tier starts at 1 or at the minimum order quantity; no two tiers
    share a minimum quantity; the unit price (or margin) never rises as the
    quantity rises; fixed prices are not negative (margins may be).
    """
    if not tiers:
        return [_("Give at least one price tier.")]
    errors = []
    ordered = sorted(tiers, key=lambda tier: tier.min_quantity)
    first = ordered[0].min_quantity
    if first not in (1, minimum_order_quantity):
        errors.append(
            _(
                "The first tier must start at 1 or at the minimum order quantity "
                "(%(moq)s), not %(first)s."
            )
            % {"moq": minimum_order_quantity, "first": first}
        )
    seen: set[int] = set()
    for tier in ordered:
        if tier.min_quantity < 1:
            errors.append(_("A tier's minimum quantity must be at least 1."))
        if tier.min_quantity in seen:
            errors.append(
                _("Two tiers start at %(quantity)s.") % {"quantity": tier.min_quantity}
            )
        seen.add(tier.min_quantity)
        if price_basis == FIXED and tier.unit_price < 0:
            errors.append(
                _("The unit price from %(quantity)s may not be negative.")
                % {"quantity": tier.min_quantity}
            )
    for lower, higher in itertools.pairwise(ordered):
        if higher.unit_price > lower.unit_price:
            errors.append(
                _(
                    "The price rises from %(low_price)s at %(low)s to %(high_price)s "
                    "at %(high)s: prices may not rise with quantity."
                )
                % {
                    "low_price": lower.unit_price,
                    "low": lower.min_quantity,
                    "high_price": higher.unit_price,
                    "high": higher.min_quantity,
                }
            )
    return errors
