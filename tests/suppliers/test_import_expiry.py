"""Import previews go out of date, and unused upload files are deleted.

A preview's counts (what it would add, replace and remove) are true when it
is made. Another import into the same target applied since, or more than
IMPORT_PREVIEW_DAYS, makes it out of date: it can no longer be confirmed,
and the page says why. The files of failed and out-of-date uploads are
deleted; an imported file is kept as the record of what was applied.
"""

import datetime
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from suppliers import services, tasks
from suppliers.models import ImportBatch, PriceTier
from tests.factories import ContractFactory, ItemFactory
from tests.integration.threads import run_together
from tests.suppliers.test_views_import import CATALOGUE, PRICE_LIST, upload
from trusts.models import AuditEvent

pytestmark = pytest.mark.django_db

CHEAPER = PRICE_LIST.replace("8.50", "7.90").replace("8.00", "7.40")
BAD_PRICE_LIST = PRICE_LIST.replace("8.50", "not a price")


@pytest.fixture
def contract():
    ItemFactory(sku="GLV-001")
    return ContractFactory(reference="AP-C-GLOVES")


def _price_list(contract, manager, content=PRICE_LIST) -> ImportBatch:
    return services.import_batch_upload(
        kind=ImportBatch.Kind.PRICE_LIST,
        upload=upload(content),
        created_by=manager,
        contract=contract,
    )


def _prices(contract) -> list[Decimal]:
    return sorted(
        PriceTier.objects.filter(contract_item__contract=contract).values_list(
            "unit_price", flat=True
        )
    )


def _age(batch: ImportBatch, days: float) -> None:
    ImportBatch.objects.filter(pk=batch.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=days)
    )


def test_a_preview_overtaken_by_another_price_list_cannot_be_confirmed(
    client_for, contract_manager, contract, django_capture_on_commit_callbacks
):
    """Two previews of one contract: once one is imported, the other is out of
    date; confirming it says so, imports nothing, and deletes its file."""
    client = client_for(contract_manager)
    first = _price_list(contract, contract_manager)
    second = _price_list(contract, contract_manager, CHEAPER)
    services.import_batch_confirm(batch_id=second.pk, actor=contract_manager)
    stored = first.file.name
    assert default_storage.exists(stored)

    detail = client.get(reverse("suppliers:import-detail", args=[first.pk]))
    body = detail.content.decode()
    assert "This preview is out of date" in body
    assert "Another price list for this contract was imported on" in body
    assert "What the import would have done when previewed" in body
    assert "Confirm import" not in body

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("suppliers:import-confirm", args=[first.pk]), follow=True
        )
    body = response.content.decode()
    assert "Another price list for this contract was imported on" in body
    assert 'data-status="expired"' in body
    assert "Upload the file again" in body
    first.refresh_from_db()
    assert first.status == ImportBatch.Status.EXPIRED
    assert not first.file
    assert not default_storage.exists(stored)
    assert _prices(contract) == [Decimal("7.40"), Decimal("7.90")]
    event = AuditEvent.objects.get(action="suppliers.price_list.expired")
    assert event.object_id == str(first.pk)
    assert event.actor == contract_manager
    assert event.detail["reason"].startswith("Another price list for this contract")
    # The imported file is kept: the record of what was applied.
    second.refresh_from_db()
    assert default_storage.exists(second.file.name)


def test_another_contracts_price_list_does_not_overtake_a_preview(
    contract_manager, contract
):
    other = ContractFactory(reference="AP-C-OTHER")
    waiting = _price_list(contract, contract_manager)
    services.import_batch_confirm(
        batch_id=_price_list(other, contract_manager, CHEAPER).pk
    )
    applied = services.import_batch_confirm(batch_id=waiting.pk)
    assert applied.status == ImportBatch.Status.APPLIED
    assert _prices(contract) == [Decimal("8.00"), Decimal("8.50")]


def test_a_catalogue_preview_is_overtaken_by_another_catalogue(contract_manager):
    first, second = (
        services.import_batch_upload(
            kind=ImportBatch.Kind.CATALOGUE,
            upload=upload(CATALOGUE),
            created_by=contract_manager,
        )
        for _ in range(2)
    )
    services.import_batch_confirm(batch_id=second.pk)
    with pytest.raises(ValidationError, match="Another catalogue file") as refused:
        services.import_batch_confirm(batch_id=first.pk)
    assert refused.value.code == "out_of_date"
    assert ImportBatch.objects.get(pk=first.pk).status == ImportBatch.Status.EXPIRED


def test_a_preview_may_be_confirmed_for_the_days_set_and_no_longer(
    settings, contract_manager, contract
):
    settings.IMPORT_PREVIEW_DAYS = 7
    recent, old = (_price_list(contract, contract_manager) for _ in range(2))
    _age(old, 7.1)
    with pytest.raises(ValidationError, match="more than 7 days old"):
        services.import_batch_confirm(batch_id=old.pk)
    assert not PriceTier.objects.exists()
    _age(recent, 6.9)
    assert (
        services.import_batch_confirm(batch_id=recent.pk).status
        == ImportBatch.Status.APPLIED
    )


def test_a_failed_uploads_file_is_deleted_and_its_errors_kept(
    settings, contract_manager, contract, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        failed = _price_list(contract, contract_manager, BAD_PRICE_LIST)
    assert failed.status == ImportBatch.Status.FAILED
    assert failed.error_count
    assert failed.errors[0]["column"] == "unit_price"
    assert not ImportBatch.objects.get(pk=failed.pk).file
    assert not list((Path(settings.MEDIA_ROOT) / "imports").rglob("*.csv"))


def test_the_nightly_sweep_puts_old_previews_out_of_date_and_deletes_unused_files(
    settings, contract_manager, contract, django_capture_on_commit_callbacks
):
    settings.IMPORT_PREVIEW_DAYS = 7
    old = _price_list(contract, contract_manager)
    recent = _price_list(contract, contract_manager)
    imported = services.import_batch_confirm(
        batch_id=_price_list(ContractFactory(), contract_manager).pk
    )
    _age(old, 8)
    _age(imported, 400)
    # A failed upload whose file is still there (kept before files of failed
    # uploads were deleted).
    leftover = ImportBatch.objects.create(
        kind=ImportBatch.Kind.CATALOGUE,
        original_name="old.csv",
        status=ImportBatch.Status.FAILED,
        created_by=contract_manager,
    )
    leftover.file.save("left.csv", upload(CATALOGUE))
    files = {batch.pk: batch.file.name for batch in (old, recent, imported, leftover)}

    with django_capture_on_commit_callbacks(execute=True):
        tasks.expire_import_previews_task.apply().get()
    statuses = dict(ImportBatch.objects.values_list("pk", "status"))
    assert statuses[old.pk] == ImportBatch.Status.EXPIRED
    assert statuses[recent.pk] == ImportBatch.Status.PREVIEWED
    assert statuses[imported.pk] == ImportBatch.Status.APPLIED
    assert {pk: default_storage.exists(name) for pk, name in files.items()} == {
        old.pk: False,
        recent.pk: True,
        imported.pk: True,
        leftover.pk: False,
    }
    event = AuditEvent.objects.get(action="suppliers.price_list.expired")
    assert event.actor is None
    assert "more than 7 days old" in event.detail["reason"]
    # Again: nothing more to do.
    assert services.import_previews_expire() == 0


@pytest.mark.django_db(transaction=True)
def test_two_previews_of_one_contract_confirmed_at_once_apply_one(
    contract_manager, contract
):
    """Confirmed at the same moment, each would find the other not yet
    applied: they take turns, and the second finds itself overtaken."""
    batches = [
        _price_list(contract, contract_manager, content)
        for content in (PRICE_LIST, CHEAPER)
    ]

    def confirm(batch):
        def call():
            return services.import_batch_confirm(batch_id=batch.pk).status

        return call

    outcomes = run_together(confirm(batch) for batch in batches)
    applied = [
        batch
        for batch, outcome in zip(batches, outcomes, strict=True)
        if outcome == ImportBatch.Status.APPLIED
    ]
    refused = [outcome for outcome in outcomes if isinstance(outcome, ValidationError)]
    assert len(applied) == 1
    assert [error.code for error in refused] == ["out_of_date"]
    expected = {
        batches[0].pk: [Decimal("8.00"), Decimal("8.50")],
        batches[1].pk: [Decimal("7.40"), Decimal("7.90")],
    }
    assert _prices(contract) == expected[applied[0].pk]
