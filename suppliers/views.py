"""Contract pages: the contract list, one contract, one fuel price index."""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django.views.generic import DetailView
from django_filters.views import FilterView
from django_tables2 import RequestConfig, SingleTableMixin

from alliance_procurement.tables import ExportMixin, pages_of
from suppliers import selectors, services
from suppliers.filters import ContractFilter
from suppliers.forms import CatalogueImportForm, PriceListImportForm
from suppliers.models import Contract, FuelPriceIndex, ImportBatch
from suppliers.tables import (
    FUEL_PRICES_PER_PAGE,
    ContractTable,
    FuelIndexPriceTable,
)
from trusts.models import Role
from trusts.permissions import role_required


class ContractListView(LoginRequiredMixin, ExportMixin, SingleTableMixin, FilterView):
    """Every contract with its committed value: filter, sort, CSV and XLSX."""

    template_name = "suppliers/contract_list.html"
    table_class = ContractTable
    filterset_class = ContractFilter
    table_pagination = pages_of(25)
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
        RequestConfig(self.request, paginate=pages_of(FUEL_PRICES_PER_PAGE)).configure(
            table
        )
        context["table"] = table
        return context


# --- Imports ---

IMPORTS_PER_PAGE = 25


@role_required(Role.CONTRACT_MANAGER)
def import_list(request):
    """Past catalogue and price-list imports, and the ways to start one."""
    page = Paginator(selectors.import_batches_list(), IMPORTS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "suppliers/import_list.html", {"page_obj": page})


def _import_upload(request, form_class, kind: str):
    """Upload a file; the service keeps it and previews it; show the preview."""
    if request.method != "POST":
        form = form_class(initial={"contract": request.GET.get("contract")})
    else:
        form = form_class(request.POST, request.FILES)
    if form.is_bound and form.is_valid():
        try:
            batch = services.import_batch_upload(
                kind=kind,
                upload=form.cleaned_data["file"],
                created_by=request.user,
                contract=form.cleaned_data.get("contract"),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            return redirect(batch)
    return render(request, "suppliers/import_form.html", {"form": form, "kind": kind})


@role_required(Role.CONTRACT_MANAGER)
def import_catalogue(request):
    """Upload a catalogue file for preview."""
    return _import_upload(request, CatalogueImportForm, ImportBatch.Kind.CATALOGUE)


@role_required(Role.CONTRACT_MANAGER)
def import_price_list(request):
    """Upload a contract's price list for preview."""
    return _import_upload(request, PriceListImportForm, ImportBatch.Kind.PRICE_LIST)


def _import_batch_or_404(pk: int) -> ImportBatch:
    try:
        return selectors.import_batch_get(pk=pk)
    except ImportBatch.DoesNotExist as exc:
        raise Http404 from exc


@role_required(Role.CONTRACT_MANAGER)
def import_detail(request, pk: int):
    """The preview of an upload (counts, first rows or every error), or its result."""
    batch = _import_batch_or_404(pk)
    columns, *rows = batch.preview or [[]]
    return render(
        request,
        "suppliers/import_detail.html",
        {
            "batch": batch,
            "preview_columns": columns,
            "preview_rows": rows,
            "out_of_date": selectors.import_batch_out_of_date(batch),
        },
    )


@role_required(Role.CONTRACT_MANAGER)
@require_POST
def import_confirm(request, pk: int):
    """Apply a previewed import, all or nothing, and show how it went."""
    _import_batch_or_404(pk)
    try:
        batch = services.import_batch_confirm(batch_id=pk, actor=request.user)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        if batch.status == ImportBatch.Status.APPLIED:
            messages.success(request, _("The file was imported."))
        else:
            messages.error(
                request,
                _("Nothing was imported: the file no longer passes the checks."),
            )
    return redirect("suppliers:import-detail", pk=pk)
