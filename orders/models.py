"""Requisitions, pooling rounds, joint purchase orders, allocations, receipts."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from alliance_procurement.addresses import address
from catalogue.models import Item
from suppliers.models import MAX_LINE_QUANTITY, Contract, Supplier
from trusts.models import CostCentre, Site, Trust

AMOUNT = {"max_digits": 14, "decimal_places": 2}
UNIT_PRICE = {"max_digits": 12, "decimal_places": 4}


def _quantity_in_range(name: str, field: str = "quantity") -> models.CheckConstraint:
    return models.CheckConstraint(
        condition=Q(**{f"{field}__gte": 1, f"{field}__lte": MAX_LINE_QUANTITY}),
        name=name,
    )


# --- Requisitions (DESIGN §4) ----------------------------------------------


class RequisitionQuerySet(models.QuerySet):
    def for_trust(self, trust: Trust):
        return self.filter(trust=trust)


class Requisition(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        ORDERED = "ordered", _("Ordered")
        RECEIVED = "received", _("Received")

    trust = models.ForeignKey(Trust, models.PROTECT, related_name="requisitions")
    number = models.CharField(_("number"), max_length=40, blank=True)
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="requisitions"
    )
    site = models.ForeignKey(Site, models.PROTECT, related_name="requisitions")
    cost_centre = models.ForeignKey(
        CostCentre, models.PROTECT, related_name="requisitions"
    )
    needed_by = models.DateField(_("needed by"))
    notes = models.TextField(_("notes"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    estimated_total = models.DecimalField(
        _("estimated total (£)"), **AMOUNT, null=True, blank=True
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    decided_at = models.DateTimeField(_("approved or rejected"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    objects = RequisitionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "number"],
                condition=~Q(number=""),
                name="requisition_number_unique_in_trust",
            ),
        ]
        indexes = [
            models.Index(
                fields=["trust", "status", "-created_at"],
                name="requisition_trust_status",
            ),
            models.Index(
                fields=["status", "submitted_at"], name="requisition_status_sub"
            ),
            # The tracking list: a trust's newest first, page 1 without a sort.
            models.Index(
                fields=["trust", "-created_at", "-id"], name="requisition_trust_newest"
            ),
            # Who raised requisitions in a trust (the list's requester filter).
            models.Index(
                fields=["trust", "requester"], name="requisition_trust_requester"
            ),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    def get_absolute_url(self) -> str:
        return address("orders:requisition-detail", pk=self.pk)


class RequisitionCounter(models.Model):
    """The last requisition number given per trust and year; locked while numbering."""

    trust = models.ForeignKey(Trust, models.PROTECT, related_name="+")
    year = models.PositiveIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["trust", "year"], name="reqcounter_one_per_year"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.trust_id} {self.year}: {self.last_number}"


class RequisitionLine(models.Model):
    requisition = models.ForeignKey(Requisition, models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField(
        _("quantity"), help_text=_("In the item's unit.")
    )
    estimated_unit_price = models.DecimalField(
        _("estimated unit price (£)"), **UNIT_PRICE, null=True, blank=True
    )
    estimated_net = models.DecimalField(
        _("estimated net (£)"), **AMOUNT, null=True, blank=True
    )

    class Meta:
        ordering = ["requisition", "pk"]
        constraints = [_quantity_in_range("requisitionline_quantity_in_range")]

    def __str__(self) -> str:
        return f"{self.requisition_id}: {self.quantity} × {self.item_id}"


class RequisitionEvent(models.Model):
    """Append-only history of a requisition: who did what, when, and why."""

    class Action(models.TextChoices):
        CREATED = "created", _("Created")
        EDITED = "edited", _("Edited")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        CANCELLED = "cancelled", _("Cancelled")
        POOLED = "pooled", _("Pooled into an order")
        UNPOOLED = "unpooled", _("Returned from a cancelled order")
        ORDERED = "ordered", _("Ordered")
        RECEIVED = "received", _("Received")

    requisition = models.ForeignKey(Requisition, models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["requisition", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.requisition_id} {self.action} {self.at:%Y-%m-%d %H:%M}"


# --- Pooling and joint purchase orders (DESIGN §5) -------------------------


# The alliance's rounds pool lines of its own time: an earlier cut-off is a
# slip of the keyboard (and before 1900 the UK's clocks were not on whole
# minutes of UTC, which no ISO 8601 instant can show).
EARLIEST_CUT_OFF = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


def validate_cut_off(value: datetime.datetime) -> None:
    if value < EARLIEST_CUT_OFF:
        raise ValidationError(
            _("Enter a cut-off on or after 1 January 2000."), code="too_early"
        )


class PoolingRound(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        COMMITTED = "committed", _("Committed")
        CANCELLED = "cancelled", _("Cancelled")

    cut_off = models.DateTimeField(
        _("cut-off"),
        help_text=_("Approved lines submitted before this are pooled."),
        validators=[validate_cut_off],
    )
    pricing_date = models.DateField(_("pricing date"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.OPEN
    )
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+"
    )
    opened_at = models.DateTimeField(_("opened"), auto_now_add=True)
    committed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    committed_at = models.DateTimeField(_("committed"), null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-pk"]

    def __str__(self) -> str:
        return f"Round {self.pk} (cut-off {self.cut_off:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return address("orders:round-detail", pk=self.pk)


class OrderNumberCounter(models.Model):
    """The last order number given in a year; locked while numbering, so no gaps."""

    year = models.PositiveIntegerField(unique=True)
    last_number = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class Totals(models.Model):
    """Money columns shared by orders, order lines, shares and allocations."""

    net = models.DecimalField(_("net (£)"), **AMOUNT, default=Decimal("0.00"))
    vat = models.DecimalField(_("VAT (£)"), **AMOUNT, default=Decimal("0.00"))
    standalone_net = models.DecimalField(
        _("standalone net (£)"), **AMOUNT, default=Decimal("0.00")
    )
    savings = models.DecimalField(_("savings (£)"), **AMOUNT, default=Decimal("0.00"))

    class Meta:
        abstract = True

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


class JointPurchaseOrderQuerySet(models.QuerySet):
    def not_cancelled(self):
        return self.exclude(status=JointPurchaseOrder.Status.CANCELLED)

    def with_share_of(self, trust: Trust):
        return self.filter(shares__trust=trust)


class JointPurchaseOrder(Totals):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ISSUED = "issued", _("Issued")
        PART_RECEIVED = "part_received", _("Part received")
        RECEIVED = "received", _("Received")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    number = models.CharField(_("order number"), max_length=20, unique=True)
    pooling_round = models.ForeignKey(
        PoolingRound, models.PROTECT, related_name="orders"
    )
    contract = models.ForeignKey(Contract, models.PROTECT, related_name="orders")
    supplier = models.ForeignKey(Supplier, models.PROTECT, related_name="orders")
    pricing_date = models.DateField(_("pricing date"))
    status = models.CharField(
        _("status"), max_length=14, choices=Status.choices, default=Status.DRAFT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    issued_at = models.DateTimeField(_("issued"), null=True, blank=True)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = JointPurchaseOrderQuerySet.as_manager()

    class Meta:
        ordering = ["-number"]
        indexes = [
            models.Index(fields=["status", "issued_at"], name="order_status_issued"),
            models.Index(fields=["contract", "status"], name="order_contract_status"),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return address("orders:order-detail", number=self.number)


class OrderShare(Totals):
    """One trust's part of an order: what the supplier invoices that trust."""

    order = models.ForeignKey(JointPurchaseOrder, models.CASCADE, related_name="shares")
    trust = models.ForeignKey(Trust, models.PROTECT, related_name="order_shares")
    reference = models.CharField(_("reference"), max_length=40, unique=True)

    class Meta:
        ordering = ["order", "trust__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "trust"], name="ordershare_one_per_trust"
            ),
        ]

    def __str__(self) -> str:
        return self.reference


class OrderLine(Totals):
    order = models.ForeignKey(JointPurchaseOrder, models.CASCADE, related_name="lines")
    item = models.ForeignKey(Item, models.PROTECT, related_name="+")
    supplier_code = models.CharField(_("supplier's code"), max_length=40, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("pooled unit price (£)"), **UNIT_PRICE)
    tier_min_quantity = models.PositiveIntegerField(_("tier reached (from)"))

    class Meta:
        ordering = ["order", "item__sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "item"], name="orderline_item_once"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gte=1), name="orderline_quantity_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id}: {self.quantity} × {self.item_id}"


class Allocation(Totals):
    """One requisition line's part of an order line, priced and rounded once."""

    order_line = models.ForeignKey(
        OrderLine, models.CASCADE, related_name="allocations"
    )
    share = models.ForeignKey(OrderShare, models.CASCADE, related_name="allocations")
    requisition_line = models.ForeignKey(
        RequisitionLine, models.PROTECT, related_name="allocations"
    )
    # Copies of the requisition's trust, site and cost centre, written by the
    # commit's one INSERT … SELECT from the requisition itself, so reports
    # need no join. The requisition's own foreign keys already guard these
    # rows (and Django's PROTECT still refuses deletes), so the database
    # neither checks them again per allocation nor indexes them alone: a
    # commit of a million lines would spend most of its time on those
    # checks. Reads by trust use the ``allocation_trust`` index.
    trust = models.ForeignKey(
        Trust, models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    site = models.ForeignKey(
        Site, models.PROTECT, related_name="+", db_index=False, db_constraint=False
    )
    cost_centre = models.ForeignKey(
        CostCentre,
        models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = models.DecimalField(_("pooled unit price (£)"), **UNIT_PRICE)
    standalone_unit_price = models.DecimalField(
        _("standalone unit price (£)"), **UNIT_PRICE
    )
    received_quantity = models.PositiveIntegerField(_("received"), default=0)
    # A cancelled order's allocations stay as history; their lines are free again.
    is_cancelled = models.BooleanField(_("cancelled"), default=False)

    class Meta:
        ordering = ["order_line", "trust__code", "pk"]
        constraints = [
            # A requisition line is pooled at most once (DESIGN §5), even under
            # concurrent commits: the database refuses the second allocation.
            models.UniqueConstraint(
                fields=["requisition_line"],
                condition=Q(is_cancelled=False),
                name="allocation_line_pooled_once",
            ),
            _quantity_in_range("allocation_quantity_in_range"),
            models.CheckConstraint(
                condition=Q(received_quantity__lte=F("quantity")),
                name="allocation_received_within_ordered",
            ),
            models.CheckConstraint(
                condition=Q(savings__gte=0), name="allocation_savings_not_negative"
            ),
        ]
        indexes = [
            models.Index(fields=["trust", "order_line"], name="allocation_trust")
        ]

    def __str__(self) -> str:
        return f"{self.share_id}: {self.quantity} × line {self.requisition_line_id}"


class Receipt(models.Model):
    allocation = models.ForeignKey(Allocation, models.PROTECT, related_name="receipts")
    quantity = models.PositiveIntegerField(_("quantity received"))
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.PROTECT, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["allocation", "received_at", "pk"]
        constraints = [_quantity_in_range("receipt_quantity_in_range")]

    def __str__(self) -> str:
        return f"{self.allocation_id}: {self.quantity}"


# --- Order documents (DESIGN §6) ----------------------------------------------


def order_document_upload_to(instance: "OrderDocument", filename: str) -> str:
    return f"orders/documents/{instance.order_id}/{filename}"


class OrderDocument(models.Model):
    """A generated PDF of an order: the consolidated document or one trust's share.

    The row, not the queue, records what must be built: a pending document is
    queued again by the periodic sweep until it is ready or failed.
    """

    class Kind(models.TextChoices):
        CONSOLIDATED = "consolidated", _("Consolidated order")
        SHARE = "share", _("Trust's share")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    order = models.ForeignKey(
        JointPurchaseOrder, models.CASCADE, related_name="documents"
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    trust = models.ForeignKey(
        Trust, models.PROTECT, null=True, blank=True, related_name="+"
    )
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.TextField(_("reason for failure"), blank=True)
    file = models.FileField(
        _("file"), upload_to=order_document_upload_to, max_length=255, blank=True
    )
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    fingerprint = models.CharField(_("inputs fingerprint"), max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_at = models.DateTimeField(_("requested"))
    built_at = models.DateTimeField(_("built"), null=True, blank=True)

    class Meta:
        ordering = ["order", "kind", "trust__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "kind", "trust"], name="orderdocument_one_per_trust"
            ),
            # NULLs are distinct in a unique index: the consolidated document
            # (no trust) needs its own constraint to stay single.
            models.UniqueConstraint(
                fields=["order", "kind"],
                condition=Q(trust__isnull=True),
                name="orderdocument_one_consolidated",
            ),
            models.CheckConstraint(
                condition=Q(kind="consolidated", trust__isnull=True)
                | Q(kind="share", trust__isnull=False),
                name="orderdocument_trust_iff_share",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "requested_at"], name="orderdoc_status_req")
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind} {self.trust_id or ''}".strip()

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
