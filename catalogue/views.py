"""Catalogue pages: the item list and one item with its contracts."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import SingleTableMixin

from alliance_procurement.tables import ExportMixin, pages_of
from catalogue import selectors
from catalogue.filters import ItemFilter
from catalogue.models import Item
from catalogue.tables import ItemTable


class ItemListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Active items: search, filter, sort, 25 a page, CSV and XLSX."""

    template_name = "catalogue/item_list.html"
    table_class = ItemTable
    filterset_class = ItemFilter
    table_pagination = pages_of(25)
    export_name = "catalogue"

    def get_queryset(self):
        return selectors.items_list()


class ItemDetailView(LoginRequiredMixin, DetailView):
    """One item and every contract it is on, with prices."""

    template_name = "catalogue/item_detail.html"
    context_object_name = "item"

    def get_object(self, queryset=None):
        try:
            return selectors.item_get(sku=self.kwargs["sku"])
        except Item.DoesNotExist as exc:
            raise Http404 from exc
