"""The OpenAPI schema and the browsable docs (DESIGN §10)."""

import pytest
import yaml
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_validates_without_warnings(tmp_path):
    """``spectacular --validate --fail-on-warn`` passes: every body is described."""
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = yaml.safe_load(target.read_text())
    assert schema["openapi"].startswith("3.")


def test_every_api_row_is_in_the_schema(client):
    """The schema served at /api/schema/ lists every operation of DESIGN §10."""
    schema = yaml.safe_load(client.get("/api/schema/").content)
    operations = {
        (method.upper(), path)
        for path, item in schema["paths"].items()
        for method in item
    }
    assert operations >= {
        ("POST", "/api/v1/auth/token/"),
        ("GET", "/api/v1/me/"),
        ("GET", "/api/v1/trusts/"),
        ("GET", "/api/v1/items/"),
        ("POST", "/api/v1/items/"),
        ("GET", "/api/v1/suppliers/"),
        ("POST", "/api/v1/suppliers/"),
        ("GET", "/api/v1/contracts/"),
        ("POST", "/api/v1/contracts/"),
        ("GET", "/api/v1/contracts/{reference}/"),
        ("POST", "/api/v1/fuel-indices/{name}/prices/"),
        ("GET", "/api/v1/requisitions/"),
        ("POST", "/api/v1/requisitions/"),
        ("GET", "/api/v1/requisitions/{id}/"),
        ("POST", "/api/v1/requisitions/{id}/submit/"),
        ("POST", "/api/v1/requisitions/{id}/approve/"),
        ("POST", "/api/v1/requisitions/{id}/reject/"),
        ("POST", "/api/v1/requisitions/{id}/cancel/"),
        ("GET", "/api/v1/pooling-rounds/"),
        ("POST", "/api/v1/pooling-rounds/"),
        ("GET", "/api/v1/pooling-rounds/{id}/"),
        ("POST", "/api/v1/pooling-rounds/{id}/commit/"),
        ("GET", "/api/v1/orders/"),
        ("GET", "/api/v1/orders/{number}/"),
        ("POST", "/api/v1/orders/{number}/issue/"),
        ("POST", "/api/v1/orders/{number}/cancel/"),
        ("POST", "/api/v1/orders/{number}/receipts/"),
        ("GET", "/api/v1/orders/{number}/pdf/"),
        ("GET", "/api/v1/orders/{number}/shares/{trust}/pdf/"),
        ("GET", "/api/v1/savings/{month}/"),
        ("GET", "/api/v1/savings/{month}/report.{file_format}"),
    }


def test_every_operation_documents_its_errors(client):
    """Each operation describes its 400, 401, 403, 404, 409 and 503 answers."""
    schema = yaml.safe_load(client.get("/api/schema/").content)
    for item in schema["paths"].values():
        for operation in item.values():
            assert {"400", "401", "403", "404", "409", "503"} <= set(
                operation["responses"]
            )


def test_docs_page_loads_its_assets_from_this_site(client):
    """Swagger UI comes from our own static files, never a CDN."""
    response = client.get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in page
    assert "cdn" not in page.lower()


def test_unknown_api_addresses_answer_json_404(client):
    """An address under /api/ that matches nothing is a JSON 404, even a POST."""
    for response in (
        client.get("/api/v1/nothing-here/"),
        client.post("/api/v1/requisitions/not-a-number/submit/"),
    ):
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
