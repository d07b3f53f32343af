"""Every URL of the project, tried as each role of another trust and anonymously.

The walker reads the URL patterns from the resolver, so a new page is tried
the day it is added. Path parameters are filled with trust A's objects (one
requisition, one order with a share of trust A only); trust B's users and an
anonymous visitor must get nowhere: another trust's object is a 404, an action
a role lacks a 403, anonymous visitors go to sign-in (401/403 from the API).
Pages that are public or hold no trust's object are listed below, each with
why; a pattern in no list, or a parameter name the walker cannot fill, fails
the test with a message saying where to add it.
"""

import json
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from orders.models import Allocation, JointPurchaseOrder, Requisition
from tests import factories
from trusts.models import Role

pytestmark = pytest.mark.django_db


# --- Patterns and how each is checked ------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str  # "namespace:name", or the route itself when unnamed
    route: str
    params: tuple[str, ...]


def _params(pattern) -> set[str]:
    return {*pattern.pattern.converters, *pattern.pattern.regex.groupindex}


def _walk(patterns, prefix="", namespace=None, outer=frozenset()):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = (
                    f"{namespace}:{pattern.namespace}"
                    if namespace
                    else pattern.namespace
                )
            yield from _walk(
                pattern.url_patterns,
                prefix + str(pattern.pattern),
                inner,
                outer | _params(pattern),
            )
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = pattern.name and (
                f"{namespace}:{pattern.name}" if namespace else pattern.name
            )
            params = tuple(sorted(outer | _params(pattern)))
            yield Route(name=name or route, route=route, params=params)


def _routes() -> list[Route]:
    seen, routes = set(), []
    for route in _walk(get_resolver().url_patterns):
        if route.route not in seen:
            seen.add(route.route)
            routes.append(route)
    return routes


# Open to anyone: signing in, and the API's token exchange.
PUBLIC = {
    "login",  # the sign-in page itself
    "login-otp",  # second sign-in step; without a pending password step it redirects
    "logout",  # signing out needs no rights
    "trusts-api:token",  # POST username and password for a token (throttled)
    "api-schema",  # the published API contract (DESIGN §10), no data
    "api-docs",  # its browsable page
    "admin:login",  # sends to the site's sign-in; a non-staff user sees no data
    "admin:logout",  # signing out needs no rights
    "^api/",  # unnamed catch-all: a JSON 404 for unknown API addresses, no data
}

# Signed-in pages that hold no single trust's object: lists and forms scoped
# to the user by their selectors, the shared catalogue and contracts (readable
# by every role, DESIGN §7), the API schema. Trust B may reach these; the
# walker still checks none of trust A's references appear in them (GET only).
UNSCOPED = {
    "home",
    "otp-setup",  # the user's own two-factor setting
    "trusts:profile",  # the user's own profile and API token
    "catalogue:item-list",
    "catalogue:item-detail",  # sku: the shared catalogue
    "suppliers:contract-list",
    "suppliers:contract-detail",  # reference: contracts are readable by all roles
    "suppliers:fuel-index-detail",  # pk of a fuel index: alliance-wide prices
    "orders:requisition-list",  # the user's own trust's requisitions
    "orders:order-list",  # orders with the user's trust's share; shares only
    "orders:round-list",  # buyers only; others 403
    "orders:round-create",  # buyers only; others 403
    "suppliers:import-list",  # contract managers only; others 403
    "suppliers:import-catalogue",  # contract managers only; others 403
    "suppliers:import-price-list",  # contract managers only; others 403
    "orders:requisition-create",  # creates for the user's own trust
    "orders:requisition-item-search",  # catalogue search while editing
    "orders:requisition-line-estimate",  # prices a line from the catalogue
    "orders:requisition-line-add",  # returns an empty form row
    "orders:requisition-line-remove",  # removes a form row in the page
    "orders:approval-queue",  # the approver's own trust's queue
    "orders:approved-lines",  # buyers only; others 403
    "reports:savings-list",  # own trust and alliance totals (DESIGN §7)
    "reports:savings-detail",  # month figures; ?scope= of another trust is tried below
    "reports:savings-build",  # builds the scopes the user may see
    "trusts-api:me",
    "trusts-api:trust-list",  # every trust's sites and cost centres (DESIGN §10)
    "catalogue-api:item-list",
    "suppliers-api:item-list",  # the shared catalogue
    "suppliers-api:supplier-list",
    "suppliers-api:contract-list",
    "suppliers-api:contract-detail",  # reference: contracts are readable by all
    "suppliers-api:fuel-index-price-create",  # contract managers only; tried below
    "orders-api:requisition-list",  # the user's own trust's requisitions
    "orders-api:order-list",  # orders with the user's trust's share
    "orders-api:pooling-round-list",  # buyers only
    "orders-api:round-list",  # buyers only
    "reports-api:savings",  # every trust's totals, own detail (DESIGN §10)
    "reports-api:savings-report",  # alliance file; ?trust= of another is refused
}

# Names ending like these are actions: also tried with POST.
ACTION_SUFFIXES = (
    "-submit",
    "-approve",
    "-reject",
    "-cancel",
    "-edit",
    "-rebuild",
    "-build",
    "-commit",
    "-issue",
    "-receipts",
    "-receipt-create",
    "-create",
    "-delete",
)

# Pages whose query variants name a scope trust B may not see: refused.
REFUSED_QUERIES = {"reports:savings-detail", "reports-api:savings-report"}

# Extra query strings tried on a page, with trust A's values; on other pages
# than REFUSED_QUERIES the answer may be the user's own data, never trust A's.
QUERY_VARIANTS = {
    "reports:savings-detail": ["?scope={trust_code}"],
    "reports:savings-list": ["?scope={trust_code}"],
    "reports-api:savings-report": ["?trust={trust_code}"],
    "reports-api:savings": ["?trust={trust_code}"],
    "orders:requisition-list": ["?trust={trust_code}"],
    "orders-api:order-list": ["?trust={trust_code}"],
    "orders-api:requisition-list": ["?trust={trust_code}"],
}

# Path parameters and the value of trust A (or public object) they take.
# Keys are parameter names; "<route name>:<param>" overrides one route.
PARAMETERS = {
    "pk": "requisition_pk",
    "id": "requisition_pk",
    "requisition_id": "requisition_pk",
    "number": "order_number",
    "order_number": "order_number",
    "trust_code": "trust_code",
    "trust": "trust_code",
    "scope": "trust_code",
    "file_format": "csv",
    "format": "csv",
    "month": "month",
    "sku": "sku",
    "reference": "contract_reference",
    "name": "fuel_index_name",
    "allocation_id": "allocation_pk",
    "share_reference": "share_reference",
    "document_id": "document_pk",
    "round_id": "round_pk",
    "suppliers:fuel-index-detail:pk": "fuel_index_pk",
    "orders:round-detail:pk": "round_pk",
    "orders-api:pooling-round-detail:id": "round_pk",
    "orders-api:pooling-round-commit:id": "round_pk",
    # The admin: staff only; any value will do, nobody here is staff.
    "object_id": "1",
    "content_type_id": "1",
    "app_label": "trusts",
    "url": "1",  # the admin's catch-all
}


def _is_admin(route: Route) -> bool:
    return route.name.startswith("admin:") or route.route.startswith("admin/")


def _is_api(route: Route) -> bool:
    return route.route.startswith("api/")


# --- Trust A's world, and trust B's people --------------------------------------


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # Dozens of users per test: hashing speed is not under test here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def world(db):
    trust_a = factories.TrustFactory(code="WMAS", name="West Midlands Ambulance")
    trust_b = factories.TrustFactory(code="SECAMB", name="South East Coast Ambulance")
    item = factories.ItemFactory()
    contract = factories.ContractFactory(trusts=[trust_a, trust_b])
    factories.PriceTierFactory(
        contract_item__contract=contract,
        contract_item__item=item,
        unit_price=Decimal("12.5000"),
    )
    fuel_price = factories.FuelIndexPriceFactory()
    draft = factories.RequisitionLineFactory(
        requisition__trust=trust_a,
        requisition__number="WMAS-R-2026-00042",
        requisition__status=Requisition.Status.SUBMITTED,
        requisition__submitted_at=timezone.now(),
        item=item,
    ).requisition
    allocation = factories.AllocationFactory(
        order_line__order__contract=contract,
        order_line__order__status=JointPurchaseOrder.Status.ISSUED,
        order_line__order__issued_at=timezone.now(),
        order_line__item=item,
        share__trust=trust_a,
        net=Decimal("125.00"),
    )
    order = allocation.order_line.order
    people = {
        "requisitioner": factories.UserFactory(
            membership__trust=trust_b, membership__is_requisitioner=True
        ),
        "approver": factories.UserFactory(
            membership__trust=trust_b,
            membership__is_approver=True,
            membership__approval_limit=Decimal("1000000.00"),
        ),
        "finance": factories.UserFactory(
            membership__trust=trust_b, membership__is_finance=True
        ),
        "every trust role": factories.UserFactory(
            membership__trust=trust_b,
            membership__is_requisitioner=True,
            membership__is_approver=True,
            membership__is_finance=True,
            membership__approval_limit=Decimal("1000000.00"),
        ),
    }
    values = {
        "requisition_pk": draft.pk,
        "order_number": order.number,
        "trust_code": trust_a.code,
        "csv": "csv",
        "month": timezone.localdate().strftime("%Y-%m"),
        "sku": item.sku,
        "contract_reference": contract.reference,
        "fuel_index_name": fuel_price.index.name,
        "fuel_index_pk": fuel_price.index.pk,
        "allocation_pk": allocation.pk,
        "share_reference": allocation.share.reference,
        "round_pk": order.pooling_round.pk,
        "document_pk": 1,
        "1": "1",
        "trusts": "trusts",
    }
    # Strings that name trust A's objects: none may show on trust B's pages.
    canaries = [draft.number, order.number, allocation.share.reference]
    return {
        "values": values,
        "people": people,
        "canaries": canaries,
        "requisition": draft,
        "order": order,
        "allocation": allocation,
    }


def _state(world) -> dict:
    requisition = Requisition.objects.get(pk=world["requisition"].pk)
    order = JointPurchaseOrder.objects.get(pk=world["order"].pk)
    allocation = Allocation.objects.get(pk=world["allocation"].pk)
    return {
        "requisition": (
            requisition.status,
            requisition.notes,
            requisition.lines.count(),
        ),
        "order": (order.status, order.net),
        "allocation": (allocation.received_quantity, allocation.is_cancelled),
        "requisitions": Requisition.objects.filter(trust__code="WMAS").count(),
    }


# --- The walk ------------------------------------------------------------------


def _url(route: Route, world) -> str:
    kwargs = {}
    for param in route.params:
        key = PARAMETERS.get(f"{route.name}:{param}", PARAMETERS.get(param))
        if key is None:
            pytest.fail(
                f"URL {route.route!r} ({route.name}) has a parameter {param!r} "
                "the isolation walker cannot fill: add it to PARAMETERS in "
                "tests/security/test_url_isolation.py, with a value of trust A."
            )
        kwargs[param] = world["values"][key]
    if route.name != route.route:
        return reverse(route.name, kwargs=kwargs)
    # Unnamed: fill the route's own placeholders and regex groups.
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), route.route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


# Valid bodies for actions that check their input: the walk tests who may act,
# so the request must be one the action would accept from its rightful user.
POST_BODIES = {
    "orders:requisition-reject": {"reason": "Isolation check"},
    "orders-api:requisition-reject": {"reason": "Isolation check"},
    "orders-api:order-receipt-create": {"allocation": "{allocation_pk}", "quantity": 1},
    "orders:order-receipt-create": {"allocation": "{allocation_pk}", "quantity": 1},
}


def _body(name: str, values: dict) -> dict:
    return {
        key: value.format(**values) if isinstance(value, str) else value
        for key, value in POST_BODIES.get(name, {}).items()
    }


def _request(client, method: str, url: str, api: bool, name: str, values: dict):
    if method == "GET":
        return client.get(url)
    body = _body(name, values)
    if api:
        return client.post(url, data=json.dumps(body), content_type="application/json")
    return client.post(url, body)


def _is_sign_in_redirect(response) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return False
    target = response["Location"]
    return target.startswith(reverse("login")) or target.startswith(
        reverse("admin:login")
    )


def _methods(route: Route) -> list[str]:
    actions = route.name.endswith(ACTION_SUFFIXES) or route.route.endswith(
        ("submit/", "approve/", "reject/", "cancel/", "commit/", "issue/")
    )
    return ["GET", "POST"] if actions else ["GET"]


ROUTES = _routes()


def _route_id(route: Route) -> str:
    return route.name if route.name != route.route else route.route


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_another_trust_and_anonymous_get_nowhere(route, world, client):
    """Trust B's roles and anonymous visitors reach none of trust A's objects."""
    if route.name in PUBLIC:
        return  # open by design; see PUBLIC
    before = _state(world)
    failures = _failures(route, world, client)
    assert _state(world) == before, "trust B's requests changed trust A's objects"
    assert not failures, "another trust or anonymous got through:\n" + "\n".join(
        failures
    )


def _failures(route: Route, world, client) -> list[str]:
    """Request the route as anonymous and as each of trust B's people."""
    scoped = not (_is_admin(route) or route.name in UNSCOPED)
    if scoped and not route.params:
        pytest.fail(
            f"URL {route.route!r} ({route.name}) is not classified: add it to "
            "UNSCOPED (signed-in page holding no trust's object, with why) or to "
            "PUBLIC in tests/security/test_url_isolation.py."
        )
    url = _url(route, world)
    api = _is_api(route)
    failures = []

    # Anonymous: sign in first (API: 401/403).
    client.logout()
    for method in _methods(route):
        response = _request(client, method, url, api, route.name, world["values"])
        if api:
            ok = response.status_code in (401, 403, 405)
        else:
            ok = _is_sign_in_redirect(response) or response.status_code in (403, 405)
        if not ok:
            failures.append(f"anonymous {method} {url} -> {response.status_code}")

    urls = [url] + [
        url + query.format(trust_code=world["values"]["trust_code"])
        for query in QUERY_VARIANTS.get(route.name, [])
    ]
    for role, user in world["people"].items():
        client.force_login(user)
        for target in urls:
            for method in _methods(route) if target == url else ["GET"]:
                response = _request(
                    client, method, target, api, route.name, world["values"]
                )
                status = response.status_code
                if _is_admin(route):
                    ok = _is_sign_in_redirect(response) or status in (403, 404, 405)
                elif scoped or (target != url and route.name in REFUSED_QUERIES):
                    ok = status in (403, 404, 405)
                else:
                    ok = status < 500 and not _is_sign_in_redirect(response)
                if not ok:
                    failures.append(f"{role} {method} {target} -> {status}")
                    continue
                body = (
                    response.content.decode("utf-8", "replace")
                    if not getattr(response, "streaming", False)
                    else ""
                )
                leaked = [canary for canary in world["canaries"] if canary in body]
                if leaked:
                    failures.append(
                        f"{role} {method} {target} -> {status} shows trust A's {leaked}"
                    )
        client.logout()
    return failures


@pytest.mark.urls("tests.security.urls")
def test_walker_reports_a_page_that_shows_another_trusts_object(world, client):
    """A page answering trust B with trust A's requisition is caught."""
    route = Route(
        name="leaky-requisition",
        route="__leak__/requisitions/<int:pk>/",
        params=("pk",),
    )
    failures = _failures(route, world, client)
    assert f"finance GET /__leak__/requisitions/{world['requisition'].pk}/ -> 200" in (
        failures
    )
    assert any("anonymous" in failure for failure in failures)


def test_walker_covers_the_api_and_namespaced_includes():
    """The resolver walk reaches namespaced includes, the API and the admin."""
    names = {route.name for route in ROUTES}
    assert "login" in names
    assert any(name.startswith("admin:") for name in names)
    assert any(route.route.startswith("api/") for route in ROUTES)
    assert any(":" in name and not name.startswith("admin:") for name in names)


def test_walker_fails_on_an_unknown_parameter(world):
    """A parameter with no mapping stops the walk with a message, not silently."""
    route = Route(name="x:y", route="things/<int:widget_id>/", params=("widget_id",))
    with pytest.raises(pytest.fail.Exception, match="add it to PARAMETERS"):
        _url(route, world)


def test_roles_of_trust_b_are_every_trust_role(world):
    """The walk signs in as each role a trust's user can hold."""
    trust_roles = {Role.REQUISITIONER, Role.APPROVER, Role.FINANCE}
    held = {
        role
        for user in world["people"].values()
        for role in trust_roles
        if getattr(user.membership, f"is_{role.value}")
    }
    assert held == trust_roles
