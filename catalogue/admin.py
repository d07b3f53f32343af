"""Admin for the catalogue, for contract managers (DESIGN §1)."""

from django.contrib import admin

from catalogue.models import Category, Item
from trusts.admin_audit import AuditedAdminMixin


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name",)
    search_fields = ("name",)


@admin.register(Item)
class ItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "sku",
        "name",
        "category",
        "kind",
        "unit",
        "pack_size",
        "vat_rate",
        "nhs_code",
        "gtin",
        "is_active",
    )
    list_filter = ("category", "kind", "vat_rate", "is_active")
    search_fields = ("sku", "name", "nhs_code", "gtin")
    list_select_related = ("category",)
    ordering = ("sku",)
