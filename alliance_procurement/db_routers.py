"""Send the reads of reports and exports to a read replica when there is one.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database alias,
``ReplicaRouter`` and ``ReplicaReadMiddleware``. Reads go to the replica only
inside ``replica_reads()``: the middleware opens it for every GET under
``/reports/`` and every list export (``?_export=csv|xlsx``); a task may open
it itself. Everything else, and every write, uses ``default``, so a page
never reads behind what the same request has just written.

Reports tolerate the replica's lag (seconds); pages that act on what they
show (approvals, pooling, receipts) never read from it.
"""

import contextlib
import contextvars

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"
_reading_from_replica = contextvars.ContextVar("reading_from_replica", default=False)


@contextlib.contextmanager
def replica_reads():
    """Within the block, reads go to the replica if one is configured."""
    token = _reading_from_replica.set(True)
    try:
        yield
    finally:
        _reading_from_replica.reset(token)


def replica_alias() -> str | None:
    """The alias reads should use now, or None for the default.

    Never the replica inside a transaction on default: a service reads what it
    is about to change from the primary.
    """
    if (
        _reading_from_replica.get()
        and REPLICA in settings.DATABASES
        and not connections[DEFAULT_DB_ALIAS].in_atomic_block
    ):
        return REPLICA
    return None


class ReplicaRouter:
    """Reads inside ``replica_reads()`` from ``replica``; writes always ``default``."""

    def db_for_read(self, model, **hints):
        return replica_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: the replica is a copy of default.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


def is_replica_request(request) -> bool:
    """Reports pages and list exports, read-only by method."""
    if request.method not in ("GET", "HEAD"):
        return False
    return request.path.startswith("/reports/") or "_export" in request.GET


class ReplicaReadMiddleware:
    """Serve reports and exports from the replica (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_replica_request(request):
            with replica_reads():
                return self.get_response(request)
        return self.get_response(request)
