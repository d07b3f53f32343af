from django.urls import path, register_converter

from alliance_procurement.api import IdConverter
from orders import api

register_converter(IdConverter, "api_id")

app_name = "orders-api"

urlpatterns = [
    path(
        "requisitions/",
        api.RequisitionListCreateApi.as_view(),
        name="requisition-list",
    ),
    path(
        "requisitions/<api_id:id>/",
        api.RequisitionDetailApi.as_view(),
        name="requisition-detail",
    ),
    path(
        "requisitions/<api_id:id>/submit/",
        api.RequisitionSubmitApi.as_view(),
        name="requisition-submit",
    ),
    path(
        "requisitions/<api_id:id>/approve/",
        api.RequisitionApproveApi.as_view(),
        name="requisition-approve",
    ),
    path(
        "requisitions/<api_id:id>/reject/",
        api.RequisitionRejectApi.as_view(),
        name="requisition-reject",
    ),
    path(
        "requisitions/<api_id:id>/cancel/",
        api.RequisitionCancelApi.as_view(),
        name="requisition-cancel",
    ),
    path(
        "pooling-rounds/",
        api.PoolingRoundListCreateApi.as_view(),
        name="round-list",
    ),
    path(
        "pooling-rounds/<api_id:id>/",
        api.PoolingRoundDetailApi.as_view(),
        name="round-detail",
    ),
    path(
        "pooling-rounds/<api_id:id>/commit/",
        api.PoolingRoundCommitApi.as_view(),
        name="round-commit",
    ),
    path("orders/", api.OrderListApi.as_view(), name="order-list"),
    path("orders/<str:number>/", api.OrderDetailApi.as_view(), name="order-detail"),
    path("orders/<str:number>/issue/", api.OrderIssueApi.as_view(), name="order-issue"),
    path(
        "orders/<str:number>/cancel/",
        api.OrderCancelApi.as_view(),
        name="order-cancel",
    ),
    path(
        "orders/<str:number>/receipts/",
        api.OrderReceiptCreateApi.as_view(),
        name="order-receipt-create",
    ),
    path("orders/<str:number>/pdf/", api.OrderPdfApi.as_view(), name="order-pdf"),
    path(
        "orders/<str:number>/shares/<str:trust>/pdf/",
        api.OrderSharePdfApi.as_view(),
        name="order-share-pdf",
    ),
]
