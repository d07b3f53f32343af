"""Trusts, their delivery sites and cost centres, and who belongs where."""

from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from alliance_procurement.validators import validate_gln

code_validator = RegexValidator(
    r"^[A-Z0-9][A-Z0-9-]*$",
    _("Use capital letters, digits and hyphens only."),
    code="invalid_code",
)


class TrustQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True)


class Trust(models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[code_validator],
        help_text=_("Short code used in requisition and order references, e.g. WMAS."),
    )
    ods_code = models.CharField(_("NHS ODS code"), max_length=10, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    objects = TrustQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    class Kind(models.TextChoices):
        STATION = "station", _("Ambulance station")
        HUB = "hub", _("Hub")
        MAKE_READY = "make_ready", _("Make-ready centre")
        FLEET_WORKSHOP = "fleet_workshop", _("Fleet workshop")
        FUEL_DEPOT = "fuel_depot", _("Fuel depot")
        OFFICE = "office", _("Headquarters or office")

    trust = models.ForeignKey(Trust, models.PROTECT, related_name="sites")
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    address = models.TextField(_("address"))
    postcode = models.CharField(_("postcode"), max_length=10)
    gln = models.CharField(
        _("GLN"),
        max_length=13,
        blank=True,
        validators=[validate_gln],
        help_text=_("GS1 Global Location Number, 13 digits."),
    )
    bunker_capacity_litres = models.PositiveIntegerField(
        _("fuel bunker capacity (litres)"), null=True, blank=True
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["trust__name", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "code"], name="site_code_unique_in_trust"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class CostCentre(models.Model):
    trust = models.ForeignKey(Trust, models.PROTECT, related_name="cost_centres")
    code = models.CharField(_("code"), max_length=20, validators=[code_validator])
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["trust__name", "code"]
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "code"], name="costcentre_code_unique_in_trust"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class Role(models.TextChoices):
    REQUISITIONER = "requisitioner", _("Requisitioner")
    APPROVER = "approver", _("Approver")
    BUYER = "buyer", _("Buyer")
    FINANCE = "finance", _("Finance")
    CONTRACT_MANAGER = "contract_manager", _("Contract manager")


ALLIANCE_CODE = "ALLIANCE"


class Membership(models.Model):
    """A user's organisation (a trust, or the alliance team when empty) and roles."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, models.CASCADE, related_name="membership"
    )
    trust = models.ForeignKey(
        Trust,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        help_text=_("Leave empty for the alliance's own team."),
    )
    is_requisitioner = models.BooleanField(_("requisitioner"), default=False)
    is_approver = models.BooleanField(_("approver"), default=False)
    is_buyer = models.BooleanField(_("buyer"), default=False)
    is_finance = models.BooleanField(_("finance"), default=False)
    is_contract_manager = models.BooleanField(_("contract manager"), default=False)
    approval_limit = models.DecimalField(
        _("approval limit (£)"),
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(approval_limit__gte=0), name="membership_limit_not_negative"
            ),
            # Trust roles need a trust; alliance roles need the alliance team.
            models.CheckConstraint(
                condition=Q(trust__isnull=False)
                | Q(is_requisitioner=False, is_approver=False, is_finance=False),
                name="membership_trust_roles_need_trust",
            ),
            models.CheckConstraint(
                condition=Q(trust__isnull=True)
                | Q(is_buyer=False, is_contract_manager=False),
                name="membership_alliance_roles_need_alliance",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.trust_id or ALLIANCE_CODE}"

    @property
    def roles(self) -> list[str]:
        return [role.value for role in Role if getattr(self, f"is_{role.value}")]

    @property
    def organisation_code(self) -> str:
        """Trust code, or ``ALLIANCE`` for the host team (DESIGN §10)."""
        return self.trust.code if self.trust_id else ALLIANCE_CODE


class AuditEvent(models.Model):
    """One security-relevant event: append only, the database refuses changes.

    Written only through ``trusts.services.audit_record``; the migration adds
    triggers that make UPDATE and DELETE on this table fail (ASVS V16).
    """

    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        # The trail outlives the account and its rows are never updated, so a
        # deleted user leaves the id and ``actor_username`` behind, unlinked.
        models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    actor_username = models.CharField(_("username"), max_length=150, blank=True)
    organisation_code = models.CharField(_("organisation"), max_length=12, blank=True)
    action = models.CharField(_("action"), max_length=64, db_index=True)
    object_type = models.CharField(_("object type"), max_length=100, blank=True)
    object_id = models.CharField(_("object reference"), max_length=100, blank=True)
    detail = models.JSONField(
        _("detail"), default=dict, blank=True, encoder=DjangoJSONEncoder
    )
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    path = models.CharField(_("path"), max_length=500, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object"),
            models.Index(fields=["organisation_code", "-at"], name="audit_org_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M:%S} {self.action} {self.actor_username}"
