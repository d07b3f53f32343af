"""Admin for suppliers, contracts, price tiers and fuel indices.

Contract managers keep the shared contracts here (DESIGN §1). A contract
item's tiers are saved only when together they obey the tier rules of
DESIGN §3, checked by ``suppliers.pricing.tier_errors``.
"""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from suppliers import pricing, selectors
from suppliers.models import (
    Contract,
    ContractItem,
    FuelIndexPrice,
    FuelPriceIndex,
    PriceTier,
    Supplier,
)
from trusts.admin_audit import AuditedAdminMixin


@admin.register(Supplier)
class SupplierAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "email", "vat_number")
    search_fields = ("name", "email", "vat_number")


class ContractItemInline(admin.TabularInline):
    model = ContractItem
    extra = 0
    fields = (
        "item",
        "supplier_code",
        "minimum_order_quantity",
        "order_multiple",
        "price_basis",
        "fuel_index",
    )
    autocomplete_fields = ("item",)
    show_change_link = True  # the tiers are edited on the contract item's page


@admin.register(Contract)
class ContractAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "supplier",
        "status",
        "start_date",
        "end_date",
        "value_ceiling",
        "committed_value",
    )
    list_filter = ("status", "supplier", "trusts", "start_date", "end_date")
    search_fields = ("reference", "title", "supplier__name")
    filter_horizontal = ("trusts",)
    date_hierarchy = "start_date"
    inlines = [ContractItemInline]

    def get_queryset(self, request):
        return selectors.contracts_list()

    @admin.display(description=_("committed (£)"), ordering="committed_value")
    def committed_value(self, obj):
        return obj.committed_value


class PriceTierFormSet(BaseInlineFormSet):
    """Refuse tiers that break DESIGN §3 as a whole, naming each broken rule.

    Each form checks its own row; this checks the rows together: the first
    tier starts at 1 or at the minimum order quantity, no two tiers share a
    break, prices never rise with quantity, fixed prices are not negative.
    The minimum order quantity and price basis are those being saved.
    """

    def clean(self):
        super().clean()
        if any(self.errors):
            return  # a row is already wrong; its own message says why
        tiers = [
            pricing.Tier(
                min_quantity=form.cleaned_data["min_quantity"],
                unit_price=form.cleaned_data["unit_price"],
            )
            for form in self.forms
            if form.cleaned_data
            and not form.cleaned_data.get("DELETE")
            and form.cleaned_data.get("min_quantity") is not None
            and form.cleaned_data.get("unit_price") is not None
        ]
        errors = pricing.tier_errors(
            tiers,
            minimum_order_quantity=self.instance.minimum_order_quantity or 1,
            price_basis=self.instance.price_basis,
        )
        if errors:
            raise ValidationError(errors)

    def validate_unique(self):
        # Two rows at one break are reported by ``tier_errors`` in its words.
        return


class PriceTierInline(admin.TabularInline):
    model = PriceTier
    formset = PriceTierFormSet
    extra = 1
    min_num = 1
    fields = ("min_quantity", "unit_price")


@admin.register(ContractItem)
class ContractItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "contract",
        "item",
        "supplier_code",
        "minimum_order_quantity",
        "order_multiple",
        "price_basis",
        "fuel_index",
    )
    list_filter = (
        "price_basis",
        "contract__status",
        "contract__supplier",
        "fuel_index",
    )
    search_fields = (
        "contract__reference",
        "item__sku",
        "item__name",
        "supplier_code",
    )
    list_select_related = ("contract", "item", "fuel_index")
    autocomplete_fields = ("contract", "item")
    inlines = [PriceTierInline]


class FuelIndexPriceInline(admin.TabularInline):
    model = FuelIndexPrice
    extra = 1
    fields = ("effective_date", "price_per_litre")
    ordering = ("-effective_date",)


@admin.register(FuelPriceIndex)
class FuelPriceIndexAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "description", "page")
    search_fields = ("name", "description")
    inlines = [FuelIndexPriceInline]

    @admin.display(description=_("public page"))
    def page(self, obj):
        url = reverse("suppliers:fuel-index-detail", kwargs={"pk": obj.pk})
        return format_html('<a href="{}">{}</a>', url, _("View"))


@admin.register(FuelIndexPrice)
class FuelIndexPriceAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("index", "effective_date", "price_per_litre")
    list_filter = ("index",)
    search_fields = ("index__name",)
    date_hierarchy = "effective_date"
    list_select_related = ("index",)
