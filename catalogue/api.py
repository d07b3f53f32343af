"""API view of the catalogue (DESIGN §10): every signed-in user reads it."""

import django_filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import generics

from alliance_procurement.api import cursor_pagination
from alliance_procurement.filters import SearchFilter
from catalogue import selectors
from catalogue.models import Item
from catalogue.serializers import ItemOutputSerializer


class ItemApiFilter(django_filters.FilterSet):
    """The catalogue page's filters; ``category`` is a name, as items show it."""

    q = SearchFilter(
        fields=("name", "sku", "nhs_code", "gtin"),
        help_text="Part of a name, SKU, NHS product code or GTIN.",
    )
    category = django_filters.CharFilter(
        field_name="category__name", lookup_expr="iexact", max_length=100
    )
    kind = django_filters.ChoiceFilter(choices=Item.Kind.choices)

    class Meta:
        model = Item
        fields = ["q", "category", "kind"]


class ItemListApi(generics.ListAPIView):
    """Read the catalogue. Writing needs roles, which this app cannot see:
    ``suppliers.api.ItemListCreateApi`` adds it, as the import pages do."""

    serializer_class = ItemOutputSerializer
    pagination_class = cursor_pagination("sku")
    filter_backends = (DjangoFilterBackend,)
    filterset_class = ItemApiFilter

    def get_queryset(self):
        return selectors.items_list()

    @extend_schema(operation_id="items_list")
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
