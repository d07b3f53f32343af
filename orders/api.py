"""API views of requisitions, pooling rounds and joint purchase orders
(DESIGN §10). Same selectors and services as the pages; another trust's
object is a 404, a state that forbids the action a 409."""

import django_filters
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response
from rest_framework.views import APIView

from alliance_procurement.api import (
    DocumentStatusSerializer,
    FileAnswerMixin,
    cursor_pagination,
    document_answer,
)
from orders.models import (
    JointPurchaseOrder,
    PoolingRound,
    Requisition,
    RequisitionLine,
)
from orders.selectors import documents as document_selectors
from orders.selectors import pooling as pooling_selectors
from orders.selectors import purchase_orders as order_selectors
from orders.selectors import requisitions as requisition_selectors
from orders.serializers import (
    CancelInputSerializer,
    CommitOutputSerializer,
    OrderOutputSerializer,
    OrderSummarySerializer,
    PoolingRoundInputSerializer,
    PoolingRoundOutputSerializer,
    PoolingRoundSummarySerializer,
    ReceiptInputSerializer,
    ReceiptOutputSerializer,
    RejectInputSerializer,
    RequisitionInputSerializer,
    RequisitionOutputSerializer,
)
from orders.services import documents as document_services
from orders.services import pooling as pooling_services
from orders.services import purchase_orders as order_services
from orders.services import requisitions as requisition_services
from trusts import selectors as trust_selectors
from trusts.models import Role
from trusts.permissions import require_role

ID_PARAMETER = OpenApiParameter("id", int, OpenApiParameter.PATH)
# Who reads a trust's orders (DESIGN §7); buyers read all.
ORDER_TRUST_ROLES = (Role.REQUISITIONER, Role.APPROVER, Role.FINANCE)


# --- Requisitions ------------------------------------------------------------


def _requisition_answer(user, requisition_id: int, code=status.HTTP_200_OK):
    requisition = requisition_selectors.requisition_get(user=user, pk=requisition_id)
    return Response(RequisitionOutputSerializer(requisition).data, status=code)


class RequisitionApiFilter(django_filters.FilterSet):
    """The tracking page's filters; site and cost centre are codes."""

    status = django_filters.ChoiceFilter(choices=Requisition.Status.choices)
    site = django_filters.CharFilter(field_name="site__code", max_length=20)
    cost_centre = django_filters.CharFilter(
        field_name="cost_centre__code", max_length=20
    )
    created_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte"
    )
    created_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte"
    )
    item = django_filters.CharFilter(
        method="filter_item",
        max_length=100,
        help_text="Part of an item's name, SKU or NHS code on any line.",
    )

    class Meta:
        model = Requisition
        fields = [
            "status",
            "site",
            "cost_centre",
            "created_from",
            "created_to",
            "item",
        ]

    def filter_item(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(
            Exists(
                RequisitionLine.objects.filter(requisition=OuterRef("pk")).filter(
                    Q(item__name__icontains=text)
                    | Q(item__sku__icontains=text)
                    | Q(item__nhs_code__icontains=text)
                )
            )
        )


class RequisitionListCreateApi(generics.ListAPIView):
    serializer_class = RequisitionOutputSerializer
    pagination_class = cursor_pagination("-pk")
    filter_backends = (DjangoFilterBackend,)
    filterset_class = RequisitionApiFilter

    def get_queryset(self):
        return (
            requisition_selectors.requisitions_visible_to(self.request.user)
            .select_related("trust", "site", "cost_centre", "requester")
            .prefetch_related(
                Prefetch(
                    "lines",
                    queryset=RequisitionLine.objects.select_related("item").order_by(
                        "pk"
                    ),
                )
            )
        )

    @extend_schema(
        operation_id="requisitions_list",
        description="Your trust's requisitions, newest first (buyers: approved "
        "requisitions of every trust).",
    )
    def get(self, request, *args, **kwargs):
        require_role(request.user, *requisition_selectors.REQUISITION_READERS)
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="requisitions_create",
        request=RequisitionInputSerializer,
        responses={201: RequisitionOutputSerializer},
        description="Raise a draft requisition of your trust. A line's errors are "
        "keyed by its position from 0: "
        '`{"lines": {"1": {"quantity": ["..."]}}}` is the second line.',
    )
    def post(self, request):
        require_role(request.user, Role.REQUISITIONER)
        serializer = RequisitionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        trust = trust_selectors.user_trust(request.user)
        requisition = requisition_services.requisition_create(
            requester=request.user,
            site_id=_code_to_id(trust_selectors.sites_for_trust, trust, data["site"]),
            cost_centre_id=_code_to_id(
                trust_selectors.cost_centres_for_trust, trust, data["cost_centre"]
            ),
            needed_by=data["needed_by"],
            notes=data["notes"],
            lines=[
                requisition_services.LineInput(
                    item_id=line["item"].pk, quantity=line["quantity"]
                )
                for line in data["lines"]
            ],
        )
        return _requisition_answer(
            request.user, requisition.pk, code=status.HTTP_201_CREATED
        )


def _code_to_id(selector, trust, code: str) -> int | None:
    """The id of the trust's site or cost centre with ``code``; ``None`` if none,
    which the service then refuses with its own message."""
    if trust is None:
        return None
    return selector(trust).filter(code=code).values_list("pk", flat=True).first()


class RequisitionDetailApi(APIView):
    @extend_schema(
        operation_id="requisitions_retrieve",
        parameters=[ID_PARAMETER],
        responses={200: RequisitionOutputSerializer},
    )
    def get(self, request, id):
        require_role(request.user, *requisition_selectors.REQUISITION_READERS)
        return _requisition_answer(request.user, id)


class RequisitionSubmitApi(APIView):
    @extend_schema(
        operation_id="requisitions_submit",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: RequisitionOutputSerializer},
        description="Submit a draft: each line gets its estimated price.",
    )
    def post(self, request, id):
        requisition_services.requisition_submit(
            requisition_id=id, submitter=request.user
        )
        return _requisition_answer(request.user, id)


class RequisitionApproveApi(APIView):
    @extend_schema(
        operation_id="requisitions_approve",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: RequisitionOutputSerializer},
        description="Approve a submitted requisition of your trust, within your "
        "limit and not your own (403 otherwise).",
    )
    def post(self, request, id):
        requisition_services.requisition_approve(
            requisition_id=id, approver=request.user
        )
        return _requisition_answer(request.user, id)


class RequisitionRejectApi(APIView):
    @extend_schema(
        operation_id="requisitions_reject",
        parameters=[ID_PARAMETER],
        request=RejectInputSerializer,
        responses={200: RequisitionOutputSerializer},
    )
    def post(self, request, id):
        serializer = RejectInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requisition_services.requisition_reject(
            requisition_id=id,
            approver=request.user,
            reason=serializer.validated_data["reason"],
        )
        return _requisition_answer(request.user, id)


class RequisitionCancelApi(APIView):
    @extend_schema(
        operation_id="requisitions_cancel",
        parameters=[ID_PARAMETER],
        request=CancelInputSerializer,
        responses={200: RequisitionOutputSerializer},
    )
    def post(self, request, id):
        serializer = CancelInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        requisition_services.requisition_cancel(
            requisition_id=id,
            actor=request.user,
            reason=serializer.validated_data["reason"],
        )
        return _requisition_answer(request.user, id)


# --- Pooling rounds ----------------------------------------------------------


def _round_data(pooling_round) -> dict:
    """The round with, while open, its preview (DESIGN §5)."""
    data = {
        field: getattr(pooling_round, field)
        for field in (
            "id",
            "status",
            "cut_off",
            "pricing_date",
            "opened_at",
            "opened_by",
            "committed_at",
        )
    }
    data.update(groups=[], held=[], savings=0, orders=[])
    if pooling_round.status == PoolingRound.Status.OPEN:
        preview = pooling_selectors.pooling_round_preview(pooling_round=pooling_round)
        data["groups"] = [_group_data(group) for group in preview.groups]
        data["held"] = [_held_data(held) for held in preview.held_lines()]
        data["savings"] = preview.money.savings
    else:
        data["orders"] = [order.number for order in pooling_round.orders.all()]
    return data


def _group_data(group) -> dict:
    return {
        "sku": group.item.sku,
        "name": group.item.name,
        "contract": group.contract.reference,
        "combined_quantity": group.combined_quantity,
        "tier_min_quantity": group.tier.min_quantity,
        "pooled_unit_price": group.unit_price,
        "net": group.money.net,
        "vat": group.money.vat,
        "trusts": [
            {
                "trust": share.trust.code,
                "quantity": share.quantity,
                "standalone_unit_price": share.standalone_unit_price,
                "net": share.money.net,
                "savings": share.money.savings,
            }
            for share in group.shares
        ],
        "savings": group.money.savings,
        "next_tier": group.next_tier,
    }


def _held_data(held) -> dict:
    line = held.requisition_line
    return {
        "requisition_line": line.pk,
        "requisition": line.requisition.number,
        "sku": line.item.sku,
        "trust": line.requisition.trust.code,
        "quantity": line.quantity,
        "reason": held.reason,
        "message": held.message,
        "contract": held.contract.reference if held.contract else None,
    }


class PoolingRoundApiFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PoolingRound.Status.choices)

    class Meta:
        model = PoolingRound
        fields = ["status"]


class PoolingRoundListCreateApi(generics.ListAPIView):
    serializer_class = PoolingRoundSummarySerializer
    pagination_class = cursor_pagination("-pk")
    filter_backends = (DjangoFilterBackend,)
    filterset_class = PoolingRoundApiFilter

    def get_queryset(self):
        return pooling_selectors.pooling_rounds_list()

    @extend_schema(
        operation_id="pooling_rounds_list",
        description="Rounds, newest first; GET one for its preview.",
    )
    def get(self, request, *args, **kwargs):
        require_role(request.user, Role.BUYER)
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="pooling_rounds_create",
        request=PoolingRoundInputSerializer,
        responses={201: PoolingRoundOutputSerializer},
        description="Open a round priced today; the answer holds its preview.",
    )
    def post(self, request):
        require_role(request.user, Role.BUYER)
        serializer = PoolingRoundInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        pooling_round = pooling_services.pooling_round_open(
            buyer=request.user, cut_off=serializer.validated_data["cut_off"]
        )
        return Response(
            PoolingRoundOutputSerializer(_round_data(pooling_round)).data,
            status=status.HTTP_201_CREATED,
        )


class PoolingRoundDetailApi(APIView):
    @extend_schema(
        operation_id="pooling_rounds_retrieve",
        parameters=[ID_PARAMETER],
        responses={200: PoolingRoundOutputSerializer},
        description="The round; while open, its preview: groups with their "
        "trusts, savings and next tier, and the lines held out with a reason.",
    )
    def get(self, request, id):
        require_role(request.user, Role.BUYER)
        pooling_round = pooling_selectors.pooling_round_get(pk=id)
        return Response(PoolingRoundOutputSerializer(_round_data(pooling_round)).data)


class PoolingRoundCommitApi(APIView):
    @extend_schema(
        operation_id="pooling_rounds_commit",
        parameters=[ID_PARAMETER],
        request=None,
        responses={200: CommitOutputSerializer},
        description="Turn the preview into draft orders, all or nothing. "
        "Committing a committed round answers the same orders and changes nothing.",
    )
    def post(self, request, id):
        require_role(request.user, Role.BUYER)
        orders = pooling_services.pooling_round_commit(round_id=id, buyer=request.user)
        return Response(
            CommitOutputSerializer({"orders": [order.number for order in orders]}).data
        )


# --- Joint purchase orders ---------------------------------------------------

NUMBER_PARAMETER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, description="The order number."
)


def _order_answer(user, number: str, code=status.HTTP_200_OK) -> Response:
    """The order as ``user`` may see it (DESIGN §7)."""
    view = order_selectors.order_view_for(user=user, number=number)
    references = {share.share.pk: share.share.reference for share in view.shares}
    for line in view.lines:
        for allocation in line.allocations:
            allocation.reference = references.get(allocation.share_id, "")
    view.share_list = [share.share for share in view.shares]
    return Response(OrderOutputSerializer(view).data, status=code)


def _order_id(user, number: str) -> int:
    return order_selectors.joint_order_get(user=user, number=number).pk


class OrderApiFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=JointPurchaseOrder.Status.choices)
    contract = django_filters.CharFilter(
        field_name="contract__reference", max_length=40
    )

    class Meta:
        model = JointPurchaseOrder
        fields = ["status", "contract"]


class OrderListApi(generics.ListAPIView):
    serializer_class = OrderSummarySerializer
    pagination_class = cursor_pagination("-number")
    filter_backends = (DjangoFilterBackend,)
    filterset_class = OrderApiFilter

    def get_queryset(self):
        return order_selectors.joint_orders_list(self.request.user)

    @extend_schema(
        operation_id="orders_list",
        description="Buyers: every order with its totals. A trust's users: the "
        "orders their trust has a share of, with their share's figures.",
    )
    def get(self, request, *args, **kwargs):
        require_role(request.user, Role.BUYER, *ORDER_TRUST_ROLES)
        return super().get(request, *args, **kwargs)


class OrderDetailApi(APIView):
    @extend_schema(
        operation_id="orders_retrieve",
        parameters=[NUMBER_PARAMETER],
        responses={200: OrderOutputSerializer},
        description="Buyers see every allocation and share; a trust's users "
        "only their own, with line figures summed over them.",
    )
    def get(self, request, number):
        require_role(request.user, Role.BUYER, *ORDER_TRUST_ROLES)
        return _order_answer(request.user, number)


class OrderIssueApi(APIView):
    @extend_schema(
        operation_id="orders_issue",
        parameters=[NUMBER_PARAMETER],
        request=None,
        responses={200: OrderOutputSerializer},
        description="Issue a draft order to its supplier; its PDFs are then built.",
    )
    def post(self, request, number):
        require_role(request.user, Role.BUYER)
        order_services.joint_order_issue(
            order_id=_order_id(request.user, number), buyer=request.user
        )
        return _order_answer(request.user, number)


class OrderCancelApi(APIView):
    @extend_schema(
        operation_id="orders_cancel",
        parameters=[NUMBER_PARAMETER],
        request=None,
        responses={200: OrderOutputSerializer},
        description="Cancel an order before any receipt; its lines return to "
        "approved and unpooled.",
    )
    def post(self, request, number):
        require_role(request.user, Role.BUYER)
        order_services.joint_order_cancel(
            order_id=_order_id(request.user, number), buyer=request.user
        )
        return _order_answer(request.user, number)


class OrderReceiptCreateApi(APIView):
    @extend_schema(
        operation_id="orders_receipts_create",
        parameters=[NUMBER_PARAMETER],
        request=ReceiptInputSerializer,
        responses={201: ReceiptOutputSerializer},
        description="Record goods received against one of your trust's "
        "allocations on this order; part receipts are allowed, never more "
        "than ordered.",
    )
    def post(self, request, number):
        require_role(request.user, *ORDER_TRUST_ROLES)
        serializer = ReceiptInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        view = order_selectors.order_view_for(user=request.user, number=number)
        own = {
            allocation.pk for share in view.shares for allocation in share.allocations
        }
        if data["allocation"] not in own:
            raise NotFound(_("No allocation of yours on this order has that id."))
        receipt = order_services.allocation_receive(
            allocation_id=data["allocation"],
            user=request.user,
            quantity=data["quantity"],
            note=data["note"],
        )
        receipt.allocation.refresh_from_db(fields=["received_quantity"])
        receipt.received_quantity = receipt.allocation.received_quantity
        receipt.order_status = order_selectors.joint_order_get(
            user=request.user, number=number
        ).status
        return Response(
            ReceiptOutputSerializer(receipt).data, status=status.HTTP_201_CREATED
        )


# --- Order documents ---------------------------------------------------------

PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(
        OpenApiTypes.BINARY, description="The PDF, when it is ready."
    ),
    202: OpenApiResponse(
        DocumentStatusSerializer, description="The PDF is being built: ask again."
    ),
}


class OrderPdfApi(FileAnswerMixin, APIView):
    @extend_schema(
        operation_id="orders_pdf",
        parameters=[NUMBER_PARAMETER],
        responses=PDF_RESPONSES,
        description="The consolidated order PDF, for buyers.",
    )
    def get(self, request, number):
        document = document_selectors.order_consolidated_document_get(
            request.user, number=number
        )
        return document_answer(
            document,
            filename=f"{document_services.document_filename(document)}.pdf",
            content_type="application/pdf",
        )


class OrderSharePdfApi(FileAnswerMixin, APIView):
    @extend_schema(
        operation_id="orders_share_pdf",
        parameters=[
            NUMBER_PARAMETER,
            OpenApiParameter(
                "trust", str, OpenApiParameter.PATH, description="The trust's code."
            ),
        ],
        responses=PDF_RESPONSES,
        description="One trust's share PDF: buyers any, a trust's users their own.",
    )
    def get(self, request, number, trust):
        document = document_selectors.order_share_document_get(
            request.user, number=number, trust_code=trust
        )
        return document_answer(
            document,
            filename=f"{document_services.document_filename(document)}.pdf",
            content_type="application/pdf",
        )
