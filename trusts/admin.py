"""Admin for trusts, their sites and cost centres, and people's memberships."""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from trusts.admin_audit import AuditedAdminMixin
from trusts.models import CostCentre, Membership, Site, Trust

User = get_user_model()


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("code", "name", "kind", "postcode", "gln", "is_active")
    show_change_link = True


class CostCentreInline(admin.TabularInline):
    model = CostCentre
    extra = 0
    fields = ("code", "name", "is_active")


@admin.register(Trust)
class TrustAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "ods_code", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "code", "ods_code")
    inlines = [SiteInline, CostCentreInline]


@admin.register(Site)
class SiteAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "code", "trust", "kind", "postcode", "gln", "is_active")
    list_filter = ("trust", "kind", "is_active")
    search_fields = ("name", "code", "postcode", "gln", "trust__code")
    list_select_related = ("trust",)


@admin.register(CostCentre)
class CostCentreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("code", "name", "trust", "is_active")
    list_filter = ("trust", "is_active")
    search_fields = ("code", "name", "trust__code")
    list_select_related = ("trust",)


class MembershipInline(admin.StackedInline):
    model = Membership
    can_delete = False
    max_num = 1
    fields = (
        "trust",
        ("is_requisitioner", "is_approver", "is_finance"),
        ("is_buyer", "is_contract_manager"),
        "approval_limit",
    )


@admin.register(Membership)
class MembershipAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "user",
        "trust",
        "is_requisitioner",
        "is_approver",
        "is_buyer",
        "is_finance",
        "is_contract_manager",
        "approval_limit",
    )
    list_filter = (
        "trust",
        "is_requisitioner",
        "is_approver",
        "is_buyer",
        "is_finance",
        "is_contract_manager",
    )
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "trust")
    autocomplete_fields = ("user",)


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, DjangoUserAdmin):
    """Django's user admin with the user's organisation and roles inline."""

    inlines = [*DjangoUserAdmin.inlines, MembershipInline]
    list_display = (*DjangoUserAdmin.list_display, "membership__trust")
    list_filter = (*DjangoUserAdmin.list_filter, "membership__trust")
    list_select_related = ("membership__trust",)
