"""Fuzzing the requisition form: whatever is posted, never a 500, and either a
whole saved draft or the form again with nothing saved (DESIGN §4, §8).

Hypothesis builds the POST the page sends: the header fields, the line
formset's management form and ``lines-N-item`` / ``lines-N-quantity`` pairs,
with hostile values in every place (other trusts' ids, unknown and inactive
items, huge, negative, decimal and non-ASCII quantities, NUL characters, very
long text, missing fields, stray keys, a body that is not UTF-8).
"""

import datetime
import re
import urllib.parse

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from orders.models import Requisition, RequisitionEvent, RequisitionLine
from tests import factories

pytestmark = pytest.mark.django_db

CREATE_EXAMPLES = 150
EDIT_EXAMPLES = 80
RAW_EXAMPLES = 100
FUZZ = {
    "deadline": None,
    "suppress_health_check": [
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
}
# What a posted quantity means when it is one: ASCII digits, at most a plus.
WHOLE = re.compile(r"^\+?[0-9]+$", re.ASCII)
MAX_QUANTITY = 10_000_000


class World:
    """The requisitioner's trust with two sites and cost centres, another trust
    with its own, and items: two active, one inactive."""

    def __init__(self, trust, other_trust):
        self.trust = trust
        self.user = factories.UserFactory(
            membership__trust=trust, membership__is_requisitioner=True
        )
        self.sites = [factories.SiteFactory(trust=trust) for _ in range(2)]
        self.centres = [factories.CostCentreFactory(trust=trust) for _ in range(2)]
        self.foreign_site = factories.SiteFactory(trust=other_trust)
        self.foreign_centre = factories.CostCentreFactory(trust=other_trust)
        self.gloves = factories.ItemFactory(
            sku="GLV-M", name="Gloves, medium", nhs_code="FTA123"
        )
        self.masks = factories.ItemFactory(sku="MSK-1", name="Masks FFP3")
        self.retired = factories.ItemFactory(
            sku="OLD-1", name="Retired item", is_active=False
        )
        # Every text that names an active item (any case), and its SKU.
        self.names = {}
        for item in (self.gloves, self.masks):
            for text in (item.sku, item.name, item.nhs_code):
                if text:
                    self.names[text.lower()] = item.sku
        self.inactive = {t.lower() for t in (self.retired.sku, self.retired.name) if t}


@pytest.fixture
def world(trust, other_trust):
    return World(trust, other_trust)


def garbage_text(max_size=30):
    return st.one_of(
        st.text(max_size=max_size),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
        st.sampled_from(
            ["\x00", "a\x00b", "\ufeff", "\u202e", "\U0001d7d9\U0001d7da", " ", "\t"]
        ),
        st.just("x" * 5000),
    )


def id_choice(own, foreign):
    """A site or cost centre as posted: own, another trust's, or nonsense."""
    return st.one_of(
        st.sampled_from([str(o.pk) for o in own]),
        st.just(str(foreign.pk)),
        st.sampled_from(["", "0", "-1", "99999999", "9" * 30, "1.0", "1e3"]),
        garbage_text(),
        st.none(),  # the field is not sent at all
    )


def dates():
    today = datetime.date.today()  # noqa: DTZ011 -- a date only
    return st.one_of(
        st.dates(
            min_value=today + datetime.timedelta(days=1),
            max_value=datetime.date(9999, 12, 31),
        ).map(datetime.date.isoformat),
        st.dates().map(datetime.date.isoformat),
        st.sampled_from(
            ["2026-02-30", "0000-01-01", "99999-01-01", "2026-13-01", "31/12/2030"]
        ),
        garbage_text(),
        st.none(),
    )


quantities = st.one_of(
    st.integers(min_value=1, max_value=MAX_QUANTITY).map(str),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.integers(min_value=10**300, max_value=10**400).map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", " 7 ", "+5", "5.0", "5.5", "1_000", "٣", "²", "0x10"]),
    st.sampled_from(["1e3", "NaN", "-0", "10000001", "10000000", "00001", "3\x00"]),
    garbage_text(),
)


def item_texts(world_names):
    return st.one_of(
        st.sampled_from(world_names),
        st.sampled_from(world_names).map(str.upper),
        st.sampled_from(["OLD-1", "Retired item", "NOPE-404", "", "GLV-M\x00"]),
        garbage_text(),
    )


def line_rows(world_names):
    return st.lists(
        st.tuples(
            st.one_of(
                st.integers(min_value=0, max_value=12),
                st.integers(min_value=-5, max_value=10**25),
            ),
            st.one_of(item_texts(world_names), st.none()),
            st.one_of(quantities, st.none()),
        ),
        max_size=6,
    )


def management():
    return st.fixed_dictionaries(
        {},
        optional={
            "lines-TOTAL_FORMS": st.one_of(
                st.integers(min_value=-5, max_value=10**6).map(str), garbage_text()
            ),
            "lines-INITIAL_FORMS": st.one_of(
                st.integers(min_value=-5, max_value=500).map(str), garbage_text()
            ),
            "lines-MIN_NUM_FORMS": garbage_text(),
            "lines-MAX_NUM_FORMS": garbage_text(),
        },
    )


@st.composite
def posts(draw, world):
    data = {}
    if draw(st.booleans()):
        # Near valid: a sound header, so the lines alone decide.
        header = {
            "site": str(draw(st.sampled_from(world.sites)).pk),
            "cost_centre": str(draw(st.sampled_from(world.centres)).pk),
            "needed_by": (
                timezone.localdate() + datetime.timedelta(days=2)
            ).isoformat(),
            "notes": draw(st.text(st.characters(codec="utf-8"), max_size=20)),
        }
        rows = draw(
            st.lists(
                st.tuples(
                    st.integers(min_value=0, max_value=8),
                    st.sampled_from(sorted(world.names)),
                    quantities,
                ),
                min_size=1,
                max_size=3,
            )
        )
    else:
        header = {
            "site": draw(id_choice(world.sites, world.foreign_site)),
            "cost_centre": draw(id_choice(world.centres, world.foreign_centre)),
            "needed_by": draw(dates()),
            "notes": draw(st.one_of(garbage_text(), st.just("n" * 2001), st.none())),
        }
        rows = draw(line_rows(sorted(world.names)))
    data.update({key: value for key, value in header.items() if value is not None})
    data.update(draw(management()))
    for index, item, quantity in rows:
        if item is not None:
            data[f"lines-{index}-item"] = item
        if quantity is not None:
            data[f"lines-{index}-quantity"] = quantity
    data.update(
        draw(
            st.dictionaries(
                st.sampled_from(["next", "lines-0-DELETE", "lines--1-item", "x"]),
                garbage_text(),
                max_size=2,
            )
        )
    )
    return data


def expected_lines(world, data):
    """The lines a valid post means, as (sku, quantity), or None if it has a
    line that cannot be saved. Rows come in their number order; a row with
    nothing typed is dropped, as the page drops removed rows."""
    rows: dict[int, dict[str, str]] = {}
    for key, value in data.items():
        match = re.fullmatch(r"lines-(\d+)-(item|quantity)", key)
        if match:
            rows.setdefault(int(match[1]), {})[match[2]] = value.strip()
    lines = []
    for index in sorted(rows):
        row = rows[index]
        if not any(row.values()):
            continue
        sku = world.names.get(row.get("item", "").lower())
        text = row.get("quantity", "")
        if sku is None or not WHOLE.match(text):
            return None
        quantity = int(text)
        if not 1 <= quantity <= MAX_QUANTITY:
            return None
        lines.append((sku, quantity))
    if not lines or len({sku for sku, _ in lines}) != len(lines):
        return None
    return lines


def _counts():
    return (
        Requisition.objects.count(),
        RequisitionLine.objects.count(),
        RequisitionEvent.objects.count(),
    )


def _state(requisition):
    requisition.refresh_from_db()
    return (
        requisition.site_id,
        requisition.cost_centre_id,
        requisition.needed_by,
        requisition.notes,
        list(requisition.lines.order_by("pk").values_list("item__sku", "quantity")),
    )


def _saved_lines(requisition):
    return list(requisition.lines.order_by("pk").values_list("item__sku", "quantity"))


def _valid_header(world, data) -> bool:
    site_ids = {str(site.pk) for site in world.sites}
    centre_ids = {str(centre.pk) for centre in world.centres}
    try:
        needed_by = datetime.date.fromisoformat(data.get("needed_by", "").strip())
    except ValueError:
        return False
    return (
        data.get("site", "").strip() in site_ids
        and data.get("cost_centre", "").strip() in centre_ids
        and needed_by >= timezone.localdate()
        and "\x00" not in data.get("notes", "")
        and len(data.get("notes", "").strip()) <= 2000
    )


def _check_answer(world, data, response, saved):
    """The properties every answer must have; ``saved`` is the draft or None."""
    assert response.status_code in (200, 302), response.status_code
    wanted = expected_lines(world, data)
    note(f"expected lines: {wanted}")
    if response.status_code == 302:
        assert saved is not None
        assert response["Location"] == saved.get_absolute_url()
        assert saved.trust == world.trust
        assert saved.site.trust_id == world.trust.pk
        assert saved.cost_centre.trust_id == world.trust.pk
        assert saved.status == Requisition.Status.DRAFT
        assert saved.needed_by >= timezone.localdate()
        assert saved.notes == data.get("notes", "").strip()
        assert _saved_lines(saved) == wanted
    else:
        assert b"nhsuk-error-summary" in response.content
        assert wanted is None or not _valid_header(world, data)


@pytest.fixture
def signed_in(client, world):
    client.force_login(world.user)
    return client


def test_create_form_never_fails_nor_saves_part(world, signed_in):
    """Any POST to the new-requisition page: a saved draft exactly as posted,
    or the form again with errors and nothing saved (150 examples)."""
    url = reverse("orders:requisition-create")

    @settings(max_examples=CREATE_EXAMPLES, **FUZZ)
    @given(data=posts(world))
    def run(data):
        before = _counts()
        newest = Requisition.objects.order_by("-pk").values_list("pk", flat=True)
        last_pk = newest.first() or 0
        response = signed_in.post(url, data)
        created = list(Requisition.objects.filter(pk__gt=last_pk))
        if response.status_code == 302:
            assert len(created) == 1
            saved = created[0]
            lines = saved.lines.count()
            assert _counts() == (before[0] + 1, before[1] + lines, before[2] + 1)
        else:
            saved = None
            assert created == []
            assert _counts() == before
        _check_answer(world, data, response, saved)

    run()


def test_edit_form_never_fails_nor_saves_part(world, signed_in):
    """Any POST to a draft's edit page: the draft replaced exactly as posted,
    or the form again with errors and the draft as it was (80 examples)."""

    @settings(max_examples=EDIT_EXAMPLES, **FUZZ)
    @given(data=posts(world))
    def run(data):
        draft = factories.RequisitionFactory(
            trust=world.trust,
            requester=world.user,
            site=world.sites[0],
            cost_centre=world.centres[0],
        )
        factories.RequisitionLineFactory(
            requisition=draft, item=world.masks, quantity=3
        )
        before, state = _counts(), _state(draft)
        response = signed_in.post(
            reverse("orders:requisition-edit", kwargs={"pk": draft.pk}), data
        )
        if response.status_code == 302:
            assert _counts()[0] == before[0]
            assert _counts()[2] == before[2] + 1
            draft.refresh_from_db()
            saved = draft
        else:
            assert _counts() == before
            assert _state(draft) == state
            saved = None
        _check_answer(world, data, response, saved)

    run()


def test_form_body_in_any_bytes_never_fails(world, signed_in):
    """A form body of arbitrary bytes (bad percent-escapes, invalid UTF-8 and
    Latin-1) around valid fields: never a 500, and a refused body saves
    nothing (100 examples)."""
    url = reverse("orders:requisition-create")
    valid = {
        "site": str(world.sites[0].pk),
        "cost_centre": str(world.centres[0].pk),
        "needed_by": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "lines-0-item": "GLV-M",
    }

    @settings(max_examples=RAW_EXAMPLES, **FUZZ)
    @given(
        quantity=st.one_of(
            st.binary(max_size=20),
            st.text(max_size=10).map(lambda t: t.encode("latin-1", "replace")),
            st.sampled_from([b"%FF%FE", b"\xff\xfe5", b"5%00", b"%C3%28", b"5"]),
        ),
        tail=st.binary(max_size=40),
        content_type=st.sampled_from(
            [
                "application/x-www-form-urlencoded",
                "application/x-www-form-urlencoded; charset=latin-1",
                "application/x-www-form-urlencoded; charset=nonsense",
                "multipart/form-data; boundary=zz",
                "text/plain",
            ]
        ),
    )
    def run(quantity, tail, content_type):
        before = _counts()
        body = urllib.parse.urlencode(valid).encode() + b"&lines-0-quantity=" + quantity
        body += b"&" + tail
        response = signed_in.generic("POST", url, body, content_type=content_type)
        assert response.status_code in (200, 302, 400)
        if response.status_code == 302:
            assert _counts()[0] == before[0] + 1
            saved = Requisition.objects.order_by("-pk").first()
            assert saved.site == world.sites[0]
            assert _saved_lines(saved)[0][0] == "GLV-M"
        else:
            assert _counts() == before

    run()
