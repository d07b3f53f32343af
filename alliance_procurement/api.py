"""Shared pieces of the integration API under ``/api/v1/`` (DESIGN §10).

- ``api_exception_handler`` turns what services and selectors raise into the
  answers DESIGN §10 promises, so no API view has a ``try`` of its own:

  * ``django.core.exceptions.ValidationError`` from a service: 409 when every
    error's code says the object is in the wrong state for the action (see
    ``is_conflict_code``), 403 when the code says the user may not (see
    ``FORBIDDEN_CODES``), otherwise 400. Errors naming fields answer
    ``{"field": ["message"]}``; the others ``{"detail": "message"}``.
  * ``ObjectDoesNotExist`` (a selector found nothing visible to the user): 404.
  * ``IntegrityError`` (a concurrent request won a race the database refereed):
    409, never a 500.
  * ``DataError`` (a value the database cannot hold): 400.
- ``cursor_pagination(*ordering)``: cursor pages (``results``, ``next``,
  ``previous``) whose cost does not grow with depth.
- ``TokenRequestThrottle`` and ``WriteThrottle``: rates from
  ``REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`` (scopes ``api_token`` and
  ``api_write``), read on each request so tests may override them.
- ``UnitPriceField`` and ``AmountField``: money as strings with 4 and 2 fixed
  decimals (``"8.5000"``, ``"150.00"``).
- ``schema_add_error_responses``: documents every operation's error answers.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError
from django.http import FileResponse, JsonResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csrf import csrf_exempt
from rest_framework import (
    exceptions,
    pagination,
    parsers,
    serializers,
    status,
    throttling,
)
from rest_framework.response import Response
from rest_framework.settings import api_settings

# --- Service errors to HTTP statuses ---------------------------------------

# A service error whose code starts with one of these says the object is not
# in a state that allows the action (``not_submitted``, ``already_pooled``).
CONFLICT_CODE_PREFIXES = ("not_", "already_")
# Other codes that mean the same; the one place the API lists them.
CONFLICT_CODES = frozenset(
    {
        "invalid_state",
        "wrong_state",
        "state",
        "conflict",
        "pooled",
        "has_receipts",
        "round_committed",
        "round_cancelled",
        "order_cancelled",
        "concurrent_update",
        "nothing_to_pool",
        "pooled_elsewhere",
        "lines_changed",
    }
)
# Codes that say this user may not do this to this object (DESIGN §7).
FORBIDDEN_CODES = frozenset(
    {
        "forbidden",
        "permission_denied",
        "own_requisition",
        "approve_own",
        "over_limit",
        "above_limit",
        "over_approval_limit",
        "exceeds_approval_limit",
    }
)
# Codes that look like conflicts by their prefix but are bad input.
INPUT_CODES = frozenset({"not_found", "not_multiple", "not_a_number"})


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, refusing a body nested too deeply to decode (a
    ``RecursionError`` in ``json``) as bad input (400) rather than a 500.
    Every API view parses with it (``DEFAULT_PARSER_CLASSES``)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise exceptions.ParseError(
                _("JSON parse error - nested too deeply.")
            ) from exc


def is_conflict_code(code: str | None) -> bool:
    """Tell whether a service error code means "wrong state for this action"."""
    if not code or code in INPUT_CODES:
        return False
    return code in CONFLICT_CODES or code.startswith(CONFLICT_CODE_PREFIXES)


def _error_codes(error: DjangoValidationError) -> list[str | None]:
    if hasattr(error, "error_dict"):
        return [item.code for items in error.error_dict.values() for item in items]
    return [item.code for item in error.error_list]


def status_for_validation_error(error: DjangoValidationError) -> int:
    """Return 409, 403 or 400 for a service's ``ValidationError`` (see module)."""
    codes = _error_codes(error)
    if codes and all(is_conflict_code(code) for code in codes):
        return status.HTTP_409_CONFLICT
    if codes and all(code in FORBIDDEN_CODES for code in codes):
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


# Services name a line's field in the words of their forms; the API's lines
# name the item by SKU.
LINE_FIELD_ALIASES = {"item": "sku"}


def _messages(error: DjangoValidationError) -> list[str]:
    return [str(message) for message in error]


def validation_error_data(error: DjangoValidationError) -> dict:
    """Render a service's ``ValidationError`` the way DRF renders its own.

    Field errors answer ``{"field": ["message"]}``. An error about one line
    of a list (``params`` ``line``, from 1, and ``field``; ``list`` names the
    list, ``lines`` unless given) goes where DRF puts a nested list
    serializer's, under the line's position from 0:
    ``{"lines": {"1": {"quantity": ["message"]}}}`` is the second line sent.
    Errors of no field answer ``{"detail": "..."}``, or ``non_field_errors``
    beside field errors.
    """
    keyed = (
        error.error_dict.items()
        if hasattr(error, "error_dict")
        else [(NON_FIELD_ERRORS, error.error_list)]
    )
    fields: dict = {}
    general: list[str] = []
    lines: dict[str, dict[int, dict[str, list[str]]]] = {}
    for key, errors in keyed:
        for item in errors:
            params = item.params if isinstance(item.params, dict) else {}
            line = params.get("line")
            if isinstance(line, int) and line >= 1 and params.get("field"):
                field = LINE_FIELD_ALIASES.get(params["field"], params["field"])
                by_line = lines.setdefault(params.get("list", "lines"), {})
                by_line.setdefault(line - 1, {}).setdefault(field, []).extend(
                    _messages(item)
                )
            elif key == NON_FIELD_ERRORS:
                general.extend(_messages(item))
            else:
                fields.setdefault(key, []).extend(_messages(item))
    for name, by_line in lines.items():
        fields[name] = {
            str(position): by_line[position] for position in sorted(by_line)
        }
    if not fields:
        return {"detail": " ".join(general)}
    if general:
        fields[api_settings.NON_FIELD_ERRORS_KEY] = general
    return fields


def api_exception_handler(exc, context):
    """Answer service, selector and database errors as DESIGN §10 says."""
    # Here, not at the top: DRF's views read the throttle settings, which name
    # this module, when they are first imported.
    from rest_framework import views

    if isinstance(exc, DjangoValidationError):
        return Response(
            validation_error_data(exc),
            status=status_for_validation_error(exc),
        )
    if isinstance(exc, ObjectDoesNotExist):
        exc = exceptions.NotFound()
    elif isinstance(exc, IntegrityError):
        # A unique constraint refereed two concurrent requests: the other won.
        return Response(
            {"detail": _("This changed at the same time elsewhere; try again.")},
            status=status.HTTP_409_CONFLICT,
        )
    elif isinstance(exc, DataError):
        return Response(
            {"detail": _("A value is out of the range that can be stored.")},
            status=status.HTTP_400_BAD_REQUEST,
        )
    return views.exception_handler(exc, context)


@csrf_exempt  # it changes nothing, so a POST needs no CSRF check to be refused
def api_not_found(request, *args, **kwargs):
    """Answer any ``/api/`` address that matches no route: JSON 404, not a page.

    A plain Django view (not DRF), routed last under ``api/``.
    """
    return JsonResponse({"detail": str(_("Not found."))}, status=404)


# --- Pagination ------------------------------------------------------------


class CursorPagination(pagination.CursorPagination):
    """Cursor pages of 50 (``page_size`` up to 200): results, next, previous."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"


def cursor_pagination(*ordering: str) -> type[CursorPagination]:
    """Return a cursor pagination class ordered by ``ordering``.

    The first field must be unique (or the fields together), or a cursor may
    repeat or skip rows; the first field is what the cursor remembers.
    """
    name = "CursorPagination_" + "_".join(
        field.lstrip("-").replace("__", "_") for field in ordering
    )
    return type(name, (CursorPagination,), {"ordering": ordering})


class IdConverter:
    """A path id of at most 18 digits, so it always fits the database's bigint.

    Register it in an ``api_urls`` module as ``register_converter(IdConverter,
    "api_id")``; a longer number is then simply not found (404).
    """

    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


# --- Throttles -------------------------------------------------------------


class _LiveRateMixin:
    """Read the rate from the settings now, not when DRF was imported."""

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)


class TokenRequestThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """Token requests per client address (scope ``api_token``)."""

    scope = "api_token"

    def get_cache_key(self, request, view):
        return self.cache_format % {
            "scope": self.scope,
            "ident": self.get_ident(request),
        }


class WriteThrottle(_LiveRateMixin, throttling.SimpleRateThrottle):
    """Writes (any unsafe method) per user, or per address when signed out."""

    scope = "api_write"

    def get_cache_key(self, request, view):
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return None
        ident = (
            f"user-{request.user.pk}"
            if request.user and request.user.is_authenticated
            else self.get_ident(request)
        )
        return self.cache_format % {"scope": self.scope, "ident": ident}


# --- Money fields ----------------------------------------------------------


class UnitPriceField(serializers.DecimalField):
    """A unit price or fuel margin: a string with 4 decimals, e.g. ``"8.5000"``."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=12, decimal_places=4, coerce_to_string=True, **kwargs
        )


class AmountField(serializers.DecimalField):
    """A money amount in pounds: a string with 2 decimals, e.g. ``"150.00"``."""

    def __init__(self, **kwargs):
        super().__init__(
            max_digits=14, decimal_places=2, coerce_to_string=True, **kwargs
        )


# --- Generated files -------------------------------------------------------


class DocumentStatusSerializer(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=["pending"], help_text="The file is being built: ask again soon."
    )


def document_answer(document, *, filename: str, content_type: str):
    """Answer a generated document: the file when ready, else why not (DESIGN §6).

    Pending: 202 ``{"status": "pending"}``. Failed: 409 with the reason. No
    request ever builds a file; ``document`` has ``status``, ``is_ready``,
    ``failure_reason`` and ``file`` (order and savings documents alike).
    """
    if document.status == "failed":
        return Response(
            {
                "detail": _("The file could not be built: %(reason)s")
                % {"reason": document.failure_reason or _("unknown reason")}
            },
            status=status.HTTP_409_CONFLICT,
        )
    if not document.is_ready or not document.file:
        return Response(
            DocumentStatusSerializer({"status": "pending"}).data,
            status=status.HTTP_202_ACCEPTED,
        )
    response = FileResponse(
        document.file.open("rb"),
        as_attachment=True,
        filename=filename,
        content_type=content_type,
    )
    response["Cache-Control"] = "private, no-store"
    return response


class FileAnswerMixin:
    """For an API view that answers a file: any ``Accept`` header will do.

    The file itself bypasses DRF's renderers; everything else (202, errors)
    is JSON whatever the client said it accepts, rather than a 406.
    """

    def perform_content_negotiation(self, request, force=False):
        return super().perform_content_negotiation(request, force=True)


# --- Schema ----------------------------------------------------------------

_FIELD_ERRORS_SCHEMA = {
    "type": "object",
    "description": (
        'Bad input: {"field": ["message"]}; a nested field nests, and the '
        "lines of a list are keyed by their position from 0, as in "
        '{"lines": {"1": {"quantity": ["message"]}}}; or {"detail": "message"}.'
    ),
    "additionalProperties": {},
}
_DETAIL_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_ERROR_RESPONSES = {
    "400": ("Bad input, named by field.", _FIELD_ERRORS_SCHEMA),
    "401": ("Not signed in, or the token is not valid.", _DETAIL_SCHEMA),
    "403": ("Your role does not allow this.", _DETAIL_SCHEMA),
    "404": ("Not found, or not visible to you.", _DETAIL_SCHEMA),
    "409": ("The object is not in a state that allows this action.", _DETAIL_SCHEMA),
    "429": ("Too many requests; wait and retry.", _DETAIL_SCHEMA),
    "503": (
        "The database is unavailable for a moment; retry after the Retry-After "
        "seconds (alliance_procurement.errors).",
        _DETAIL_SCHEMA,
    ),
}
_HTTP_METHODS = ("get", "put", "patch", "post", "delete")


def schema_add_error_responses(result, generator, request, public):
    """drf-spectacular post-processing hook: document every API error answer.

    Adds, to each ``/api/`` operation that does not describe them itself, the
    400, 401, 403, 404, 409 and 429 answers ``api_exception_handler`` gives,
    and the 503 of a database that cannot answer.
    """
    for path, operations in result.get("paths", {}).items():
        if not path.startswith("/api/"):
            continue
        for method, operation in operations.items():
            if method not in _HTTP_METHODS:
                continue
            responses = operation.setdefault("responses", {})
            for code, (description, schema) in _ERROR_RESPONSES.items():
                responses.setdefault(
                    code,
                    {
                        "description": description,
                        "content": {"application/json": {"schema": schema}},
                    },
                )
    return result
