"""Property tests of the whole API against its own OpenAPI schema (DESIGN §10).

Schemathesis generates requests for every operation from ``/api/schema/``,
valid and invalid, and sends them through the WSGI application as a signed-in
user of each kind. No answer may be a server error, and every answer must be
one the schema describes: its status, content type and body.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from alliance_procurement.wsgi import application
from tests import factories
from tests.api.conftest import approved_line, user_with
from trusts.models import Role

pytestmark = pytest.mark.django_db

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The live schema, as the application serves it (no database is touched).
schema = schemathesis.openapi.from_wsgi("/api/schema/", application)


@pytest.fixture(autouse=True)
def _world(db, settings, trust, other_trust):
    """A little data for the generated calls to find; a WSGI app that keeps
    the test's database connection."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        # Throttled answers are valid but teach nothing: let every call through.
        "DEFAULT_THROTTLE_RATES": {"api_token": None, "api_write": None},
    }
    factories.SiteFactory(trust=trust, code="HUB")
    factories.CostCentreFactory(trust=trust, code="OPS")
    item = factories.contract_item_with_tiers(
        tiers=[(1, "8.5000"), (100, "7.9500")],
        item__sku="GLV",
        contract__reference="AP-C-1",
        contract__trusts=[trust, other_trust],
    ).item
    approved_line(trust, item, 10)
    factories.FuelPriceIndexFactory(name="ULSD")
    # Each WSGI request would close the database connection at its end, and
    # with it the test's transaction; Django's test client does the same.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.fixture
def token_headers(trust):
    """``Authorization`` for a user of each kind that writes through the API."""
    users = [
        user_with(None, Role.CONTRACT_MANAGER),
        user_with(trust, Role.REQUISITIONER),
        user_with(None, Role.BUYER),
    ]
    return [
        {"Authorization": f"Token {Token.objects.create(user=user).key}"}
        for user in users
    ]


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_answers_as_its_schema_says(case, token_headers):
    """Generated requests never get a 500, and answers match the schema: as a
    contract manager, a trust's requisitioner and a buyer in turn."""
    for headers in token_headers:
        response = case.call(headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
