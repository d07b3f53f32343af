from django.urls import path

app_name = "orders"

urlpatterns: list = []

# --- Requisitions ------------------------------------------------------------

from orders.views import requisitions as requisition_views  # noqa: E402

urlpatterns += [
    path(
        "requisitions/",
        requisition_views.RequisitionListView.as_view(),
        name="requisition-list",
    ),
    path(
        "requisitions/new/",
        requisition_views.requisition_create,
        name="requisition-create",
    ),
    path(
        "requisitions/<int:pk>/",
        requisition_views.requisition_detail,
        name="requisition-detail",
    ),
    path(
        "requisitions/<int:pk>/edit/",
        requisition_views.requisition_edit,
        name="requisition-edit",
    ),
    path(
        "requisitions/<int:pk>/submit/",
        requisition_views.requisition_submit,
        name="requisition-submit",
    ),
    path(
        "requisitions/<int:pk>/approve/",
        requisition_views.requisition_approve,
        name="requisition-approve",
    ),
    path(
        "requisitions/<int:pk>/reject/",
        requisition_views.requisition_reject,
        name="requisition-reject",
    ),
    path(
        "requisitions/<int:pk>/cancel/",
        requisition_views.requisition_cancel,
        name="requisition-cancel",
    ),
    path(
        "requisitions/items/",
        requisition_views.item_search,
        name="requisition-item-search",
    ),
    path(
        "requisitions/lines/estimate/",
        requisition_views.line_estimate,
        name="requisition-line-estimate",
    ),
    path(
        "requisitions/lines/new/",
        requisition_views.line_add,
        name="requisition-line-add",
    ),
    path(
        "requisitions/lines/remove/",
        requisition_views.line_remove,
        name="requisition-line-remove",
    ),
    path("approvals/", requisition_views.approval_queue, name="approval-queue"),
    path(
        "approved-lines/",
        requisition_views.ApprovedLinesView.as_view(),
        name="approved-lines",
    ),
]

# --- Pooling rounds, joint purchase orders, receipts ---------------------------

from django.urls import re_path  # noqa: E402

from orders.views import pooling as pooling_views  # noqa: E402
from orders.views import purchase_orders as order_views  # noqa: E402

ORDER_NUMBER = r"(?P<number>AP-\d{4}-\d{6})"

urlpatterns += [
    path("rounds/", pooling_views.round_list, name="round-list"),
    path("rounds/new/", pooling_views.round_create, name="round-create"),
    path("rounds/<int:pk>/", pooling_views.round_detail, name="round-detail"),
    path("rounds/<int:pk>/commit/", pooling_views.round_commit, name="round-commit"),
    path("", order_views.OrderListView.as_view(), name="order-list"),
    re_path(rf"^{ORDER_NUMBER}/$", order_views.order_detail, name="order-detail"),
    re_path(rf"^{ORDER_NUMBER}/issue/$", order_views.order_issue, name="order-issue"),
    re_path(
        rf"^{ORDER_NUMBER}/cancel/$", order_views.order_cancel, name="order-cancel"
    ),
    re_path(
        rf"^{ORDER_NUMBER}/receive/$",
        order_views.order_receive,
        name="order-receive",
    ),
]

# --- Order documents -----------------------------------------------------------

from orders.views import documents as document_views  # noqa: E402

urlpatterns += [
    path(
        "<str:number>/documents/",
        document_views.order_documents,
        name="order-documents",
    ),
    path(
        "<str:number>/documents/rebuild/",
        document_views.order_documents_rebuild,
        name="order-documents-rebuild",
    ),
    path("<str:number>/pdf/", document_views.order_pdf, name="order-pdf"),
    path(
        "<str:number>/shares/<str:trust_code>/pdf/",
        document_views.order_share_pdf,
        name="order-share-pdf",
    ),
]
