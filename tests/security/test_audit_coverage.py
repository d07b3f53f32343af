"""Every state change, import and download is in the audit trail (ASVS V16):
who, what, when and, through a page, from where."""

import datetime
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from alliance_procurement.csv_import import ImportRejected
from catalogue import services as catalogue_services
from orders import documents as order_pdf
from orders.models import Allocation, OrderDocument, Requisition
from orders.services import documents as document_services
from orders.services import pooling as pooling_services
from orders.services import purchase_orders as order_services
from orders.services import requisitions as requisition_services
from orders.services.requisitions import LineInput
from reports import services as report_services
from reports.models import SavingsDocument
from suppliers import services as supplier_services
from suppliers.models import ImportBatch, Supplier
from tests import factories
from tests.orders.builders_documents import build_order, build_trusts
from tests.orders.requisition_helpers import (  # noqa: F401 -- fixtures
    cost_centre_fixture,
    future,
    item_fixture,
    make_draft,
    make_submitted,
    site_fixture,
    trust_user,
)
from trusts import services as trust_services
from trusts.middleware import RequestOriginMiddleware
from trusts.models import AuditEvent, Role

pytestmark = pytest.mark.django_db

IP = "198.51.100.23"
MONTH = datetime.date(2026, 3, 1)


def only_event(action: str) -> AuditEvent:
    """The one event of ``action``: exactly one was recorded."""
    [event] = AuditEvent.objects.filter(action=action)
    return event


def assert_event(
    action, *, actor, obj=None, detail=None, path="", ip=None
) -> AuditEvent:
    event = only_event(action)
    assert event.actor == actor
    if obj is not None:
        assert event.object_type == obj._meta.label_lower
        assert event.object_id == str(obj.pk)
    for key, value in (detail or {}).items():
        assert event.detail[key] == value, key
    assert event.path == path
    assert event.ip_address == ip
    return event


# --- Where from: the request origin ---------------------------------------------


def _through_middleware(request, view):
    return RequestOriginMiddleware(view)(request)


def test_origin_comes_from_the_request_being_answered(requisitioner):
    """Inside a request, an event records its address and path without it."""
    request = RequestFactory().post("/orders/x/", REMOTE_ADDR=IP)
    request.user = requisitioner

    def view(request):
        trust_services.audit_record(actor=requisitioner, action="tests.thing.done")
        return HttpResponse()

    _through_middleware(request, view)
    event = only_event("tests.thing.done")
    assert (event.ip_address, event.path) == (IP, "/orders/x/")
    assert trust_services.request_origin_get() is None


def test_origin_is_cleared_when_the_view_raises(requisitioner):
    """A failing request leaves no origin behind for the next work."""
    request = RequestFactory().get("/boom/", REMOTE_ADDR=IP)
    request.user = AnonymousUser()

    def view(request):
        assert trust_services.request_origin_get().path == "/boom/"
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        _through_middleware(request, view)
    assert trust_services.request_origin_get() is None
    event = trust_services.audit_record(actor=None, action="tests.thing.done")
    assert (event.ip_address, event.path) == (None, "")


def test_actor_left_out_inside_a_request_is_the_signed_in_user(approver):
    """A service whose caller names no actor still records who acted."""
    request = RequestFactory().post("/api/v1/x/", REMOTE_ADDR=IP)
    request.user = approver

    def view(request):
        trust_services.audit_record(actor=None, action="tests.thing.done")
        return HttpResponse()

    _through_middleware(request, view)
    event = assert_event("tests.thing.done", actor=approver, ip=IP, path="/api/v1/x/")
    assert event.organisation_code == "WMAS"


def test_outside_a_request_there_is_no_origin_or_user(requisitioner):
    """Tasks and commands have no origin: address and path stay empty."""
    event = trust_services.audit_record(actor=None, action="tests.thing.done")
    assert (event.actor, event.ip_address, event.path) == (None, None, "")


# --- Requisitions ---------------------------------------------------------------


def _form(site, cost_centre, item, quantity):
    return {
        "site": site.pk,
        "cost_centre": cost_centre.pk,
        "needed_by": future().isoformat(),
        "notes": "",
        "lines-TOTAL_FORMS": "1",
        "lines-INITIAL_FORMS": "0",
        "lines-0-item": item.sku,
        "lines-0-quantity": str(quantity),
    }


def test_requisition_created_through_the_page(
    client_for, requisitioner, site, cost_centre, item
):
    """Saving a draft records its number, with address and path."""
    url = reverse("orders:requisition-create")
    client_for(requisitioner).post(
        url, _form(site, cost_centre, item, 12), REMOTE_ADDR=IP
    )
    requisition = Requisition.objects.get()
    assert_event(
        "orders.requisition.created",
        actor=requisitioner,
        obj=requisition,
        detail={"number": requisition.number, "status": "draft"},
        ip=IP,
        path=url,
    )


def test_requisition_updated(requisitioner, site, cost_centre, item):
    """Editing a draft records its number; a service call has no origin."""
    draft = make_draft(requisitioner, [(item, 5)])
    requisition_services.requisition_update(
        requisition_id=draft.pk,
        editor=requisitioner,
        site_id=site.pk,
        cost_centre_id=cost_centre.pk,
        needed_by=future(),
        lines=[LineInput(item_id=item.pk, quantity=7)],
    )
    assert_event(
        "orders.requisition.updated",
        actor=requisitioner,
        obj=draft,
        detail={"number": draft.number},
    )


def test_requisition_submitted_through_the_page(client_for, requisitioner, item):
    """Submitting records the number and the estimated total."""
    draft = make_draft(requisitioner, [(item, 10)])
    url = reverse("orders:requisition-submit", kwargs={"pk": draft.pk})
    client_for(requisitioner).post(url, REMOTE_ADDR=IP)
    assert_event(
        "orders.requisition.submitted",
        actor=requisitioner,
        obj=draft,
        detail={"number": draft.number, "estimated_total": "100.00"},
        ip=IP,
        path=url,
    )


def test_requisition_approved_through_the_page(
    client_for, requisitioner, approver, item
):
    """Approving records the approver and the number."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    url = reverse("orders:requisition-approve", kwargs={"pk": submitted.pk})
    client_for(approver).post(url, REMOTE_ADDR=IP)
    assert_event(
        "orders.requisition.approved",
        actor=approver,
        obj=submitted,
        detail={"number": submitted.number, "status": "approved"},
        ip=IP,
        path=url,
    )


def test_requisition_rejected_through_the_page_with_its_reason(
    client_for, requisitioner, approver, item
):
    """Rejecting records the reason given."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    url = reverse("orders:requisition-reject", kwargs={"pk": submitted.pk})
    client_for(approver).post(url, {"reason": "Over budget"}, REMOTE_ADDR=IP)
    assert_event(
        "orders.requisition.rejected",
        actor=approver,
        obj=submitted,
        detail={"number": submitted.number, "reason": "Over budget"},
        ip=IP,
        path=url,
    )


def test_requisition_cancelled_through_the_page_with_its_reason(
    client_for, requisitioner, item
):
    """Cancelling records the reason given."""
    draft = make_draft(requisitioner, [(item, 3)])
    url = reverse("orders:requisition-cancel", kwargs={"pk": draft.pk})
    client_for(requisitioner).post(url, {"reason": "Duplicate"}, REMOTE_ADDR=IP)
    assert_event(
        "orders.requisition.cancelled",
        actor=requisitioner,
        obj=draft,
        detail={"number": draft.number, "reason": "Duplicate"},
        ip=IP,
        path=url,
    )


def test_a_rolled_back_change_leaves_no_event(requisitioner, approver, item):
    """The event joins the change's transaction: no change, no event."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    with (
        mock.patch.object(
            requisition_services.tasks.send_requisition_decision_email_task,
            "delay_on_commit",
            side_effect=RuntimeError("queue down"),
        ),
        pytest.raises(RuntimeError),
    ):
        requisition_services.requisition_approve(
            requisition_id=submitted.pk, approver=approver
        )
    submitted.refresh_from_db()
    assert submitted.status == Requisition.Status.SUBMITTED
    assert not AuditEvent.objects.filter(action="orders.requisition.approved").exists()


def test_a_refused_change_leaves_no_event(requisitioner, trust, item):
    """Approving over one's limit is refused and records nothing."""
    submitted = make_submitted(requisitioner, [(item, 10)])
    approver = trust_user(trust, Role.APPROVER, limit="1.00")
    with pytest.raises(ValidationError) as refused:
        requisition_services.requisition_approve(
            requisition_id=submitted.pk, approver=approver
        )
    assert refused.value.code == "over_limit"
    assert not AuditEvent.objects.filter(action="orders.requisition.approved").exists()


# --- Orders and receipts --------------------------------------------------------


@pytest.fixture
def draft_order(trust, other_trust, buyer):
    """A draft order: a WMAS line of 10 gloves and a SECAMB line of 6."""
    gloves = factories.ItemFactory(sku="GLOVE")
    contract = factories.ContractFactory(trusts=[trust, other_trust])
    factories.contract_item_with_tiers(
        tiers=[(1, "2.0000")], item=gloves, contract=contract
    )
    factories.ApprovedRequisitionLineFactory(
        requisition__trust=trust, item=gloves, quantity=10
    )
    factories.ApprovedRequisitionLineFactory(
        requisition__trust=other_trust, item=gloves, quantity=6
    )
    [order] = pooling_services.pooling_round_commit(
        round_id=factories.PoolingRoundFactory(cut_off=timezone.now()).pk, buyer=buyer
    )
    return order


def test_order_issued_through_the_page(client_for, buyer, draft_order):
    """Issuing records the order number, and the documents it asks for."""
    url = reverse("orders:order-issue", args=[draft_order.number])
    client_for(buyer).post(url, REMOTE_ADDR=IP)
    assert_event(
        "orders.order.issued",
        actor=buyer,
        obj=draft_order,
        detail={"number": draft_order.number},
        ip=IP,
        path=url,
    )
    assert_event(
        "orders.order_document.requested",
        actor=buyer,
        obj=draft_order,
        detail={
            "number": draft_order.number,
            "files": [
                f"{draft_order.number}.pdf",
                f"{draft_order.number}-SECAMB.pdf",
                f"{draft_order.number}-WMAS.pdf",
            ],
        },
        ip=IP,
        path=url,
    )


def test_order_cancelled(buyer, draft_order):
    """Cancelling records the number and the requisitions sent back."""
    order_services.joint_order_issue(order_id=draft_order.pk, buyer=buyer)
    order_services.joint_order_cancel(order_id=draft_order.pk, buyer=buyer)
    numbers = sorted(
        Requisition.objects.filter(lines__allocations__isnull=False)
        .distinct()
        .values_list("number", flat=True)
    )
    assert_event(
        "orders.order.cancelled",
        actor=buyer,
        obj=draft_order,
        detail={"number": draft_order.number, "requisitions": numbers},
    )


def test_allocation_received_through_the_page(client_for, trust, buyer, draft_order):
    """A receipt records the trust's order reference and the quantity."""
    order_services.joint_order_issue(order_id=draft_order.pk, buyer=buyer)
    allocation = Allocation.objects.get(order_line__order=draft_order, trust=trust)
    receiver = factories.UserFactory(
        membership__trust=trust, membership__is_requisitioner=True
    )
    url = reverse("orders:order-receive", args=[draft_order.number])
    response = client_for(receiver).post(
        url, {"allocation": allocation.pk, "quantity": 4, "note": ""}, REMOTE_ADDR=IP
    )
    assert response.status_code == 302
    assert_event(
        "orders.allocation.received",
        actor=receiver,
        obj=allocation,
        detail={
            "order_reference": f"{draft_order.number}/WMAS",
            "quantity": 4,
            "order_status": "part_received",
        },
        ip=IP,
        path=url,
    )


# --- Order documents ------------------------------------------------------------


@pytest.fixture
def issued_order(trust, other_trust):
    return build_order(trusts=build_trusts(("WMAS", "SECAMB")), lines=1)


def _ready(order, trust=None):
    now = timezone.now()
    document = OrderDocument(
        order=order,
        kind="share" if trust else "consolidated",
        trust=trust,
        status=OrderDocument.Status.READY,
        requested_at=now,
        built_at=now,
    )
    document.file.save("doc.pdf", ContentFile(b"%PDF-1.7 test"), save=False)
    document.save()
    return document


def test_documents_rebuild_through_the_page(client_for, buyer, issued_order):
    """A buyer's Rebuild records the order and its file names."""
    url = reverse("orders:order-documents-rebuild", args=[issued_order.number])
    client_for(buyer).post(url, REMOTE_ADDR=IP)
    assert_event(
        "orders.order_document.rebuild_requested",
        actor=buyer,
        obj=issued_order,
        detail={"number": issued_order.number},
        ip=IP,
        path=url,
    )
    assert (
        len(only_event("orders.order_document.rebuild_requested").detail["files"]) == 3
    )


def test_consolidated_pdf_download_through_the_page(client_for, buyer, issued_order):
    """Downloading records the document and the file name."""
    document = _ready(issued_order)
    url = reverse("orders:order-pdf", args=[issued_order.number])
    response = client_for(buyer).get(url, REMOTE_ADDR=IP)
    assert response.status_code == 200
    assert_event(
        "orders.order_document.downloaded",
        actor=buyer,
        obj=document,
        detail={"filename": f"{issued_order.number}.pdf"},
        ip=IP,
        path=url,
    )


def test_share_pdf_download_through_the_page(client_for, finance, trust, issued_order):
    """A trust's user downloading its share is recorded with the share's name."""
    document = _ready(issued_order, trust)
    url = reverse("orders:order-share-pdf", args=[issued_order.number, "WMAS"])
    assert client_for(finance).get(url, REMOTE_ADDR=IP).status_code == 200
    assert_event(
        "orders.order_document.downloaded",
        actor=finance,
        obj=document,
        detail={"filename": f"{issued_order.number}-WMAS.pdf"},
        ip=IP,
        path=url,
    )


def test_a_file_not_yet_built_is_no_download(client_for, buyer, issued_order):
    """A pending document answers 202 and records no download."""
    OrderDocument.objects.create(
        order=issued_order, kind="consolidated", requested_at=timezone.now()
    )
    url = reverse("orders:order-pdf", args=[issued_order.number])
    assert client_for(buyer).get(url).status_code == 202
    assert not AuditEvent.objects.filter(
        action="orders.order_document.downloaded"
    ).exists()


def test_document_built_and_failed_are_system_events(
    issued_order, django_capture_on_commit_callbacks
):
    """The worker's steps have no actor and no origin."""
    with django_capture_on_commit_callbacks(execute=False):
        built, failed, _share = document_services.order_documents_rebuild(
            order_id=issued_order.pk
        )
    with (
        mock.patch.object(
            order_pdf, "order_document_render", return_value=b"%PDF-1.7 x"
        ),
        django_capture_on_commit_callbacks(execute=True),
    ):
        document_services.order_document_build(document_id=built.pk)
    document_services.order_document_fail(document_id=failed.pk, reason="No fonts")
    assert_event(
        "orders.order_document.built",
        actor=None,
        obj=built,
        detail={"filename": f"{issued_order.number}.pdf"},
    )
    assert_event(
        "orders.order_document.failed",
        actor=None,
        obj=failed,
        detail={"reason": "No fonts"},
    )


# --- Imports --------------------------------------------------------------------

CATALOGUE = (
    "sku,name,category,unit,pack_size,kind,vat_rate,nhs_code,gtin\n"
    "GLV-001,Nitrile gloves M,Gloves,box,100,consumable,0.20,,\n"
    "GLV-002,Nitrile gloves L,Gloves,box,100,consumable,0.20,,\n"
)
BAD_CATALOGUE = (
    "sku,name,category,unit,pack_size,kind,vat_rate,nhs_code,gtin\n"
    "GLV-001,,Gloves,box,0,consumable,0.20,,\n"
)
PRICE_LIST = (
    "sku,supplier_code,min_quantity,unit_price,minimum_order_quantity,order_multiple\n"
    "GLV-001,G1,1,8.50,1,1\n"
    "GLV-001,G1,100,8.00,1,1\n"
)


def _file(content: str, name: str) -> io.BytesIO:
    file = io.BytesIO(content.encode())
    file.name = f"/var/imports/{name}"
    return file


def test_catalogue_import_applied_records_file_and_counts(db):
    """A command's import has no actor or origin; the file name and counts."""
    catalogue_services.catalogue_import(file=_file(CATALOGUE, "items.csv"))
    assert_event(
        "catalogue.catalogue_file.imported",
        actor=None,
        detail={"filename": "items.csv", "rows": 2, "created": 2, "updated": 0},
    )


def test_catalogue_import_rejected_records_the_error_count(db):
    """A rejected import saves nothing but its event."""
    with pytest.raises(ImportRejected) as rejected:
        catalogue_services.catalogue_import(file=_file(BAD_CATALOGUE, "bad.csv"))
    event = assert_event(
        "catalogue.catalogue_file.rejected",
        actor=None,
        detail={"filename": "bad.csv"},
    )
    assert event.detail["error_count"] == len(rejected.value.row_errors) >= 2


def test_a_dry_run_records_nothing(db):
    """Checking a file changes nothing, so nothing is recorded."""
    catalogue_services.catalogue_import(
        file=_file(CATALOGUE, "items.csv"), dry_run=True
    )
    assert not AuditEvent.objects.exists()


def test_price_list_import_applied_records_contract_file_and_counts(
    contract_manager,
):
    """A price list names its contract, file and rows created or updated."""
    contract = factories.ContractFactory(reference="AP-C-7")
    factories.ItemFactory(sku="GLV-001")
    supplier_services.price_list_import(
        contract_reference="AP-C-7",
        file=_file(PRICE_LIST, "prices.csv"),
        actor=contract_manager,
    )
    assert_event(
        "suppliers.price_list.imported",
        actor=contract_manager,
        obj=contract,
        detail={
            "contract": "AP-C-7",
            "filename": "prices.csv",
            "created": 1,
            "updated": 0,
            "tiers": 2,
        },
    )


def test_price_list_import_rejected_records_the_error_count(db):
    """An unknown SKU rejects the file; its error count is recorded."""
    factories.ContractFactory(reference="AP-C-7")
    with pytest.raises(ImportRejected) as rejected:
        supplier_services.price_list_import(
            contract_reference="AP-C-7", file=_file(PRICE_LIST, "prices.csv")
        )
    errors = len(rejected.value.row_errors)
    assert errors >= 1
    assert_event(
        "suppliers.price_list.rejected",
        actor=None,
        detail={"contract": "AP-C-7", "filename": "prices.csv", "error_count": errors},
    )


def _upload(content: str, name: str):
    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def test_catalogue_upload_and_confirm_through_the_pages(client_for, contract_manager):
    """Upload records the batch; confirming records the import and counts."""
    client = client_for(contract_manager)
    upload_url = reverse("suppliers:import-catalogue")
    client.post(upload_url, {"file": _upload(CATALOGUE, "items.csv")}, REMOTE_ADDR=IP)
    batch = ImportBatch.objects.get()
    assert_event(
        "suppliers.import_batch.uploaded",
        actor=contract_manager,
        obj=batch,
        detail={"filename": "items.csv", "kind": "catalogue", "created": 2},
        ip=IP,
        path=upload_url,
    )
    confirm_url = reverse("suppliers:import-confirm", kwargs={"pk": batch.pk})
    client.post(confirm_url, REMOTE_ADDR=IP)
    assert_event(
        "catalogue.catalogue_file.imported",
        actor=contract_manager,
        obj=batch,
        detail={"filename": "items.csv", "rows": 2, "created": 2},
        ip=IP,
        path=confirm_url,
    )


def test_price_list_confirm_rejected_when_the_data_changed(
    client_for, contract_manager
):
    """A file that went bad since its preview is recorded as rejected."""
    factories.ContractFactory(reference="AP-C-7")
    gloves = factories.ItemFactory(sku="GLV-001")
    client = client_for(contract_manager)
    client.post(
        reverse("suppliers:import-price-list"),
        {"contract": "AP-C-7", "file": _upload(PRICE_LIST, "prices.csv")},
    )
    batch = ImportBatch.objects.get()
    gloves.sku = "GLV-RENAMED"
    gloves.save(update_fields=["sku"])
    confirm_url = reverse("suppliers:import-confirm", kwargs={"pk": batch.pk})
    client.post(confirm_url, REMOTE_ADDR=IP)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.FAILED
    assert_event(
        "suppliers.price_list.rejected",
        actor=contract_manager,
        obj=batch,
        detail={
            "filename": "prices.csv",
            "contract": "AP-C-7",
            "error_count": batch.error_count,
        },
        ip=IP,
        path=confirm_url,
    )


# --- Suppliers, contracts, fuel prices and items --------------------------------


def test_supplier_contract_fuel_price_and_item_created(contract_manager, trust):
    """Each API write records its reference people use."""
    supplier = supplier_services.supplier_create(
        name="Medisupply", email="orders@example.com", actor=contract_manager
    )
    factories.ItemFactory(sku="GLV-001")
    contract = supplier_services.contract_create(
        reference="AP-C-9",
        title="Gloves",
        supplier_id=supplier.pk,
        trust_codes=["WMAS"],
        start_date=datetime.date(2026, 1, 1),
        end_date=datetime.date(2026, 12, 31),
        value_ceiling=Decimal("50000.00"),
        items=[
            supplier_services.ContractItemInput(
                sku="GLV-001", tiers=[(1, Decimal("2.5000"))]
            )
        ],
        actor=contract_manager,
    )
    price, _created = supplier_services.fuel_index_price_add(
        index_name="ULSD",
        effective_date=datetime.date(2026, 3, 1),
        price_per_litre=Decimal("1.3245"),
        actor=contract_manager,
    )
    item = catalogue_services.item_create(
        sku="SPL-1",
        name="Splint",
        category="Splints",
        unit="each",
        kind="equipment",
        vat_rate=Decimal("0.20"),
        actor=contract_manager,
    )
    assert_event(
        "suppliers.supplier.created",
        actor=contract_manager,
        obj=supplier,
        detail={"name": "Medisupply"},
    )
    assert_event(
        "suppliers.contract.created",
        actor=contract_manager,
        obj=contract,
        detail={"reference": "AP-C-9", "trusts": ["WMAS"], "items": 1},
    )
    assert_event(
        "suppliers.fuel_index_price.created",
        actor=contract_manager,
        obj=price,
        detail={"index": "ULSD", "effective_date": "2026-03-01"},
    )
    assert_event(
        "catalogue.item.created",
        actor=contract_manager,
        obj=item,
        detail={"sku": "SPL-1", "category": "Splints"},
    )


def test_the_same_fuel_price_again_records_nothing(contract_manager):
    """Repeating a write that changes nothing adds no event."""
    for _attempt in range(2):
        supplier_services.fuel_index_price_add(
            index_name="ULSD",
            effective_date=datetime.date(2026, 3, 1),
            price_per_litre=Decimal("1.3245"),
            actor=contract_manager,
        )
    assert (
        AuditEvent.objects.filter(action="suppliers.fuel_index_price.created").count()
        == 1
    )


# --- Savings files --------------------------------------------------------------


@pytest.fixture
def _in_april_2026():
    with mock.patch(
        "django.utils.timezone.localdate", return_value=datetime.date(2026, 4, 10)
    ):
        yield


@pytest.mark.usefixtures("_in_april_2026")
def test_savings_build_through_the_page(client_for, finance, trust):
    """Asking for a month's files records the month and every file name."""
    url = reverse("reports:savings-build", args=["2026-03"])
    client_for(finance).post(url, REMOTE_ADDR=IP)
    event = assert_event(
        "reports.savings_document.requested",
        actor=finance,
        detail={"month": "2026-03"},
        ip=IP,
        path=url,
    )
    assert sorted(event.detail["files"]) == sorted(
        f"savings-2026-03-{scope}.{file_format}"
        for scope in ("alliance", "WMAS")
        for file_format in ("pdf", "csv", "xlsx")
    )


@pytest.mark.usefixtures("_in_april_2026")
@pytest.mark.parametrize("file_format", ["pdf", "csv", "xlsx"])
def test_savings_download_through_the_page(client_for, finance, trust, file_format):
    """Each savings download records the document and its file name."""
    now = timezone.now()
    document = SavingsDocument(
        month=MONTH,
        trust=trust,
        format=file_format,
        status=SavingsDocument.Status.READY,
        requested_at=now,
        built_at=now,
    )
    document.file.save(f"x.{file_format}", ContentFile(b"data"), save=False)
    document.save()
    url = reverse("reports:savings-download", args=["2026-03", "WMAS", file_format])
    assert client_for(finance).get(url, REMOTE_ADDR=IP).status_code == 200
    assert_event(
        "reports.savings_document.downloaded",
        actor=finance,
        obj=document,
        detail={"filename": f"savings-2026-03-WMAS.{file_format}"},
        ip=IP,
        path=url,
    )


def test_scheduled_savings_request_is_a_system_event(trust):
    """The monthly schedule asks with no actor and no origin."""
    report_services.savings_previous_month_request(today=datetime.date(2026, 4, 1))
    assert_event(
        "reports.savings_document.requested", actor=None, detail={"month": "2026-03"}
    )


# --- List exports ---------------------------------------------------------------


@pytest.mark.parametrize("export_format", ["csv", "xlsx"])
def test_list_export_through_the_page(client_for, requisitioner, item, export_format):
    """An export records its file name, format, rows and filters."""
    make_draft(requisitioner, [(item, 3)])
    url = reverse("orders:requisition-list")
    response = client_for(requisitioner).get(
        url, {"_export": export_format}, REMOTE_ADDR=IP
    )
    assert response.status_code == 200
    event = assert_event(
        "orders.requisitions_export.downloaded",
        actor=requisitioner,
        detail={
            "format": export_format,
            "rows": 1,
            "query": f"_export={export_format}",
        },
        ip=IP,
        path=url,
    )
    assert event.detail["filename"].startswith("requisitions-")


def test_the_list_page_itself_is_no_download(client_for, requisitioner):
    """Viewing a list records nothing."""
    client_for(requisitioner).get(reverse("orders:requisition-list"))
    assert not AuditEvent.objects.filter(action__endswith=".downloaded").exists()


# --- Admin ----------------------------------------------------------------------


@pytest.fixture
def admin_client(client, contract_manager, settings):
    settings.ADMIN_REQUIRE_OTP = False
    contract_manager.is_staff = True
    contract_manager.save(update_fields=["is_staff"])
    contract_manager.groups.add(trust_services.contract_manager_group_ensure())
    client.force_login(contract_manager)
    return client


def test_admin_add_change_and_delete_are_recorded(admin_client, contract_manager):
    """Every admin change is in the trail, with the admin page's origin."""
    add_url = reverse("admin:catalogue_category_add")
    admin_client.post(add_url, {"name": "Splints", "_save": "Save"}, REMOTE_ADDR=IP)
    category = factories.CategoryFactory._meta.model.objects.get(name="Splints")
    assert_event(
        "admin.category.added",
        actor=contract_manager,
        obj=category,
        detail={"object": "Splints"},
        ip=IP,
        path=add_url,
    )
    change_url = reverse("admin:catalogue_category_change", args=[category.pk])
    admin_client.post(
        change_url, {"name": "Splints and braces", "_save": "Save"}, REMOTE_ADDR=IP
    )
    assert_event(
        "admin.category.changed",
        actor=contract_manager,
        obj=category,
        detail={"object": "Splints and braces"},
        ip=IP,
        path=change_url,
    )
    delete_url = reverse("admin:catalogue_category_delete", args=[category.pk])
    admin_client.post(delete_url, {"post": "yes"}, REMOTE_ADDR=IP)
    event = assert_event(
        "admin.category.deleted",
        actor=contract_manager,
        detail={"object": "Splints and braces"},
        ip=IP,
        path=delete_url,
    )
    assert (event.object_type, event.object_id) == (
        "catalogue.category",
        str(category.pk),
    )


def test_api_write_records_the_token_user_and_origin(contract_manager):
    """An API view names no actor: the token's user is recorded as the actor."""
    token, _created = Token.objects.get_or_create(user=contract_manager)
    client = APIClient(REMOTE_ADDR=IP)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    response = client.post(
        "/api/v1/suppliers/",
        {"name": "Fuelco", "email": "orders@fuelco.example.com"},
        format="json",
    )
    assert response.status_code == 201
    assert_event(
        "suppliers.supplier.created",
        actor=contract_manager,
        obj=Supplier.objects.get(name="Fuelco"),
        detail={"name": "Fuelco"},
        ip=IP,
        path="/api/v1/suppliers/",
    )
