"""Send the reads of reports and exports to a read replica when there is one.

With ``DATABASE_REPLICA_URL`` set, settings add a ``replica`` database alias,
``ReplicaRouter`` and ``ReplicaReadMiddleware``. Reads go to the replica only
inside ``replica_reads()``: the middleware opens it for every GET under
``/reports/``, the savings API's figures (``/api/v1/savings/<month>/``) and
every list export (``?_export=csv|xlsx``); a task may open it itself. The
savings API's files are not among them: a file it does not find it asks to
be built, and a replica behind would have it ask for a ready file again.
Everything else, and every write, uses ``default``, so a page never reads
behind what the same request has just written.

Reports tolerate the replica's lag (seconds); pages that act on what they
show (approvals, pooling, receipts) never read from it.

A replica that does not answer (stopped, unreachable, refusing connections)
is not the users' problem: the middleware asks it first, and when it does
not answer within its connect timeout the request reads from ``default``,
with a warning in the log. The process then leaves the replica alone for
``DATABASE_REPLICA_RETRY_SECONDS`` before asking again, so a replica that is
down costs one connect timeout per process per interval, not one per request.
Who may see what is always read from ``default``, however far behind the
replica is: users, sessions, API tokens, second factors, sign-in lockouts
and trust memberships. A role taken away, a token revoked or a user moved to
another trust counts at once, on the replica's pages too.
"""

import contextlib
import contextvars
import logging
import re
import time

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

REPLICA = "replica"
_reading_from_replica = contextvars.ContextVar("reading_from_replica", default=False)

logger = logging.getLogger(__name__)


class _ReplicaState:
    """When this process may next ask a replica that did not answer."""

    retry_at = 0.0  # time.monotonic(); 0 when it answered last


def replica_answers() -> bool:
    """Whether reads may go to the replica now: it is configured and answers.

    Opening a cursor connects when there is no connection, and runs Django's
    health check on a kept one (``CONN_HEALTH_CHECKS``), reconnecting when
    it fails: no query of its own when the replica is well.
    """
    if REPLICA not in settings.DATABASES:
        return False
    if time.monotonic() < _ReplicaState.retry_at:
        return False
    connection = connections[REPLICA]
    try:
        connection.cursor().close()
    except DatabaseError:
        retry = settings.DATABASE_REPLICA_RETRY_SECONDS
        logger.warning(
            "the read replica did not answer; reading from the primary for %s s",
            retry,
            exc_info=True,
        )
        connection.close()
        _ReplicaState.retry_at = time.monotonic() + retry
        return False
    _ReplicaState.retry_at = 0.0
    return True


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


#: Apps and models that decide who may see what (see the module docstring).
ACCESS_APPS = frozenset({"auth", "sessions", "authtoken", "otp_totp", "axes"})
ACCESS_MODELS = frozenset({"trusts.membership"})


class ReplicaRouter:
    """Reads inside ``replica_reads()`` from ``replica``, except those that
    decide access; writes always ``default``."""

    def db_for_read(self, model, **hints):
        meta = model._meta
        if meta.app_label in ACCESS_APPS or meta.label_lower in ACCESS_MODELS:
            return None
        return replica_alias()

    def db_for_write(self, model, **hints):
        return "default"

    def allow_relation(self, obj1, obj2, **hints):
        # Both aliases hold the same data: the replica is a copy of default.
        return True

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA


SAVINGS_API_FIGURES = re.compile(r"/api/v1/savings/[0-9]{4}-[0-9]{2}/")


def is_replica_request(request) -> bool:
    """Reports pages, the savings API's figures and list exports, read-only
    by method."""
    if request.method not in ("GET", "HEAD"):
        return False
    return (
        request.path.startswith("/reports/")
        or SAVINGS_API_FIGURES.fullmatch(request.path) is not None
        or "_export" in request.GET
    )


class ReplicaReadMiddleware:
    """Serve reports and exports from the replica (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if is_replica_request(request) and replica_answers():
            with replica_reads():
                return self.get_response(request)
        return self.get_response(request)
