"""The "Contract managers" group that gives admin access (DESIGN §1, §7)."""

import pytest
from django.contrib.auth.models import Group, Permission

from trusts import services

pytestmark = pytest.mark.django_db


def _codenames(group) -> set[str]:
    return set(group.permissions.values_list("codename", flat=True))


def test_group_may_view_add_and_change_every_catalogue_and_suppliers_model():
    """Every catalogue and suppliers model is viewable, addable and changeable."""
    group = services.contract_manager_group_ensure()
    assert group.name == "Contract managers"
    for model in [
        "category",
        "item",
        "supplier",
        "contract",
        "contractitem",
        "pricetier",
        "fuelpriceindex",
        "fuelindexprice",
    ]:
        for action in ("view", "add", "change"):
            assert f"{action}_{model}" in _codenames(group)


def test_group_deletes_only_what_loses_no_history():
    """Tiers, index prices, contract items and categories may go; the rest not."""
    codenames = _codenames(services.contract_manager_group_ensure())
    deletable = {name for name in codenames if name.startswith("delete_")}
    assert deletable == {
        "delete_category",
        "delete_contractitem",
        "delete_pricetier",
        "delete_fuelindexprice",
    }


def test_group_has_nothing_outside_catalogue_and_suppliers():
    """No permission on trusts, users, orders or reports."""
    group = services.contract_manager_group_ensure()
    apps = set(group.permissions.values_list("content_type__app_label", flat=True))
    assert apps == {"catalogue", "suppliers"}


def test_running_again_changes_nothing_and_repairs_extras():
    """A second run leaves one group with the same permissions, extras removed."""
    first = services.contract_manager_group_ensure()
    expected = _codenames(first)
    first.permissions.add(Permission.objects.get(codename="delete_contract"))
    second = services.contract_manager_group_ensure()
    assert second.pk == first.pk
    assert Group.objects.filter(name="Contract managers").count() == 1
    assert _codenames(second) == expected
