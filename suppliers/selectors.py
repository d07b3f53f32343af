"""Reads about suppliers, contracts and prices."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from catalogue.models import Item
from suppliers import pricing
from suppliers.models import (
    Contract,
    ContractItem,
    FuelIndexPrice,
    FuelPriceIndex,
    ImportBatch,
    PriceTier,
    Supplier,
)
from trusts.models import Trust

AMOUNT_FIELD = DecimalField(max_digits=14, decimal_places=2)


@dataclass(frozen=True)
class PriceQuote:
    """What one contract charges for a quantity of an item on a date."""

    contract: Contract
    contract_item: ContractItem
    tier: pricing.Tier
    unit_price: Decimal


def tiers_of(contract_item: ContractItem) -> list[pricing.Tier]:
    """The contract item's tiers as pure values (uses prefetched tiers if present)."""
    return [
        pricing.Tier(min_quantity=tier.min_quantity, unit_price=tier.unit_price)
        for tier in contract_item.tiers.all()
    ]


def index_prices_in_force(
    index_ids: Iterable[int], on: datetime.date
) -> dict[int, Decimal]:
    """Return, per fuel index, the price in force on ``on``; indices without one
    are left out."""
    ids = set(index_ids)
    if not ids:
        return {}
    rows = (
        FuelIndexPrice.objects.filter(index_id__in=ids, effective_date__lte=on)
        .order_by("index_id", "-effective_date")
        .values_list("index_id", "price_per_litre")
    )
    prices: dict[int, Decimal] = {}
    for index_id, price in rows:
        prices.setdefault(index_id, price)
    return prices


def contract_items_priced_on(
    *, item_ids: Iterable[int], on: datetime.date
) -> QuerySet[ContractItem]:
    """Contract items for these items on contracts active on ``on``, with tiers."""
    return (
        ContractItem.objects.filter(
            item_id__in=list(item_ids),
            contract__in=Contract.objects.active_on(on),
        )
        .select_related("contract", "item", "fuel_index")
        .prefetch_related(
            Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity")),
            "contract__trusts",
        )
        .order_by("contract__reference")
    )


def quote(
    contract_item: ContractItem, quantity: int, index_prices: dict[int, Decimal]
) -> PriceQuote:
    """Price ``quantity`` on one contract item; may raise ``PriceUnavailable``."""
    tiers = tiers_of(contract_item)
    return PriceQuote(
        contract=contract_item.contract,
        contract_item=contract_item,
        tier=pricing.tier_for_quantity(tiers, quantity),
        unit_price=pricing.unit_price(
            tiers=tiers,
            quantity=quantity,
            price_basis=contract_item.price_basis,
            index_price=index_prices.get(contract_item.fuel_index_id),
        ),
    )


def best_quotes_for_trust(
    *, trust: Trust, quantities: dict[int, int], on: datetime.date
) -> dict[int, PriceQuote]:
    """Return, per item id, the cheapest quote open to ``trust`` for its quantity.

    Among contracts active on ``on`` and open to the trust, the lowest unit
    price wins; ties go to the reference that sorts first (DESIGN §5). Items
    with no such contract, or that cannot be priced, are left out.
    """
    contract_items = list(contract_items_priced_on(item_ids=quantities, on=on))
    index_prices = index_prices_in_force(
        (ci.fuel_index_id for ci in contract_items if ci.fuel_index_id), on
    )
    best: dict[int, PriceQuote] = {}
    for contract_item in contract_items:
        if trust.pk not in {t.pk for t in contract_item.contract.trusts.all()}:
            continue
        try:
            offer = quote(
                contract_item, quantities[contract_item.item_id], index_prices
            )
        except (pricing.PriceUnavailable, ValueError):
            continue
        current = best.get(contract_item.item_id)
        if current is None or (offer.unit_price, offer.contract.reference) < (
            current.unit_price,
            current.contract.reference,
        ):
            best[contract_item.item_id] = offer
    return best


def contracts_list() -> QuerySet[Contract]:
    """Contracts with supplier, trusts, committed value and remaining ceiling.

    ``committed_value`` is the net of the contract's orders that are not
    cancelled; ``remaining_ceiling`` is the value ceiling less that, negative
    when overspent (DESIGN §5). Filter trusts with ``pk__in`` a subquery, not
    a join, or the sum would count an order once per matching trust.
    """
    return (
        Contract.objects.select_related("supplier")
        .prefetch_related(Prefetch("trusts", queryset=Trust.objects.order_by("code")))
        .annotate(
            committed_value=Coalesce(
                Sum("orders__net", filter=~Q(orders__status="cancelled")),
                Value(Decimal("0.00")),
                output_field=AMOUNT_FIELD,
            )
        )
        .annotate(
            remaining_ceiling=ExpressionWrapper(
                F("value_ceiling") - F("committed_value"), output_field=AMOUNT_FIELD
            )
        )
    )


def contract_ids_open_to(trust: Trust) -> QuerySet:
    """Ids of the contracts the trust takes part in, to filter ``contracts_list``."""
    return Contract.objects.filter(trusts=trust).values("pk")


def contract_get(*, reference: str) -> Contract:
    """One contract with its items and tiers; raises ``Contract.DoesNotExist``."""
    return (
        contracts_list()
        .prefetch_related(
            Prefetch(
                "items",
                queryset=ContractItem.objects.select_related("item", "fuel_index")
                .prefetch_related(
                    Prefetch(
                        "tiers", queryset=PriceTier.objects.order_by("min_quantity")
                    )
                )
                .order_by("item__sku"),
            )
        )
        .get(reference=reference)
    )


def contract_items_for_item(item: Item) -> QuerySet[ContractItem]:
    """Every contract carrying an item, with tiers, for the item's page."""
    return (
        ContractItem.objects.filter(item=item)
        .select_related("contract", "contract__supplier", "fuel_index")
        .prefetch_related(
            Prefetch("tiers", queryset=PriceTier.objects.order_by("min_quantity"))
        )
        .order_by("contract__reference")
    )


def suppliers_list() -> QuerySet[Supplier]:
    return Supplier.objects.all()


def fuel_indices_list() -> QuerySet[FuelPriceIndex]:
    """Every fuel price index, by name."""
    return FuelPriceIndex.objects.order_by("name")


def fuel_index_get(*, pk: int) -> FuelPriceIndex:
    """One fuel price index with the contract items priced on it.

    Raises ``FuelPriceIndex.DoesNotExist``.
    """
    return FuelPriceIndex.objects.prefetch_related(
        Prefetch(
            "contract_items",
            queryset=ContractItem.objects.select_related(
                "contract", "contract__supplier", "item"
            ).order_by("contract__reference", "item__sku"),
        )
    ).get(pk=pk)


def fuel_index_prices(index: FuelPriceIndex) -> QuerySet[FuelIndexPrice]:
    """The index's dated prices, latest first."""
    return FuelIndexPrice.objects.filter(index=index).order_by("-effective_date")


def import_batches_list() -> QuerySet[ImportBatch]:
    """Catalogue and price-list imports, newest first, for contract managers.

    Imports are alliance-wide, like contracts: callers check the role.
    """
    return ImportBatch.objects.select_related("contract", "created_by").order_by(
        "-created_at", "-pk"
    )


def import_batch_get(*, pk: int) -> ImportBatch:
    """One import batch; raises ``ImportBatch.DoesNotExist``."""
    return import_batches_list().get(pk=pk)


def import_batch_out_of_date(
    batch: ImportBatch, *, now: datetime.datetime | None = None
) -> str | None:
    """Why a previewed import may no longer be confirmed, or ``None``.

    Its counts (what it would add, replace and remove) were true when it was
    previewed. Another import of the same kind (for a price list, of the same
    contract) applied since then makes them untrue; and after
    ``IMPORT_PREVIEW_DAYS`` the contract may have changed in other ways.
    """
    if batch.status != ImportBatch.Status.PREVIEWED:
        return None
    overtaking = (
        ImportBatch.objects.filter(
            kind=batch.kind,
            contract_id=batch.contract_id,
            status=ImportBatch.Status.APPLIED,
            applied_at__gt=batch.created_at,
        )
        .exclude(pk=batch.pk)
        .order_by("-applied_at")
        .values_list("applied_at", flat=True)
        .first()
    )
    if overtaking is not None:
        when = formats.date_format(timezone.localtime(overtaking), "j M Y H:i")
        if batch.kind == ImportBatch.Kind.PRICE_LIST:
            return _(
                "Another price list for this contract was imported on %(when)s, "
                "after this file was previewed, so what this preview says it "
                "would do may no longer be true. Upload the file again to see "
                "what it would do now."
            ) % {"when": when}
        return _(
            "Another catalogue file was imported on %(when)s, after this file "
            "was previewed, so what this preview says it would do may no longer "
            "be true. Upload the file again to see what it would do now."
        ) % {"when": when}
    days = settings.IMPORT_PREVIEW_DAYS
    if (now or timezone.now()) - batch.created_at > datetime.timedelta(days=days):
        return _(
            "This preview is more than %(days)s days old, and the contracts "
            "may have changed since. Upload the file again to see what it "
            "would do now."
        ) % {"days": days}
    return None
