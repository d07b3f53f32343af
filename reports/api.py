"""API views of monthly savings and their files (DESIGN §6, §10).

Finance users read every trust's totals and the detail of their own trust;
buyers read everything. Files are built by workers: a request for one that
is missing asks for its build and answers 202.
"""

from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from alliance_procurement.api import (
    DocumentStatusSerializer,
    FileAnswerMixin,
    document_answer,
)
from reports import dashboard, documents, selectors, services
from reports.models import SavingsDocument
from reports.serializers import SavingsOutputSerializer
from trusts import selectors as trust_selectors
from trusts.models import ALLIANCE_CODE, Role

MONTH_PARAMETER = OpenApiParameter(
    "month",
    str,
    OpenApiParameter.PATH,
    description="YYYY-MM, from 2000-01 to 2099-12",
    pattern=r"^20\d{2}-(0[1-9]|1[0-2])$",
)
TRUST_PARAMETER = OpenApiParameter(
    "trust",
    str,
    OpenApiParameter.QUERY,
    required=False,
    description="A trust's code, or ALLIANCE (the default for buyers).",
)


def _scope_code(request, default: str) -> str:
    """The reports' code for the scope asked by ``?trust=``."""
    code = request.query_params.get("trust") or default
    return selectors.ALLIANCE if code.upper() == ALLIANCE_CODE else code


class SavingsApi(APIView):
    @extend_schema(
        operation_id="savings_retrieve",
        parameters=[MONTH_PARAMETER, TRUST_PARAMETER],
        responses={200: SavingsOutputSerializer},
        description="A month's pooled spend, standalone spend and savings per "
        "trust and alliance-wide, counted by the date orders were issued "
        "(Europe/London).",
    )
    def get(self, request, month):
        own = trust_selectors.user_trust(request.user)
        default = (
            own.code
            if own and trust_selectors.user_has_role(request.user, Role.FINANCE)
            else ALLIANCE_CODE
        )
        scope = selectors.savings_scope_get(request.user, _scope_code(request, default))
        # Kept under the orders' state, as on the savings page. The answer
        # carries no history, and the alliance's breakdowns only when the
        # alliance is the scope asked for.
        month = selectors.month_start(month)
        state = selectors.savings_state()
        alliance = dashboard.savings_summary_kept(
            trust=None, month=month, breakdowns=scope is None, state=state
        )
        detail = (
            alliance
            if scope is None
            else dashboard.savings_summary_kept(trust=scope, month=month, state=state)
        )
        data = {
            "month": f"{month:%Y-%m}",
            "trusts": alliance.by_trust,
            "alliance": alliance.totals,
            "detail": {
                "scope": scope.code if scope else ALLIANCE_CODE,
                "by_category": detail.by_category,
                "by_supplier": detail.by_supplier,
                "top_items": detail.top_items,
            },
        }
        return Response(SavingsOutputSerializer(data).data)


class SavingsReportApi(FileAnswerMixin, APIView):
    @extend_schema(
        operation_id="savings_report",
        parameters=[
            MONTH_PARAMETER,
            OpenApiParameter(
                "file_format",
                str,
                OpenApiParameter.PATH,
                enum=SavingsDocument.Format.values,
            ),
            TRUST_PARAMETER,
        ],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, documents.CONTENT_TYPES["xlsx"]): OpenApiResponse(
                OpenApiTypes.BINARY
            ),
            202: OpenApiResponse(
                DocumentStatusSerializer,
                description="Being built (its build is asked for if missing).",
            ),
        },
        description="The month's savings report as PDF, CSV or XLSX: finance "
        "for their own trust or the alliance, buyers for any.",
    )
    def get(self, request, month, file_format):
        code = _scope_code(request, ALLIANCE_CODE)
        scope = selectors.savings_scope_get(request.user, code)
        try:
            document = selectors.savings_document_get(
                request.user, month=month, code=code, file_format=file_format
            )
        except Http404:
            services.savings_documents_request(
                month=month, trusts=[scope], actor=request.user
            )
            return Response(
                DocumentStatusSerializer({"status": "pending"}).data, status=202
            )
        return document_answer(
            document,
            filename=services.savings_document_filename(document),
            content_type=documents.CONTENT_TYPES[file_format],
        )
