"""Reads about the catalogue: items and the contracts that carry them.

Contracts live in ``suppliers``, which this app may not import (DESIGN §2);
an item's contracts are read through its reverse relation ``contract_items``.
"""

from django.db.models import Prefetch, QuerySet

from catalogue.models import Category, Item


def items_list() -> QuerySet[Item]:
    """Every active item with its category, for the catalogue list (DESIGN §7).

    Catalogue reads are open to every signed-in user, so nothing is scoped.
    """
    return Item.objects.active().select_related("category").order_by("name", "sku")


def categories_list() -> QuerySet[Category]:
    """Every category, by name, for filters."""
    return Category.objects.order_by("name")


def _contract_items_queryset() -> QuerySet:
    # The reverse relation gives the contract item model without an import.
    contract_item_model = Item._meta.get_field("contract_items").related_model
    return contract_item_model.objects.select_related(
        "contract", "contract__supplier", "fuel_index"
    ).order_by("contract__reference")


def item_get(*, sku: str) -> Item:
    """One item by SKU with every contract it is on, their suppliers and tiers.

    Inactive items are found too (orders may still point at them); the page
    says so. Contract items come ordered by contract reference and their tiers
    by minimum quantity. Raises ``Item.DoesNotExist``.
    """
    return (
        Item.objects.select_related("category")
        .prefetch_related(
            Prefetch("contract_items", queryset=_contract_items_queryset()),
            "contract_items__tiers",
        )
        .get(sku=sku)
    )
