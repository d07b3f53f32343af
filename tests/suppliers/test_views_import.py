"""The Imports pages: upload, preview, confirm, for contract managers only."""

from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from catalogue.models import Item
from suppliers import services
from suppliers.models import ContractItem, ImportBatch, PriceTier
from tests.factories import (
    ContractFactory,
    ItemFactory,
    UserFactory,
    contract_item_with_tiers,
)

pytestmark = pytest.mark.django_db

CATALOGUE = (
    "sku,name,category,unit,pack_size,kind,vat_rate,nhs_code,gtin\n"
    "GLV-001,Nitrile gloves M,Gloves,box,100,consumable,0.20,FTA123,5012345678900\n"
    "GLV-002,Nitrile gloves L,Gloves,box,100,consumable,20%,,\n"
)
PRICE_LIST = (
    "sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,order_multiple\n"
    "GLV-001,G1,1,8.50,1,1\n"
    "GLV-001,G1,100,8.00,1,1\n"
)


def upload(content: str | bytes, name="file.csv", content_type="text/csv"):
    data = content.encode() if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def manager_client(client_for, contract_manager):
    return client_for(contract_manager)


def test_catalogue_upload_previews_then_confirm_applies(manager_client):
    """Upload shows what would change and saves nothing; confirm saves it."""
    response = manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(CATALOGUE)}
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("suppliers:import-detail", kwargs={"pk": batch.pk})
    assert not Item.objects.exists()

    page = manager_client.get(response.url)
    assert page.status_code == 200
    assert batch.status == ImportBatch.Status.PREVIEWED
    assert 'data-count="created">2<' in page.content.decode()
    assert "Nitrile gloves M" in page.content.decode()
    assert "Confirm import" in page.content.decode()

    confirmed = manager_client.post(
        reverse("suppliers:import-confirm", kwargs={"pk": batch.pk}), follow=True
    )
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.APPLIED
    assert batch.applied_at is not None
    assert set(Item.objects.values_list("sku", flat=True)) == {"GLV-001", "GLV-002"}
    assert "The file was imported." in confirmed.content.decode()


def test_price_list_upload_previews_then_confirm_replaces(manager_client):
    """A price list for the chosen contract replaces its items on confirm."""
    contract = ContractFactory(reference="AP-C-1")
    gloves = ItemFactory(sku="GLV-001")
    contract_item_with_tiers(contract=contract, item=ItemFactory(), tiers=[(1, "1")])
    response = manager_client.post(
        reverse("suppliers:import-price-list"),
        {"contract": "AP-C-1", "file": upload(PRICE_LIST)},
    )
    batch = ImportBatch.objects.get()
    assert response.status_code == 302
    assert (batch.contract, batch.created_count, batch.removed_count) == (
        contract,
        1,
        1,
    )
    page = manager_client.get(response.url).content.decode()
    assert "will be removed from the contract" in page

    manager_client.post(reverse("suppliers:import-confirm", kwargs={"pk": batch.pk}))
    assert list(ContractItem.objects.filter(contract=contract)) == [
        ContractItem.objects.get(item=gloves)
    ]
    assert list(
        PriceTier.objects.filter(contract_item__contract=contract)
        .order_by("min_quantity")
        .values_list("unit_price", flat=True)
    ) == [Decimal("8.5000"), Decimal("8.0000")]


def test_bad_file_shows_every_error_and_cannot_be_confirmed(manager_client):
    """Every error is listed with row and column; confirming is refused."""
    bad = CATALOGUE.replace(",100,", ",0,").replace("5012345678900", "5012345678901")
    response = manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(bad)}, follow=True
    )
    batch = ImportBatch.objects.get()
    page = response.content.decode()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.error_count == 3
    assert "nhsuk-error-summary" in page
    assert "Row 2, column pack_size" in page
    assert "Row 2, column gtin" in page
    assert "Row 3, column pack_size" in page
    assert "Confirm import" not in page

    response = manager_client.post(
        reverse("suppliers:import-confirm", kwargs={"pk": batch.pk}), follow=True
    )
    assert "not awaiting confirmation" in response.content.decode()
    assert not Item.objects.exists()


def test_confirm_revalidates_and_saves_nothing_if_now_bad(manager_client):
    """Data changed since the preview: confirm fails cleanly, nothing saved."""
    contract = ContractFactory(reference="AP-C-1")
    gloves = ItemFactory(sku="GLV-001")
    manager_client.post(
        reverse("suppliers:import-price-list"),
        {"contract": "AP-C-1", "file": upload(PRICE_LIST)},
    )
    batch = ImportBatch.objects.get()
    gloves.sku = "GLV-RENAMED"
    gloves.save()
    manager_client.post(reverse("suppliers:import-confirm", kwargs={"pk": batch.pk}))
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert batch.errors[0]["code"] == "unknown_sku"
    assert not ContractItem.objects.filter(contract=contract).exists()


def test_confirming_twice_applies_once(manager_client):
    """A second confirmation changes nothing and says so."""
    manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(CATALOGUE)}
    )
    batch = ImportBatch.objects.get()
    url = reverse("suppliers:import-confirm", kwargs={"pk": batch.pk})
    manager_client.post(url)
    applied_at = ImportBatch.objects.get().applied_at
    response = manager_client.post(url, follow=True)
    assert "not awaiting confirmation" in response.content.decode()
    assert ImportBatch.objects.get().applied_at == applied_at


@pytest.mark.parametrize(
    ("name", "content_type", "message"),
    [
        ("prices.xlsx", "text/csv", "Choose a .csv file."),
        ("prices.csv", "application/pdf", "must be a CSV file"),
    ],
)
def test_upload_refuses_files_that_are_not_csv(
    manager_client, name, content_type, message
):
    """Only .csv files of a CSV type are taken, checked on the server."""
    response = manager_client.post(
        reverse("suppliers:import-catalogue"),
        {"file": upload(CATALOGUE, name=name, content_type=content_type)},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_upload_refuses_files_over_the_limit(manager_client, settings):
    """Uploads are limited to MAX_IMPORT_UPLOAD_BYTES."""
    settings.MAX_IMPORT_UPLOAD_BYTES = 100
    response = manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(CATALOGUE)}
    )
    assert "larger than" in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_price_list_needs_a_contract(manager_client):
    """The price-list form asks which contract the file is for."""
    response = manager_client.post(
        reverse("suppliers:import-price-list"), {"file": upload(PRICE_LIST)}
    )
    assert response.status_code == 200
    assert 'href="#id_contract"' in response.content.decode()
    assert not ImportBatch.objects.exists()


def test_uploaded_file_is_kept_under_imports(manager_client):
    """The file sits in default storage under imports/ until confirmed."""
    manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(CATALOGUE)}
    )
    batch = ImportBatch.objects.get()
    assert batch.file.name.startswith("imports/")
    assert batch.original_name == "file.csv"
    with batch.file.open("rb") as stored:
        assert stored.read() == CATALOGUE.encode()


def test_import_list_shows_past_imports(manager_client):
    """The Imports page lists past imports with their status and counts."""
    manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(CATALOGUE)}
    )
    page = manager_client.get(reverse("suppliers:import-list")).content.decode()
    assert "file.csv" in page
    assert "Ready to confirm" in page
    assert "Import catalogue" in page
    assert "Import price list" in page


def _import_urls():
    return [
        ("get", reverse("suppliers:import-list")),
        ("get", reverse("suppliers:import-catalogue")),
        ("get", reverse("suppliers:import-price-list")),
        ("get", reverse("suppliers:import-detail", kwargs={"pk": 1})),
        ("post", reverse("suppliers:import-confirm", kwargs={"pk": 1})),
    ]


@pytest.mark.parametrize(
    "role", ["requisitioner", "approver", "buyer", "finance", "no_role"]
)
def test_other_roles_are_refused(client_for, trust, role):
    """Imports are for contract managers: every other role gets 403."""
    if role in ("buyer", "no_role"):
        user = UserFactory(
            **({"membership__is_buyer": True} if role == "buyer" else {})
        )
    else:
        user = UserFactory(membership__trust=trust, **{f"membership__is_{role}": True})
    client = client_for(user)
    for method, url in _import_urls():
        assert getattr(client, method)(url).status_code == 403, url


def test_anonymous_is_sent_to_sign_in(client):
    """Signed-out visitors are redirected to the login page."""
    for method, url in _import_urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("login"))


def test_unknown_import_is_404(manager_client):
    """An import that does not exist is a 404."""
    url = reverse("suppliers:import-detail", kwargs={"pk": 999_999})
    assert manager_client.get(url).status_code == 404


def test_posting_nothing_shows_the_errors(manager_client):
    """A form sent with no file and no contract says what is missing."""
    response = manager_client.post(reverse("suppliers:import-price-list"), {})
    page = response.content.decode()
    assert response.status_code == 200
    assert 'href="#id_contract"' in page
    assert 'href="#id_file"' in page


def test_preview_keeps_the_file_column_order(manager_client):
    """The first rows show in the file's own column order."""
    manager_client.post(
        reverse("suppliers:import-catalogue"), {"file": upload(CATALOGUE)}
    )
    batch = ImportBatch.objects.get()
    assert batch.preview[0] == ["row", *CATALOGUE.splitlines()[0].split(",")]
    assert batch.preview[1][:2] == ["2", "GLV-001"]


@pytest.mark.django_db(transaction=True)
def test_two_confirmations_at_once_apply_the_import_once(contract_manager):
    """Simultaneous confirms: one applies, the other is refused cleanly."""
    batch = services.import_batch_upload(
        kind=ImportBatch.Kind.CATALOGUE,
        upload=upload(CATALOGUE),
        created_by=contract_manager,
    )

    def confirm(_):
        try:
            return services.import_batch_confirm(batch_id=batch.pk).status
        except ValidationError as exc:
            return exc.code
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        outcomes = sorted(pool.map(confirm, range(2)))
    assert outcomes == ["applied", "not_previewed"]
    assert Item.objects.count() == 2
