"""The admin where contract managers keep suppliers, contracts and tiers."""

from decimal import Decimal

import pytest
from django.urls import reverse

from suppliers.models import ContractItem, PriceTier
from tests import factories
from trusts import services as trust_services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _admin_without_second_factor(settings):
    settings.ADMIN_REQUIRE_OTP = False


@pytest.fixture
def manager_client(client, contract_manager):
    """A staff contract manager in the "Contract managers" group."""
    contract_manager.is_staff = True
    contract_manager.save(update_fields=["is_staff"])
    contract_manager.groups.add(trust_services.contract_manager_group_ensure())
    client.force_login(contract_manager)
    return client


def _tier_post(contract_item, tiers, **fields):
    """The admin change form of a contract item, with ``tiers`` as new rows."""
    data = {
        "contract": contract_item.contract_id,
        "item": contract_item.item_id,
        "supplier_code": contract_item.supplier_code,
        "minimum_order_quantity": contract_item.minimum_order_quantity,
        "order_multiple": contract_item.order_multiple,
        "price_basis": contract_item.price_basis,
        "fuel_index": contract_item.fuel_index_id or "",
        "tiers-TOTAL_FORMS": len(tiers),
        "tiers-INITIAL_FORMS": 0,
        "tiers-MIN_NUM_FORMS": 1,
        "tiers-MAX_NUM_FORMS": 1000,
        "_save": "Save",
    }
    data.update(fields)
    for number, (quantity, price) in enumerate(tiers):
        data[f"tiers-{number}-min_quantity"] = quantity
        data[f"tiers-{number}-unit_price"] = price
        data[f"tiers-{number}-contract_item"] = contract_item.pk
    return data


def _change_url(contract_item):
    return reverse("admin:suppliers_contractitem_change", args=[contract_item.pk])


def test_sound_tiers_are_saved(manager_client):
    """Tiers from 1 with falling prices are saved."""
    contract_item = factories.ContractItemFactory()
    response = manager_client.post(
        _change_url(contract_item),
        _tier_post(contract_item, [(1, "10.0000"), (100, "9.5000")]),
    )
    assert response.status_code == 302
    assert list(
        contract_item.tiers.order_by("min_quantity").values_list(
            "min_quantity", "unit_price"
        )
    ) == [(1, Decimal("10.0000")), (100, Decimal("9.5000"))]


@pytest.mark.parametrize(
    ("tiers", "fields", "message"),
    [
        ([(1, "5.0000"), (100, "6.0000")], {}, "prices may not rise with quantity"),
        ([(10, "5.0000")], {}, "The first tier must start at 1 or at the minimum"),
        ([(1, "5.0000"), (50, "4.0000"), (50, "3.0000")], {}, "Two tiers start at 50"),
        ([(1, "-1.0000")], {}, "may not be negative"),
        ([], {}, "Give at least one price tier"),
    ],
)
def test_tiers_breaking_the_rules_are_refused_with_a_message(
    manager_client, tiers, fields, message
):
    """Rising prices, a bad first tier or a duplicate break save nothing."""
    contract_item = factories.ContractItemFactory()
    response = manager_client.post(
        _change_url(contract_item), _tier_post(contract_item, tiers, **fields)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not PriceTier.objects.filter(contract_item=contract_item).exists()


def test_first_tier_may_start_at_the_moq_being_saved(manager_client):
    """The MOQ typed on the same page decides where the first tier may start."""
    contract_item = factories.ContractItemFactory(minimum_order_quantity=1)
    response = manager_client.post(
        _change_url(contract_item),
        _tier_post(contract_item, [(25, "5.0000")], minimum_order_quantity=25),
    )
    assert response.status_code == 302
    contract_item.refresh_from_db()
    assert contract_item.minimum_order_quantity == 25


def test_negative_margin_is_accepted_for_index_linked_items(manager_client):
    """Index-linked tiers hold margins, which may be negative."""
    index = factories.FuelPriceIndexFactory()
    contract_item = factories.ContractItemFactory(
        price_basis=ContractItem.PriceBasis.INDEX_LINKED, fuel_index=index
    )
    response = manager_client.post(
        _change_url(contract_item),
        _tier_post(contract_item, [(1, "0.0100"), (1000, "-0.0200")]),
    )
    assert response.status_code == 302
    assert contract_item.tiers.count() == 2


def test_rising_edit_of_existing_tiers_keeps_the_old_ones(manager_client):
    """Changing saved tiers so prices rise is refused; the saved tiers stay."""
    contract_item = factories.contract_item_with_tiers(
        tiers=[(1, "10.0000"), (100, "9.0000")]
    )
    first, second = contract_item.tiers.order_by("min_quantity")
    data = _tier_post(contract_item, [])
    data.update(
        {
            "tiers-TOTAL_FORMS": 2,
            "tiers-INITIAL_FORMS": 2,
            "tiers-0-id": first.pk,
            "tiers-0-contract_item": contract_item.pk,
            "tiers-0-min_quantity": 1,
            "tiers-0-unit_price": "10.0000",
            "tiers-1-id": second.pk,
            "tiers-1-contract_item": contract_item.pk,
            "tiers-1-min_quantity": 100,
            "tiers-1-unit_price": "11.0000",
        }
    )
    response = manager_client.post(_change_url(contract_item), data)
    assert response.status_code == 200
    second.refresh_from_db()
    assert second.unit_price == Decimal("9.0000")


@pytest.mark.parametrize(
    "model",
    [
        "catalogue/category",
        "catalogue/item",
        "suppliers/supplier",
        "suppliers/contract",
        "suppliers/contractitem",
        "suppliers/fuelpriceindex",
        "suppliers/fuelindexprice",
    ],
)
def test_contract_manager_can_search_every_list(manager_client, model):
    """Every catalogue and suppliers list opens and searches for a manager."""
    factories.contract_item_with_tiers(tiers=[(1, "1.0000")])
    factories.FuelIndexPriceFactory()
    url = reverse(f"admin:{model.replace('/', '_')}_changelist")
    assert manager_client.get(url).status_code == 200
    assert manager_client.get(url, {"q": "a"}).status_code == 200


@pytest.mark.parametrize(
    "model", ["catalogue/item", "suppliers/contract", "suppliers/contractitem"]
)
def test_add_pages_open_for_a_contract_manager(manager_client, model):
    """A contract manager reaches the add pages, inlines included."""
    url = reverse(f"admin:{model.replace('/', '_')}_add")
    assert manager_client.get(url).status_code == 200


def test_item_list_filters_by_category_kind_vat_and_active(manager_client):
    """The item list filters by category, kind, VAT rate and active."""
    item = factories.ItemFactory(kind="fuel", vat_rate=Decimal("0.05"))
    factories.ItemFactory(kind="consumable")
    response = manager_client.get(
        reverse("admin:catalogue_item_changelist"),
        {
            "category__id__exact": item.category_id,
            "kind__exact": "fuel",
            "vat_rate__exact": "0.05",
            "is_active__exact": "1",
        },
    )
    assert list(response.context["cl"].result_list) == [item]


def test_contract_change_page_shows_trusts_and_items(manager_client, trust):
    """The contract page has the trusts picker and its items inline."""
    contract_item = factories.contract_item_with_tiers(
        contract__trusts=[trust], tiers=[(1, "1.0000")]
    )
    response = manager_client.get(
        reverse("admin:suppliers_contract_change", args=[contract_item.contract_id])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="trusts"' in body
    assert "selectfilter" in body  # filter_horizontal widget
    assert contract_item.item.sku in body


def test_contract_manager_cannot_delete_contracts(manager_client):
    """Deleting a contract is kept from contract managers."""
    contract = factories.ContractFactory()
    url = reverse("admin:suppliers_contract_delete", args=[contract.pk])
    assert manager_client.get(url).status_code == 403


def test_contract_manager_does_not_reach_trusts_and_users(manager_client):
    """Trusts and people stay with the superusers."""
    assert (
        manager_client.get(reverse("admin:trusts_trust_changelist")).status_code == 403
    )
    assert manager_client.get(reverse("admin:auth_user_changelist")).status_code == 403


def test_user_admin_shows_membership_inline(admin_client, requisitioner):
    """A superuser edits a user's organisation and roles on the user page."""
    response = admin_client.get(
        reverse("admin:auth_user_change", args=[requisitioner.pk])
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "membership-0-trust" in body
    assert "membership-0-is_requisitioner" in body


def test_trust_admin_shows_sites_and_cost_centres(admin_client, trust):
    """The trust page edits its sites and cost centres inline."""
    factories.SiteFactory(trust=trust, name="Hams Hall hub")
    factories.CostCentreFactory(trust=trust, code="OPS-1")
    response = admin_client.get(reverse("admin:trusts_trust_change", args=[trust.pk]))
    body = response.content.decode()
    assert "Hams Hall hub" in body
    assert "OPS-1" in body
