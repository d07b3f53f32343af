"""Monthly savings summaries: the files built for each month (DESIGN §6)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from trusts.models import Trust


def savings_document_upload_to(instance: "SavingsDocument", filename: str) -> str:
    return f"reports/savings/{instance.month:%Y-%m}/{filename}"


class SavingsDocumentQuerySet(models.QuerySet):
    def for_month(self, month):
        return self.filter(month=month)


class SavingsDocument(models.Model):
    """One file of a month's savings summary: a trust's, or the alliance's.

    ``trust`` empty means the alliance-wide summary. The row records what must
    be built; the periodic sweep queues again any left pending too long.
    """

    class Format(models.TextChoices):
        PDF = "pdf", _("PDF")
        CSV = "csv", _("CSV")
        XLSX = "xlsx", _("Excel (XLSX)")

    class Status(models.TextChoices):
        PENDING = "pending", _("Being built")
        READY = "ready", _("Ready")
        FAILED = "failed", _("Failed")

    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    trust = models.ForeignKey(
        Trust, models.PROTECT, null=True, blank=True, related_name="+"
    )
    format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    failure_reason = models.TextField(_("reason for failure"), blank=True)
    file = models.FileField(
        _("file"), upload_to=savings_document_upload_to, max_length=255, blank=True
    )
    checksum = models.CharField(_("SHA-256"), max_length=64, blank=True)
    fingerprint = models.CharField(_("inputs fingerprint"), max_length=64, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    requested_at = models.DateTimeField(_("requested"))
    built_at = models.DateTimeField(_("built"), null=True, blank=True)

    objects = SavingsDocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-month", "trust__code", "format"]
        constraints = [
            models.UniqueConstraint(
                fields=["month", "trust", "format"], name="savingsdoc_one_per_trust"
            ),
            # NULLs are distinct in a unique index: the alliance's file (no
            # trust) needs its own constraint to stay single.
            models.UniqueConstraint(
                fields=["month", "format"],
                condition=Q(trust__isnull=True),
                name="savingsdoc_one_alliance",
            ),
            models.CheckConstraint(
                condition=Q(month__day=1), name="savingsdoc_month_first_day"
            ),
        ]
        indexes = [
            models.Index(
                fields=["status", "requested_at"], name="savingsdoc_status_req"
            )
        ]

    def __str__(self) -> str:
        scope = self.trust_id or "alliance"
        return f"{self.month:%Y-%m} {scope} {self.format}"

    @property
    def is_pending(self) -> bool:
        return self.status == self.Status.PENDING

    @property
    def is_ready(self) -> bool:
        return self.status == self.Status.READY
