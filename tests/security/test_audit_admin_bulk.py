"""'Delete selected' in the admin records each deleted object in the audit trail."""

import pytest
from django.urls import reverse

from catalogue.models import Category
from tests import factories
from trusts import services as trust_services
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, contract_manager, settings):
    settings.ADMIN_REQUIRE_OTP = False
    contract_manager.is_staff = True
    contract_manager.save(update_fields=["is_staff"])
    contract_manager.groups.add(trust_services.contract_manager_group_ensure())
    client.force_login(contract_manager)
    return client


def test_each_object_of_a_bulk_delete_is_recorded(admin_client, contract_manager):
    categories = [
        factories.CategoryFactory(name=name) for name in ("Splints", "Masks", "Tape")
    ]
    url = reverse("admin:catalogue_category_changelist")
    response = admin_client.post(
        url,
        {
            "action": "delete_selected",
            "_selected_action": [category.pk for category in categories[:2]],
            "post": "yes",
        },
        REMOTE_ADDR="192.0.2.7",
    )
    assert response.status_code == 302
    assert list(Category.objects.values_list("name", flat=True)) == ["Tape"]
    events = AuditEvent.objects.filter(action="admin.category.deleted").order_by(
        "object_id"
    )
    assert [(e.object_id, e.detail["object"]) for e in events] == sorted(
        (str(category.pk), category.name) for category in categories[:2]
    )
    assert {(e.actor, e.ip_address, e.path) for e in events} == {
        (contract_manager, "192.0.2.7", url)
    }
