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
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from orders.selectors import documents as selectors
from orders.services import documents as services
from trusts.models import Role
from trusts.permissions import role_required

PANEL = "orders/partials/_document_panel.html"
PAGE = "orders/order_documents.html"
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
            "orders/document_unavailable.html",
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


def _documents(request, order, template: str) -> HttpResponse:
    documents = selectors.order_documents_visible_to(request.user, order=order)
    return render(
        request,
        template,
        {
            "order": order,
            "documents": documents,
            "any_pending": any(document.is_pending for document in documents),
            "may_rebuild": selectors.user_may_rebuild_order_documents(request.user),
        },
    )


# The same address answers htmx with the panel alone and a browser with a
# page: a cache must not hand one to the other.
@vary_on_headers("HX-Request")
@login_required
@require_GET
def order_documents(request, number: str):
    """An order's documents: the panel for htmx (which polls it while one is
    pending), else a page holding it, for browsers without JavaScript."""
    order = selectors.order_for_documents_get(request.user, number=number)
    return _documents(request, order, PANEL if request.htmx else PAGE)


@vary_on_headers("HX-Request")
@role_required(Role.BUYER)
@require_POST
def order_documents_rebuild(request, number: str):
    """Build the order's documents again (buyers)."""
    order = selectors.order_for_documents_get(request.user, number=number)
    try:
        services.order_documents_rebuild(order_id=order.pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        if not request.htmx:
            messages.success(request, _("The documents are being built again."))
    if request.htmx:
        return _documents(request, order, PANEL)
    return redirect("orders:order-documents", number=order.number)


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
