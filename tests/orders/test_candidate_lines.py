"""Reading the candidate lines from PostgreSQL: one packed bigint a line,
or three columns when an id or a quantity does not fit its bits."""

import pytest
from django.utils import timezone

from orders.selectors import pooling as selectors
from suppliers.models import MAX_LINE_QUANTITY
from tests.factories import ApprovedRequisitionLineFactory, ItemFactory, TrustFactory

pytestmark = pytest.mark.django_db


def _line(trust, item, quantity):
    return ApprovedRequisitionLineFactory(
        requisition__trust=trust, item=item, quantity=quantity
    )


def _expected(lines):
    pairs: dict[tuple[int, int], tuple[int, int]] = {}
    for line in lines:
        key = (line.item_id, line.requisition.trust_id)
        total, count = pairs.get(key, (0, 0))
        pairs[key] = (total + line.quantity, count + 1)
    return pairs


def _read(monkeypatch):
    """The candidate pairs, and the column counts of each COPY made."""
    copies = []
    read = selectors._copied_bigints

    def counted(query, count):
        copies.append(count)
        return read(query, count)

    monkeypatch.setattr(selectors, "_copied_bigints", counted)
    candidates = selectors.candidate_quantities(cut_off=timezone.now())
    pairs = {
        key: (pair.quantity, pair.line_count) for key, pair in candidates.pairs.items()
    }
    return pairs, copies


def test_lines_are_read_in_one_packed_column(monkeypatch):
    """Ids and quantities at the top of their bits come back exactly."""
    item = ItemFactory(pk=2**selectors._ITEM_BITS - 1)
    trust = TrustFactory(pk=2**selectors._TRUST_BITS - 1)
    lines = [
        _line(trust, item, MAX_LINE_QUANTITY),
        _line(trust, item, 1),
        _line(TrustFactory(), item, 7),
        _line(trust, ItemFactory(), 12),
    ]
    pairs, copies = _read(monkeypatch)
    assert pairs == _expected(lines)
    assert copies == [1]


@pytest.mark.parametrize(
    ("item_id", "trust_id"),
    [
        (2**selectors._ITEM_BITS, None),
        (None, 2**selectors._TRUST_BITS),
        (2**40, 2**20),
    ],
)
def test_ids_too_big_to_pack_are_read_again_in_three_columns(
    monkeypatch, item_id, trust_id
):
    """One line whose id does not fit sends every line round again, as
    three columns: the same pairs, nothing mixed up."""
    big_item = ItemFactory(pk=item_id) if item_id else ItemFactory()
    big_trust = TrustFactory(pk=trust_id) if trust_id else TrustFactory()
    small_item, small_trust = ItemFactory(), TrustFactory()
    lines = [
        _line(big_trust, big_item, 5),
        _line(small_trust, small_item, MAX_LINE_QUANTITY),
        _line(small_trust, big_item, 3),
        _line(big_trust, small_item, 2),
    ]
    pairs, copies = _read(monkeypatch)
    assert pairs == _expected(lines)
    assert copies == [1, 3]


def test_no_candidate_lines_read_as_no_pairs(monkeypatch):
    pairs, copies = _read(monkeypatch)
    assert pairs == {}
    assert copies == [1]
