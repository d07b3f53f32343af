"""A month of joint buying through the API alone, figures checked by hand
(DESIGN §3, §5, §6, §10).

A contract manager sets up gloves and index-linked diesel on one contract;
three trusts raise, submit and approve; a buyer previews, commits and
issues; the PDFs are built (as a worker would); each trust receives its
goods; finance reads the month's savings.

Hand-computed figures:

- Gloves, tiers 8.50 from 1 and 7.95 from 100. WMAS 60, SECAMB 30,
  SWASFT 20: combined 110 reaches 7.95; alone each pays 8.50. Savings
  0.55 a pair: 33.00, 16.50, 11.00 (60.50).
- Diesel, index 1.3000 plus margin 0.0500 from 1 litre and 0.0200 from
  10,000. WMAS 4,000, SECAMB 5,000, SWASFT 2,000: combined 11,000 reaches
  1.3200; alone each pays 1.3500. Savings 0.03 a litre: 120.00, 150.00,
  60.00 (330.00).
- Order net 874.50 + 14,520.00 = 15,394.50; VAT 20% per allocation:
  174.90 + 2,904.00 = 3,078.90; gross 18,473.40; standalone 15,785.00;
  savings 390.50.
- WMAS share: net 477.00 + 5,280.00 = 5,757.00, VAT 1,151.40, savings
  153.00; WMAS's estimated total on submit 510.00 + 5,400.00 = 5,910.00.
- Savings %: WMAS 153.00 / 5,910.00 = 2.6; alliance 390.50 / 15,785.00
  = 2.5.
"""

import datetime

import pytest
from django.utils import timezone

from orders.models import OrderDocument
from orders.services import documents as order_document_services
from reports import services as report_services
from reports.models import SavingsDocument
from tests import factories
from tests.api.conftest import user_with
from trusts.models import Role

pytestmark = pytest.mark.django_db

TRUSTS = ("WMAS", "SECAMB", "SWASFT")
WANTED = {"WMAS": (60, 4000), "SECAMB": (30, 5000), "SWASFT": (20, 2000)}


def _ok(response, status=200) -> dict:
    """The JSON body of an answer that must have ``status``."""
    assert response.status_code == status, response.content
    return response.json()


@pytest.fixture
def people(api_for):
    """Each trust with a site, a cost centre, a requisitioner and an approver;
    WMAS finance; a buyer and a contract manager of the alliance."""
    clients = {}
    for code in TRUSTS:
        trust = factories.TrustFactory(code=code)
        factories.SiteFactory(trust=trust, code=f"{code}-HUB")
        factories.CostCentreFactory(trust=trust, code=f"{code}-OPS")
        clients[code] = {
            "requisitioner": api_for(user_with(trust, Role.REQUISITIONER)),
            "approver": api_for(
                user_with(trust, Role.APPROVER, membership__approval_limit="10000.00")
            ),
        }
    clients["WMAS"]["finance"] = api_for(
        user_with(factories.TrustFactory(code="WMAS"), Role.FINANCE)
    )
    clients["buyer"] = api_for(user_with(None, Role.BUYER))
    clients["contract_manager"] = api_for(user_with(None, Role.CONTRACT_MANAGER))
    return clients


def _build_pending_documents():
    """Do what the Celery worker does for every pending document."""
    for document_id in OrderDocument.objects.filter(status="pending").values_list(
        "pk", flat=True
    ):
        order_document_services.order_document_build(document_id=document_id)
    for document_id in SavingsDocument.objects.filter(status="pending").values_list(
        "pk", flat=True
    ):
        report_services.savings_document_build(document_id=document_id)


def test_a_month_of_joint_buying(people):
    """Set up, raise, approve, pool, issue, read PDFs, receive, and save 390.50."""
    today = timezone.localdate()
    manager = people["contract_manager"]

    # --- The contract manager sets up the catalogue, supplier and contract.
    for body in (
        {
            "sku": "GLV-M",
            "name": "Nitrile gloves, medium",
            "category": "PPE",
            "unit": "pair",
            "kind": "consumable",
            "vat_rate": "0.20",
        },
        {
            "sku": "DSL",
            "name": "Diesel",
            "category": "Fuel",
            "unit": "litre",
            "kind": "fuel",
            "vat_rate": "0.20",
        },
    ):
        _ok(manager.post("/api/v1/items/", body, format="json"), 201)
    supplier = _ok(
        manager.post(
            "/api/v1/suppliers/",
            {"name": "Alliance Supplies Ltd", "email": "orders@supplies.example.com"},
            format="json",
        ),
        201,
    )
    _ok(
        manager.post(
            "/api/v1/fuel-indices/ULSD/prices/",
            {
                "effective_date": (today - datetime.timedelta(days=7)).isoformat(),
                "price_per_litre": "1.3000",
            },
            format="json",
        ),
        201,
    )
    contract = _ok(
        manager.post(
            "/api/v1/contracts/",
            {
                "reference": "AP-C-2026-042",
                "title": "Gloves and diesel",
                "supplier": supplier["id"],
                "trusts": list(TRUSTS),
                "start_date": (today - datetime.timedelta(days=30)).isoformat(),
                "end_date": (today + datetime.timedelta(days=365)).isoformat(),
                "value_ceiling": "100000.00",
                "items": [
                    {
                        "sku": "GLV-M",
                        "tiers": [
                            {"min_quantity": 1, "unit_price": "8.5000"},
                            {"min_quantity": 100, "unit_price": "7.9500"},
                        ],
                    },
                    {
                        "sku": "DSL",
                        "price_basis": "index_linked",
                        "fuel_index": "ULSD",
                        "tiers": [
                            {"min_quantity": 1, "unit_price": "0.0500"},
                            {"min_quantity": 10000, "unit_price": "0.0200"},
                        ],
                    },
                ],
            },
            format="json",
        ),
        201,
    )
    assert contract["remaining_ceiling"] == "100000.00"

    # --- Three trusts raise, submit and approve.
    for code in TRUSTS:
        gloves, diesel = WANTED[code]
        requisitioner = people[code]["requisitioner"]
        draft = _ok(
            requisitioner.post(
                "/api/v1/requisitions/",
                {
                    "site": f"{code}-HUB",
                    "cost_centre": f"{code}-OPS",
                    "needed_by": (today + datetime.timedelta(days=14)).isoformat(),
                    "lines": [
                        {"sku": "GLV-M", "quantity": gloves},
                        {"sku": "DSL", "quantity": diesel},
                    ],
                },
                format="json",
            ),
            201,
        )
        submitted = _ok(
            requisitioner.post(f"/api/v1/requisitions/{draft['id']}/submit/")
        )
        if code == "WMAS":
            assert [line["estimated_unit_price"] for line in submitted["lines"]] == [
                "8.5000",
                "1.3500",
            ]
            assert submitted["estimated_total"] == "5910.00"
        approved = _ok(
            people[code]["approver"].post(
                f"/api/v1/requisitions/{draft['id']}/approve/"
            )
        )
        assert approved["status"] == "approved"

    # --- The buyer previews and commits.
    buyer = people["buyer"]
    preview = _ok(
        buyer.post(
            "/api/v1/pooling-rounds/",
            {"cut_off": timezone.now().isoformat()},
            format="json",
        ),
        201,
    )
    groups = {group["sku"]: group for group in preview["groups"]}
    assert groups["GLV-M"]["combined_quantity"] == 110
    assert groups["GLV-M"]["pooled_unit_price"] == "7.9500"
    assert groups["GLV-M"]["savings"] == "60.50"
    assert groups["DSL"]["combined_quantity"] == 11000
    assert groups["DSL"]["pooled_unit_price"] == "1.3200"
    assert groups["DSL"]["savings"] == "330.00"
    diesel_trusts = {row["trust"]: row for row in groups["DSL"]["trusts"]}
    assert diesel_trusts["SECAMB"]["standalone_unit_price"] == "1.3500"
    assert diesel_trusts["SECAMB"]["savings"] == "150.00"
    assert preview["held"] == []
    assert preview["savings"] == "390.50"
    (number,) = _ok(buyer.post(f"/api/v1/pooling-rounds/{preview['id']}/commit/"))[
        "orders"
    ]

    # --- The buyer issues; the order's figures add up.
    order = _ok(buyer.post(f"/api/v1/orders/{number}/issue/"))
    assert order["status"] == "issued"
    assert order["totals"] == {
        "net": "15394.50",
        "vat": "3078.90",
        "gross": "18473.40",
        "standalone_net": "15785.00",
        "savings": "390.50",
    }
    shares = {share["trust"]: share for share in order["shares"]}
    assert shares["WMAS"]["reference"] == f"{number}/WMAS"
    assert shares["WMAS"]["net"] == "5757.00"
    assert shares["WMAS"]["vat"] == "1151.40"
    assert shares["WMAS"]["savings"] == "153.00"

    # --- PDFs: pending until built, then files.
    assert buyer.get(f"/api/v1/orders/{number}/pdf/").status_code == 202
    _build_pending_documents()
    response = buyer.get(f"/api/v1/orders/{number}/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    wmas_finance = people["WMAS"]["finance"]
    response = wmas_finance.get(f"/api/v1/orders/{number}/shares/WMAS/pdf/")
    assert response.status_code == 200
    assert wmas_finance.get(f"/api/v1/orders/{number}/pdf/").status_code == 403

    # --- Each trust receives its goods in full.
    for code in TRUSTS:
        requisitioner = people[code]["requisitioner"]
        own = _ok(requisitioner.get(f"/api/v1/orders/{number}/"))
        for line in own["lines"]:
            for allocation in line["allocations"]:
                _ok(
                    requisitioner.post(
                        f"/api/v1/orders/{number}/receipts/",
                        {
                            "allocation": allocation["id"],
                            "quantity": allocation["quantity"],
                        },
                        format="json",
                    ),
                    201,
                )
    assert _ok(buyer.get(f"/api/v1/orders/{number}/"))["status"] == "received"

    # --- Finance reads the month's savings.
    month = f"{timezone.localdate():%Y-%m}"
    savings = _ok(wmas_finance.get(f"/api/v1/savings/{month}/"))
    trusts = {row["trust"]: row for row in savings["trusts"]}
    assert trusts["WMAS"] == {
        "trust": "WMAS",
        "name": trusts["WMAS"]["name"],
        "pooled_spend": "5757.00",
        "standalone_spend": "5910.00",
        "savings": "153.00",
        "savings_percent": "2.6",
    }
    assert savings["alliance"] == {
        "pooled_spend": "15394.50",
        "standalone_spend": "15785.00",
        "savings": "390.50",
        "savings_percent": "2.5",
    }
    report = f"/api/v1/savings/{month}/report.csv"
    assert wmas_finance.get(report, {"trust": "WMAS"}).status_code == 202
    _build_pending_documents()
    response = wmas_finance.get(report, {"trust": "WMAS"})
    assert response.status_code == 200
    assert b"153.00" in b"".join(response.streaming_content)
