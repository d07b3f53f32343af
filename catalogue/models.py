"""The alliance's common catalogue: categories and items."""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance_procurement.addresses import address
from alliance_procurement.validators import validate_gtin


class Category(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.name


class ItemQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Item(models.Model):
    class Kind(models.TextChoices):
        EQUIPMENT = "equipment", _("Equipment")
        CONSUMABLE = "consumable", _("Consumable")
        FUEL = "fuel", _("Fuel")

    class Unit(models.TextChoices):
        EACH = "each", _("each")
        PAIR = "pair", _("pair")
        PACK = "pack", _("pack")
        BOX = "box", _("box")
        CASE = "case", _("case")
        ROLL = "roll", _("roll")
        BOTTLE = "bottle", _("bottle")
        KIT = "kit", _("kit")
        LITRE = "litre", _("litre")

    class VatRate(models.TextChoices):
        # Stored as fractions (STYLE §3): 0.20 is 20%.
        STANDARD = "0.20", _("20% (standard)")
        REDUCED = "0.05", _("5% (reduced)")
        ZERO = "0.00", _("0% (zero)")

    sku = models.CharField(_("SKU"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    category = models.ForeignKey(Category, models.PROTECT, related_name="items")
    unit = models.CharField(_("unit of measure"), max_length=10, choices=Unit.choices)
    pack_size = models.PositiveIntegerField(
        _("pack size"), default=1, help_text=_("How many pieces one unit holds.")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    vat_rate = models.DecimalField(
        _("VAT rate"),
        max_digits=3,
        decimal_places=2,
        choices=[(Decimal(value), label) for value, label in VatRate.choices],
    )
    nhs_code = models.CharField(_("NHS product code"), max_length=20, blank=True)
    gtin = models.CharField(
        _("GTIN"), max_length=14, blank=True, validators=[validate_gtin]
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    vat_rate__in=[Decimal("0.00"), Decimal("0.05"), Decimal("0.20")]
                ),
                name="item_vat_rate_allowed",
            ),
            models.CheckConstraint(
                condition=Q(pack_size__gte=1), name="item_pack_size_positive"
            ),
        ]
        indexes = [models.Index(fields=["category", "kind"], name="item_category_kind")]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"

    def get_absolute_url(self) -> str:
        return address("catalogue:item-detail", sku=self.sku)
