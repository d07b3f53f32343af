"""Suppliers, shared contracts, their items, price tiers and fuel price indices."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import NoReverseMatch, Resolver404, resolve, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from alliance_procurement.addresses import address
from catalogue.models import Item
from trusts.models import Trust

MAX_LINE_QUANTITY = 10_000_000


class Supplier(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    email = models.EmailField(_("email for orders"))
    address = models.TextField(_("address"), blank=True)
    vat_number = models.CharField(_("VAT number"), max_length=20, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class FuelPriceIndex(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    description = models.CharField(_("description"), max_length=300, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("fuel price indices")

    def __str__(self) -> str:
        return self.name


class FuelIndexPrice(models.Model):
    index = models.ForeignKey(FuelPriceIndex, models.CASCADE, related_name="prices")
    effective_date = models.DateField(_("effective date"))
    price_per_litre = models.DecimalField(
        _("price per litre (£)"),
        max_digits=12,
        decimal_places=4,
        validators=[MinValueValidator(0)],
    )

    class Meta:
        ordering = ["index", "-effective_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["index", "effective_date"], name="fuelindexprice_one_per_date"
            ),
            models.CheckConstraint(
                condition=Q(price_per_litre__gte=0), name="fuelindexprice_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.index_id} {self.effective_date}: {self.price_per_litre}"


class ContractQuerySet(models.QuerySet):
    def active_on(self, day: datetime.date):
        return self.filter(
            status=Contract.Status.ACTIVE, start_date__lte=day, end_date__gte=day
        )

    def open_to(self, trust: Trust):
        return self.filter(trusts=trust)


def contract_reference_reachable(value: str) -> None:
    """Refuse a reference whose page address another page already has.

    A contract's page is ``/contracts/<reference>/``, after the fixed pages
    under it (``imports/``, ``fuel-indices/1/``): a contract called
    ``imports`` could never be opened, and one with a line break has no
    address at all.
    """
    try:
        path = reverse("suppliers:contract-detail", kwargs={"reference": value})
        match = resolve(path)
    except (NoReverseMatch, Resolver404):
        match = None
    if match is None or match.view_name != "suppliers:contract-detail":
        raise ValidationError(
            _(
                "“%(reference)s” cannot be a contract's page address (another "
                "page has it, or it holds a line break): choose another."
            ),
            code="reference_taken_by_page",
            params={"reference": value},
        )


class Contract(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        SUSPENDED = "suspended", _("Suspended")
        ENDED = "ended", _("Ended")

    reference = models.CharField(
        _("reference"),
        max_length=40,
        unique=True,
        validators=[contract_reference_reachable],
    )
    title = models.CharField(_("title"), max_length=200)
    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="contracts")
    trusts = models.ManyToManyField(
        Trust, related_name="contracts", verbose_name=_("participating trusts")
    )
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    value_ceiling = models.DecimalField(
        _("value ceiling (£)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )

    objects = ContractQuerySet.as_manager()

    class Meta:
        ordering = ["reference"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(value_ceiling__gte=0), name="contract_ceiling_not_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    def get_absolute_url(self) -> str:
        return address("suppliers:contract-detail", reference=self.reference)


class ContractItem(models.Model):
    class PriceBasis(models.TextChoices):
        FIXED = "fixed", _("Fixed price")
        INDEX_LINKED = "index_linked", _("Index-linked (fuel)")

    contract = models.ForeignKey(Contract, models.CASCADE, related_name="items")
    item = models.ForeignKey(Item, models.PROTECT, related_name="contract_items")
    supplier_code = models.CharField(_("supplier's code"), max_length=40, blank=True)
    minimum_order_quantity = models.PositiveIntegerField(
        _("minimum order quantity"), default=1
    )
    order_multiple = models.PositiveIntegerField(_("order multiple"), default=1)
    price_basis = models.CharField(
        _("price basis"),
        max_length=12,
        choices=PriceBasis.choices,
        default=PriceBasis.FIXED,
    )
    fuel_index = models.ForeignKey(
        FuelPriceIndex,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="contract_items",
    )

    class Meta:
        ordering = ["contract", "item__sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract", "item"], name="contractitem_item_once_per_contract"
            ),
            models.CheckConstraint(
                condition=Q(minimum_order_quantity__gte=1, order_multiple__gte=1),
                name="contractitem_quantities_positive",
            ),
            models.CheckConstraint(
                condition=(
                    Q(price_basis="fixed", fuel_index__isnull=True)
                    | Q(price_basis="index_linked", fuel_index__isnull=False)
                ),
                name="contractitem_index_iff_index_linked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.contract_id}/{self.item_id}"

    @property
    def is_index_linked(self) -> bool:
        return self.price_basis == self.PriceBasis.INDEX_LINKED


class PriceTier(models.Model):
    """A quantity break: the unit price (or, index-linked, the margin per litre)."""

    contract_item = models.ForeignKey(
        ContractItem, models.CASCADE, related_name="tiers"
    )
    min_quantity = models.PositiveIntegerField(_("minimum quantity"))
    unit_price = models.DecimalField(
        _("unit price or margin (£)"),
        max_digits=12,
        decimal_places=4,
        help_text=_(
            "For index-linked items, the margin per litre over the index; "
            "may be negative."
        ),
    )

    class Meta:
        ordering = ["contract_item", "min_quantity"]
        constraints = [
            models.UniqueConstraint(
                fields=["contract_item", "min_quantity"], name="pricetier_one_per_break"
            ),
            models.CheckConstraint(
                condition=Q(min_quantity__gte=1, min_quantity__lte=MAX_LINE_QUANTITY),
                name="pricetier_min_quantity_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.min_quantity}+ @ {self.unit_price}"


class ImportBatch(models.Model):
    """An uploaded catalogue or price list, kept between preview and confirm.

    The file is kept once imported, as the record of what was applied; the
    file of an upload that failed or went out of date is deleted (its counts,
    errors and first rows stay).
    """

    class Kind(models.TextChoices):
        CATALOGUE = "catalogue", _("Catalogue")
        PRICE_LIST = "price_list", _("Price list")

    class Status(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        PREVIEWED = "previewed", _("Ready to confirm")
        APPLIED = "applied", _("Imported")
        FAILED = "failed", _("Failed")
        # A preview too old, or overtaken by another import, to be confirmed.
        EXPIRED = "expired", _("Out of date")

    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    contract = models.ForeignKey(
        Contract,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="import_batches",
        help_text=_("The contract a price list replaces; empty for a catalogue."),
    )
    original_name = models.CharField(_("file name"), max_length=255)
    file = models.FileField(
        _("file"), upload_to="imports/%Y/%m/", max_length=255, blank=True
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.UPLOADED
    )
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    unchanged_count = models.PositiveIntegerField(_("unchanged"), default=0)
    removed_count = models.PositiveIntegerField(_("removed"), default=0)
    tier_count = models.PositiveIntegerField(_("price tiers"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    errors = models.JSONField(
        _("errors"),
        default=list,
        blank=True,
        help_text=_("The first errors found: row, column and message."),
    )
    # The column names, then the first rows' values (lists keep their order).
    preview = models.JSONField(_("first rows"), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    applied_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = _("import batches")
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="catalogue", contract__isnull=True)
                | Q(kind="price_list", contract__isnull=False),
                name="importbatch_contract_iff_price_list",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.original_name}"

    def get_absolute_url(self) -> str:
        return address("suppliers:import-detail", pk=self.pk)
