"""The audit trail for deletions of several objects at once in the admin.

Each add, change and single deletion through the admin reaches the trail
from the admin's own ``LogEntry`` (``trusts.receivers.record_admin_change``).
"Delete selected" of several objects logs them with one bulk insert, which
sends no signal: ``AuditedAdminMixin`` records each of those entries itself.
"""

from django.contrib.admin.models import LogEntry

from trusts import receivers


class AuditedAdminMixin:
    """Put first in a ``ModelAdmin``'s bases: bulk deletions reach the audit trail."""

    def log_deletions(self, request, queryset):
        entries = super().log_deletions(request, queryset)
        if isinstance(entries, list) and len(entries) > 1:
            for entry in entries:
                receivers.record_admin_change(
                    sender=LogEntry, instance=entry, created=True
                )
        return entries
