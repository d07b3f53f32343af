"""Fuzzing the requisition API: whatever is sent, never a 500, and a refused
call saves nothing (DESIGN §8, §10).

Hypothesis sends JSON bodies of the right shape with wrong values (other
trusts' codes, unknown SKUs, huge, negative, fractional and string
quantities, NUL characters, very long text), bodies of any JSON shape, and
bodies that are not JSON or not UTF-8, to create and to the actions on a
draft, signed in by token as a requisitioner.
"""

import datetime
import json

import pytest
from django.core.cache import cache
from django.utils import timezone
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from orders.models import Requisition, RequisitionEvent, RequisitionLine
from tests import factories

pytestmark = pytest.mark.django_db

CREATE_EXAMPLES = 400
RAW_EXAMPLES = 150
ACTION_EXAMPLES = 150
FUZZ = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
}
URL = "/api/v1/requisitions/"
MAX_QUANTITY = 10_000_000
# Answers a refused call may give; never a 5xx.
REFUSALS = {400, 403, 404, 405, 409, 415}


@pytest.fixture(autouse=True)
def _unthrottled(settings):
    """Thousands of calls a minute are the point here: no write throttle."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_token": None, "api_write": None},
    }
    cache.clear()
    yield
    cache.clear()


class World:
    def __init__(self, trust, other_trust):
        self.trust = trust
        self.user = factories.UserFactory(
            membership__trust=trust, membership__is_requisitioner=True
        )
        self.site = factories.SiteFactory(trust=trust, code="HUB")
        self.centre = factories.CostCentreFactory(trust=trust, code="OPS")
        factories.SiteFactory(trust=other_trust, code="AWAY")
        factories.CostCentreFactory(trust=other_trust, code="THEIRS")
        factories.ItemFactory(sku="GLV-M", name="Gloves, medium")
        factories.ItemFactory(sku="MSK-1", name="Masks")
        factories.ItemFactory(sku="OLD-1", name="Retired", is_active=False)
        self.active = {"GLV-M", "MSK-1"}
        token, _ = Token.objects.get_or_create(user=self.user)
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")


@pytest.fixture
def world(trust, other_trust):
    return World(trust, other_trust)


hostile_text = st.one_of(
    st.text(max_size=20),
    st.sampled_from(["", " ", "\x00", "HUB\x00", "hub", "AWAY", "THEIRS", "x" * 6000]),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    hostile_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.text(max_size=8), inner, max_size=3),
    ),
    max_leaves=8,
)
quantities = st.one_of(
    st.integers(min_value=1, max_value=MAX_QUANTITY),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.integers(min_value=10**300, max_value=10**400),
    st.integers(min_value=1, max_value=MAX_QUANTITY).map(str),
    st.sampled_from(["5.0", "1_000", "٣", " 7 ", "+5", "1e3", "NaN", "9" * 5000]),
    st.sampled_from([5.0, 5.5, -1.0, 1e300, True, False, None, [], {}, [3]]),
    json_values,
)
skus = st.one_of(
    st.sampled_from(["GLV-M", "MSK-1", "OLD-1", "glv-m", "NOPE", "", "GLV-M\x00"]),
    json_values,
)


def dates():
    today = datetime.date.today()  # noqa: DTZ011 -- a date only
    return st.one_of(
        st.dates(min_value=today + datetime.timedelta(days=1)).map(
            datetime.date.isoformat
        ),
        st.dates().map(datetime.date.isoformat),
        st.sampled_from(["2026-02-30", "99999-01-01", "31/12/2030", "", "\x00"]),
        json_values,
    )


@st.composite
def bodies(draw):
    """A create body: near valid (only lines vary), field-wise hostile, or any
    JSON at all; keys may be missing or extra."""
    shape = draw(st.sampled_from(["near", "fields", "any"]))
    if shape == "any":
        return draw(json_values)
    lines = st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {
                    "sku": skus
                    if shape == "fields"
                    else st.sampled_from(["GLV-M", "MSK-1"])
                },
                optional={"quantity": quantities, "extra": json_values},
            ),
            json_values,
        )
        if shape == "fields"
        else st.fixed_dictionaries(
            {"sku": st.sampled_from(["GLV-M", "MSK-1"]), "quantity": quantities}
        ),
        max_size=4 if shape == "fields" else 3,
    )
    if shape == "near":
        return {
            "site": "HUB",
            "cost_centre": "OPS",
            "needed_by": (
                timezone.localdate() + datetime.timedelta(days=3)
            ).isoformat(),
            "notes": draw(st.text(st.characters(codec="utf-8"), max_size=20)),
            "lines": draw(lines),
        }
    return draw(
        st.fixed_dictionaries(
            {},
            optional={
                "site": st.one_of(
                    st.sampled_from(["HUB", "AWAY", "NOPE"]), json_values
                ),
                "cost_centre": st.one_of(
                    st.sampled_from(["OPS", "THEIRS", "NOPE"]), json_values
                ),
                "needed_by": dates(),
                "notes": st.one_of(hostile_text, json_values),
                "lines": st.one_of(lines, json_values),
                "trust": st.sampled_from(["SECAMB", 1]),
                "status": st.sampled_from(["approved", "submitted"]),
            },
        )
    )


def expected_lines(body):
    """What a valid body's lines mean, as (sku, quantity); None if refused."""
    if not isinstance(body, dict) or not isinstance(body.get("lines"), list):
        return None
    wanted = []
    for line in body["lines"]:
        if not isinstance(line, dict) or line.get("sku") not in ("GLV-M", "MSK-1"):
            return None
        quantity = line.get("quantity")
        if isinstance(quantity, str) and quantity.strip().lstrip("+").isdigit():
            text = quantity.strip().lstrip("+")
            quantity = int(text) if text.isascii() and len(text) < 20 else None
        if isinstance(quantity, bool) or not isinstance(quantity, int):
            return None
        if not 1 <= quantity <= MAX_QUANTITY:
            return None
        wanted.append((line["sku"], quantity))
    if not wanted or len({sku for sku, _ in wanted}) != len(wanted):
        return None
    return wanted


def _counts():
    return (
        Requisition.objects.count(),
        RequisitionLine.objects.count(),
        RequisitionEvent.objects.count(),
    )


def _encode(body) -> bytes:
    # Integers past Python's default digit limit are still valid JSON.
    return json.dumps(body).encode()


def test_create_never_fails_nor_saves_part(world):
    """Any JSON body to create: 201 with exactly the lines sent, at the
    trust's own site and cost centre, or a 4xx with nothing saved
    (400 examples)."""

    @settings(max_examples=CREATE_EXAMPLES, **FUZZ)
    @given(body=bodies())
    def run(body):
        before = _counts()
        response = world.client.generic(
            "POST", URL, _encode(body), content_type="application/json"
        )
        note(f"{response.status_code} {response.content[:300]!r}")
        assert response.status_code in REFUSALS | {201}
        assert response["Content-Type"] == "application/json"
        wanted = expected_lines(body)
        if response.status_code == 201:
            answer = response.json()
            saved = Requisition.objects.get(pk=answer["id"])
            assert _counts() == (
                before[0] + 1,
                before[1] + len(answer["lines"]),
                before[2] + 1,
            )
            assert saved.trust == world.trust
            assert saved.site == world.site
            assert saved.cost_centre == world.centre
            assert saved.needed_by >= timezone.localdate()
            lines = list(
                saved.lines.order_by("pk").values_list("item__sku", "quantity")
            )
            assert lines == wanted
            assert [(ln["sku"], ln["quantity"]) for ln in answer["lines"]] == wanted
        else:
            assert _counts() == before
            assert isinstance(response.json(), dict)
            if (
                isinstance(body, dict)
                and body.get("site") == "HUB"
                and body.get("cost_centre") == "OPS"
                and body.get("needed_by")
                == (timezone.localdate() + datetime.timedelta(days=3)).isoformat()
                and isinstance(body.get("notes"), str)
                and "\x00" not in body["notes"]
                and len(body["notes"]) <= 5000
            ):
                assert wanted is None

    run()


def test_create_body_in_any_bytes_never_fails(world):
    """Bodies that are not JSON, not UTF-8, or sent as another media type: a
    4xx with nothing saved (150 examples)."""
    valid = (
        b'{"site":"HUB","cost_centre":"OPS","needed_by":"'
        + (timezone.localdate() + datetime.timedelta(days=3)).isoformat().encode()
        + b'","lines":[{"sku":"GLV-M","quantity":'
    )

    @settings(max_examples=RAW_EXAMPLES, **FUZZ)
    @given(
        body=st.one_of(
            st.binary(max_size=200),
            st.binary(max_size=30).map(lambda tail: valid + tail),
            st.sampled_from(
                [
                    valid + b"5}]}",
                    valid + b"\xff}]}",
                    valid + b"5}]}\x00",
                    valid + b"1" * 5000 + b"}]}",
                    "\ufeff".encode() + valid + b"5}]}",
                    valid.decode().encode("utf-16") + b"5}]}",
                    b"NaN",
                    b"[" * 5000,
                ]
            ),
        ),
        content_type=st.sampled_from(
            [
                "application/json",
                "application/json; charset=latin-1",
                "application/json; charset=nonsense",
                "text/plain",
                "application/x-www-form-urlencoded",
                "multipart/form-data; boundary=zz",
                "",
            ]
        ),
    )
    def run(body, content_type):
        before = _counts()
        response = world.client.generic("POST", URL, body, content_type=content_type)
        note(f"{response.status_code} {response.content[:300]!r}")
        if response.status_code == 201:
            # Only a sound body in UTF-8 JSON may be taken.
            assert _counts()[0] == before[0] + 1
            assert json.loads(body.decode("utf-8-sig"))["lines"][0]["sku"] == "GLV-M"
        else:
            assert response.status_code in REFUSALS
            assert _counts() == before

    run()


ACTIONS = ["submit", "cancel", "reject", "approve"]


def test_actions_on_a_draft_never_fail_nor_change_it_in_part(world):
    """Submit, cancel, reject and approve a draft (or an id that is none)
    with any body: an answer from the list, never a 5xx; a refused action
    leaves the draft and its history as they were (150 examples)."""
    item = factories.ItemFactory(sku="PRC-1", name="Priced")
    factories.contract_item_with_tiers(
        tiers=[(1, "8.5000")],
        item=item,
        contract__reference="AP-C-FUZZ",
        contract__trusts=[world.trust],
    )

    @settings(max_examples=ACTION_EXAMPLES, **FUZZ)
    @given(
        action=st.sampled_from(ACTIONS),
        which=st.sampled_from(["draft", "missing", "huge"]),
        body=st.one_of(
            json_values.map(_encode),
            st.binary(max_size=40),
            st.fixed_dictionaries({"reason": hostile_text}).map(_encode),
        ),
    )
    def run(action, which, body):
        draft = factories.RequisitionFactory(
            trust=world.trust,
            requester=world.user,
            site=world.site,
            cost_centre=world.centre,
        )
        factories.RequisitionLineFactory(requisition=draft, item=item, quantity=4)
        pk = {"draft": draft.pk, "missing": draft.pk + 10_000, "huge": 10**30}[which]
        events = draft.events.count()
        response = world.client.generic(
            "POST",
            f"{URL}{pk}/{action}/",
            body,
            content_type="application/json",
        )
        note(f"{response.status_code} {response.content[:300]!r}")
        draft.refresh_from_db()
        if response.status_code == 200:
            assert which == "draft"
            assert action in ("submit", "cancel")
            assert draft.events.count() == events + 1
        else:
            assert response.status_code in REFUSALS
            assert draft.status == Requisition.Status.DRAFT
            assert draft.events.count() == events
            assert draft.lines.get().estimated_unit_price is None

    run()
