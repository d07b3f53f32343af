"""Reading candidate lines for the pooling preview, without the database."""

import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orders.selectors import pooling as selectors

rows = st.lists(
    st.tuples(st.integers(1, 30), st.integers(1, 5), st.integers(1, 10_000_000)),
    max_size=60,
)


def _columns(triples):
    """Three int64 columns from (item, trust, quantity) rows."""
    table = np.array(triples, dtype=np.int64).reshape(-1, 3)
    return table[:, 0].copy(), table[:, 1].copy(), table[:, 2].copy()


@given(rows=rows)
def test_pairs_are_the_same_from_lines_or_from_counted_quantities(rows):
    """One row per line (PostgreSQL's COPY) and one row per distinct quantity
    with its count (other databases) give the same pairs and the same runs."""
    items, trusts, quantities = _columns(rows)
    by_line = selectors.group_pairs(items, trusts, quantities, np.ones_like(quantities))
    counted: dict[tuple[int, int, int], int] = {}
    for row in rows:
        counted[row] = counted.get(row, 0) + 1
    keys = list(counted)
    grouped = selectors.group_pairs(
        *_columns(keys), np.array([counted[k] for k in keys], dtype=np.int64)
    )
    expected: dict[tuple[int, int], tuple[int, int]] = {}
    for item, trust, quantity in rows:
        total, count = expected.get((item, trust), (0, 0))
        expected[(item, trust)] = (total + quantity, count + 1)
    for candidates in (by_line, grouped):
        assert {
            key: (pair.quantity, pair.line_count)
            for key, pair in candidates.pairs.items()
        } == expected
        assert sorted(candidates.pairs) == list(candidates.pairs)
        assert [pair.index for pair in candidates.pairs.values()] == list(
            range(len(candidates.pairs))
        )
        for (item, trust), pair in candidates.pairs.items():
            rows_of_pair = candidates.pair_of_row == pair.index
            run = candidates.quantities[rows_of_pair]
            weights = candidates.weights[rows_of_pair]
            assert int((run * weights).sum()) == expected[(item, trust)][0]


@given(rows=rows, shift=st.sampled_from([2**20, 2**40, 2**61]))
def test_pairs_are_the_same_however_big_the_ids(rows, shift):
    """Ids too far apart for a lookup table are sorted instead: the same
    pairs, numbered in the same order, each row in its own pair."""
    items, trusts, quantities = _columns(rows)
    small = selectors.group_pairs(items, trusts, quantities, np.ones_like(quantities))
    big = selectors.group_pairs(
        items + shift, trusts, quantities, np.ones_like(quantities)
    )
    assert [
        ((item + shift, trust), pair) for (item, trust), pair in small.pairs.items()
    ] == list(big.pairs.items())
    assert big.pair_of_row.tolist() == small.pair_of_row.tolist()


def test_pairs_sort_on_both_columns_when_a_lookup_table_would_be_too_big():
    """Ids too big to fold into one 64-bit key still group correctly."""
    big = 2**60
    items = np.array([big, 1, big, 1], dtype=np.int64)
    trusts = np.array([7, 7, 7, 8], dtype=np.int64)
    quantities = np.array([1, 2, 3, 4], dtype=np.int64)
    candidates = selectors.group_pairs(
        items, trusts, quantities, np.ones_like(quantities)
    )
    assert {key: pair.quantity for key, pair in candidates.pairs.items()} == {
        (big, 7): 4,
        (1, 7): 2,
        (1, 8): 4,
    }


def _binary_copy(rows, *, extension=b""):
    body = b"".join(
        struct.pack(">h", len(row))
        + b"".join(
            struct.pack(">i", -1) if value is None else struct.pack(">iq", 8, value)
            for value in row
        )
        for row in rows
    )
    header = b"PGCOPY\n\xff\r\n\x00" + struct.pack(">ii", 0, len(extension))
    return memoryview(header + extension + body + b"\xff\xff")


def test_binary_copy_is_read_into_three_columns():
    data = _binary_copy([(1, 2, 3), (4, 5, 2**40)], extension=b"skip")
    items, trusts, quantities = selectors._bigints(data, 3)
    assert items.tolist() == [1, 4]
    assert trusts.tolist() == [2, 5]
    assert quantities.tolist() == [3, 2**40]
    assert all(column.dtype == np.int64 for column in (items, trusts, quantities))


def test_binary_copy_is_read_into_one_column():
    (packed,) = selectors._bigints(_binary_copy([(2**62,), (-1,), (0,)]), 1)
    assert packed.tolist() == [2**62, -1, 0]
    assert packed.dtype == np.int64


@pytest.mark.parametrize("count", [1, 3])
def test_an_empty_binary_copy_is_empty_columns(count):
    columns = selectors._bigints(_binary_copy([]), count)
    assert len(columns) == count
    assert all(len(column) == 0 for column in columns)


@pytest.mark.parametrize(
    "data",
    [
        _binary_copy([(1, None, 3)]),  # a null
        _binary_copy([(1, 2)]),  # two columns
        memoryview(b"COPY\n" + bytes(_binary_copy([(1, 2, 3)]))[5:]),  # no signature
        memoryview(bytes(_binary_copy([(1, 2, 3)]))[:-1]),  # cut short
    ],
)
def test_anything_but_three_non_null_bigints_is_refused(data):
    with pytest.raises(ValueError, match=r"COPY|bigint"):
        selectors._bigints(data, 3)


def test_three_columns_are_not_read_as_one():
    with pytest.raises(ValueError, match="1 non-null bigint"):
        selectors._bigints(_binary_copy([(1, 2, 3)]), 1)
