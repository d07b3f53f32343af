"""Contract pages: the contract list, one contract, one fuel price index."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from alliance_procurement.tables import ExportMixin
from suppliers import selectors
from suppliers.filters import ContractFilter
from suppliers.models import Contract, FuelPriceIndex
from suppliers.tables import ContractTable, FuelIndexPriceTable

FUEL_PRICES_PER_PAGE = 50


class ContractListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Every contract with its committed value: filter, sort, CSV and XLSX."""

    template_name = "suppliers/contract_list.html"
    table_class = ContractTable
    filterset_class = ContractFilter
    table_pagination = {"per_page": 25}
    export_name = "contracts"

    def get_queryset(self):
        return selectors.contracts_list()


class ContractDetailView(LoginRequiredMixin, DetailView):
    """One contract: trusts, committed value, remaining ceiling, items, tiers."""

    template_name = "suppliers/contract_detail.html"
    context_object_name = "contract"

    def get_object(self, queryset=None):
        try:
            return selectors.contract_get(reference=self.kwargs["reference"])
        except Contract.DoesNotExist as exc:
            raise Http404 from exc


class FuelIndexDetailView(LoginRequiredMixin, DetailView):
    """One fuel price index: its dated prices and the contract items on it."""

    template_name = "suppliers/fuel_index_detail.html"
    context_object_name = "index"

    def get_object(self, queryset=None):
        try:
            return selectors.fuel_index_get(pk=self.kwargs["pk"])
        except FuelPriceIndex.DoesNotExist as exc:
            raise Http404 from exc

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        table = FuelIndexPriceTable(selectors.fuel_index_prices(self.object))
        RequestConfig(
            self.request, paginate={"per_page": FUEL_PRICES_PER_PAGE}
        ).configure(table)
        context["table"] = table
        return context


# --- Imports ---
