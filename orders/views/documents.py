"""Order documents: the status panel, rebuild, and the PDF downloads.

No request renders a PDF: a download answers with the stored file when it is
ready, and with a page saying so (202) while it is being built.
"""

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_GET, require_POST

from orders.selectors import documents as selectors
from orders.services import documents as services
from trusts.models import Role
from trusts.permissions import role_required

PENDING_STATUS = 202
FAILED_STATUS = 409


def document_file_response(
    request,
    document,
    *,
    filename: str,
    content_type: str,
    on_download: Callable[[], object] | None = None,
):
    """Answer with a generated file, or a page saying why it is not there.

    Pending: 202 with a page that says the file is being built. Failed: 409
    with the reason. Ready: ``on_download`` is called (it records the
    download in the audit trail), then the file as an attachment named
    ``filename``.
    """
    if not document.is_ready or not document.file:
        status = FAILED_STATUS if document.status == "failed" else PENDING_STATUS
        return render(
            request,
            "orders/partials/_document_unavailable.html",
            {"document": document, "filename": filename},
            status=status,
        )
    file = document.file.open("rb")
    if on_download is not None:
        on_download()
    response = FileResponse(
        file,
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _panel(request, order) -> HttpResponse:
    documents = selectors.order_documents_visible_to(request.user, order=order)
    return render(
        request,
        "orders/partials/_document_panel.html",
        {
            "order": order,
            "documents": documents,
            "any_pending": any(document.is_pending for document in documents),
            "may_rebuild": selectors.user_may_rebuild_order_documents(request.user),
        },
    )


@login_required
@require_GET
def order_documents(request, number: str):
    """The documents panel of an order (htmx polls it while one is pending)."""
    order = selectors.order_for_documents_get(request.user, number=number)
    return _panel(request, order)


@role_required(Role.BUYER)
@require_POST
def order_documents_rebuild(request, number: str):
    """Build the order's documents again (buyers)."""
    order = selectors.order_for_documents_get(request.user, number=number)
    try:
        services.order_documents_rebuild(order_id=order.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    if request.htmx:
        return _panel(request, order)
    try:
        return redirect(order.get_absolute_url())
    except NoReverseMatch:
        return redirect(reverse("orders:order-documents", args=[order.number]))


@login_required
@require_GET
def order_pdf(request, number: str):
    """The consolidated order PDF (buyers)."""
    document = selectors.order_consolidated_document_get(request.user, number=number)
    return document_file_response(
        request,
        document,
        filename=f"{services.document_filename(document)}.pdf",
        content_type="application/pdf",
        on_download=lambda: services.order_document_downloaded(
            actor=request.user, document=document
        ),
    )


@login_required
@require_GET
def order_share_pdf(request, number: str, trust_code: str):
    """One trust's share PDF (buyers; that trust's own users)."""
    document = selectors.order_share_document_get(
        request.user, number=number, trust_code=trust_code
    )
    return document_file_response(
        request,
        document,
        filename=f"{services.document_filename(document)}.pdf",
        content_type="application/pdf",
        on_download=lambda: services.order_document_downloaded(
            actor=request.user, document=document
        ),
    )
