"""API views of the catalogue's writes, suppliers, contracts and fuel prices
(DESIGN §10).

Everyone signed in reads; only contract managers write.
"""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.views import APIView

from alliance_procurement.api import cursor_pagination
from alliance_procurement.filters import SearchFilter
from catalogue import api as catalogue_api
from catalogue import services as catalogue_services
from catalogue.serializers import ItemInputSerializer, ItemOutputSerializer
from suppliers import selectors, services
from suppliers.models import Contract, Supplier
from suppliers.serializers import (
    ContractInputSerializer,
    ContractOutputSerializer,
    ContractSummarySerializer,
    FuelIndexPriceInputSerializer,
    FuelIndexPriceOutputSerializer,
    SupplierInputSerializer,
    SupplierOutputSerializer,
)
from trusts.models import Role, Trust
from trusts.permissions import require_role


class ItemListCreateApi(catalogue_api.ItemListApi):
    """The catalogue, read by all; contract managers add items (DESIGN §7)."""

    @extend_schema(
        operation_id="items_create",
        request=ItemInputSerializer,
        responses={201: ItemOutputSerializer},
        description="Add an item; a new category name creates the category, "
        "as in the CSV import.",
    )
    def post(self, request):
        require_role(request.user, Role.CONTRACT_MANAGER)
        serializer = ItemInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = catalogue_services.item_create(
            **serializer.validated_data, actor=request.user
        )
        return Response(ItemOutputSerializer(item).data, status=status.HTTP_201_CREATED)


class SupplierApiFilter(django_filters.FilterSet):
    q = SearchFilter(fields=("name", "email"), help_text="Part of a name or e-mail.")

    class Meta:
        model = Supplier
        fields = ["q"]


class SupplierListCreateApi(generics.ListAPIView):
    serializer_class = SupplierOutputSerializer
    pagination_class = cursor_pagination("name")
    filter_backends = (DjangoFilterBackend,)
    filterset_class = SupplierApiFilter

    def get_queryset(self):
        return selectors.suppliers_list()

    @extend_schema(operation_id="suppliers_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="suppliers_create",
        request=SupplierInputSerializer,
        responses={201: SupplierOutputSerializer},
    )
    def post(self, request):
        require_role(request.user, Role.CONTRACT_MANAGER)
        serializer = SupplierInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        supplier = services.supplier_create(
            **serializer.validated_data, actor=request.user
        )
        return Response(
            SupplierOutputSerializer(supplier).data, status=status.HTTP_201_CREATED
        )


class ContractApiFilter(django_filters.FilterSet):
    """The contract page's filters; ``trust`` is a trust code."""

    q = SearchFilter(
        fields=("reference", "title", "supplier__name"),
        help_text="Part of a reference, title or supplier name.",
    )
    status = django_filters.ChoiceFilter(choices=Contract.Status.choices)
    supplier = django_filters.NumberFilter(field_name="supplier_id")
    trust = django_filters.CharFilter(method="filter_trust", max_length=12)

    class Meta:
        model = Contract
        fields = ["q", "status", "supplier", "trust"]

    def filter_trust(self, queryset, name, value):
        trust = Trust.objects.filter(code=value).first()
        if trust is None:
            return queryset.none()
        return queryset.filter(pk__in=selectors.contract_ids_open_to(trust))


class ContractListCreateApi(generics.ListAPIView):
    serializer_class = ContractSummarySerializer
    pagination_class = cursor_pagination("reference")
    filter_backends = (DjangoFilterBackend,)
    filterset_class = ContractApiFilter

    def get_queryset(self):
        return selectors.contracts_list()

    @extend_schema(
        operation_id="contracts_list",
        description="Contracts without their items; "
        "GET /api/v1/contracts/{reference}/ gives the items and tiers.",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="contracts_create",
        request=ContractInputSerializer,
        responses={201: ContractOutputSerializer},
        description="Create a contract with its items and price tiers, all or "
        "nothing. An item's errors are keyed by its position from 0: "
        '`{"items": {"1": {"tiers": ["..."]}}}` is the second item.',
    )
    def post(self, request):
        require_role(request.user, Role.CONTRACT_MANAGER)
        serializer = ContractInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        contract = services.contract_create(
            reference=data["reference"],
            title=data["title"],
            supplier_id=data["supplier"],
            trust_codes=data["trusts"],
            start_date=data["start_date"],
            end_date=data["end_date"],
            value_ceiling=data["value_ceiling"],
            status=data["status"],
            actor=request.user,
            items=[
                services.ContractItemInput(
                    sku=entry["sku"],
                    supplier_code=entry["supplier_code"],
                    minimum_order_quantity=entry["minimum_order_quantity"],
                    order_multiple=entry["order_multiple"],
                    price_basis=entry["price_basis"],
                    fuel_index=entry["fuel_index"],
                    tiers=[
                        (tier["min_quantity"], tier["unit_price"])
                        for tier in entry["tiers"]
                    ],
                )
                for entry in data["items"]
            ],
        )
        return Response(
            ContractOutputSerializer(
                selectors.contract_get(reference=contract.reference)
            ).data,
            status=status.HTTP_201_CREATED,
        )


class ContractDetailApi(APIView):
    @extend_schema(
        operation_id="contracts_retrieve", responses={200: ContractOutputSerializer}
    )
    def get(self, request, reference):
        contract = selectors.contract_get(reference=reference)
        return Response(ContractOutputSerializer(contract).data)


class FuelIndexPriceCreateApi(APIView):
    @extend_schema(
        operation_id="fuel_index_prices_create",
        parameters=[
            OpenApiParameter(
                "name", str, OpenApiParameter.PATH, description="The index's name."
            )
        ],
        request=FuelIndexPriceInputSerializer,
        responses={
            201: FuelIndexPriceOutputSerializer,
            200: FuelIndexPriceOutputSerializer,
        },
        description="Record the index's price from a date; the first price "
        "creates the index. The same price again answers 200 and changes "
        "nothing; a different price for a date already priced answers 409.",
    )
    def post(self, request, name):
        require_role(request.user, Role.CONTRACT_MANAGER)
        serializer = FuelIndexPriceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        price, created = services.fuel_index_price_add(
            index_name=name, **serializer.validated_data, actor=request.user
        )
        return Response(
            FuelIndexPriceOutputSerializer(price).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )
