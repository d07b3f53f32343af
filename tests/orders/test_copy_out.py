"""``copy_out``: rows of ``COPY … TO STDOUT`` straight from libpq, and the
connection left ready for its next statement whatever goes wrong."""

import pytest
from django.db import DatabaseError, connection, transaction

from orders.selectors.pooling import copy_out

pytestmark = pytest.mark.django_db

ROWS = "COPY (SELECT g, g * 2 FROM generate_series(1, 2000) AS g) TO STDOUT"


def _still_answers():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 41 + 1")
        return cursor.fetchone()[0]


def test_every_row_is_handed_over_in_order():
    rows = []
    copy_out(ROWS, lambda row: rows.append(bytes(row)))
    assert rows == [f"{g}\t{g * 2}\n".encode() for g in range(1, 2001)]
    assert _still_answers() == 42


def test_a_statement_the_server_refuses_raises_a_database_error():
    with pytest.raises(DatabaseError, match="no_such_table"), transaction.atomic():
        copy_out("COPY (SELECT * FROM no_such_table) TO STDOUT", print)
    assert _still_answers() == 42


def test_an_error_part_way_through_the_rows_raises_after_the_rows_before_it():
    rows = []
    statement = "COPY (SELECT 1 / (g - 3) FROM generate_series(1, 5) AS g) TO STDOUT"
    with pytest.raises(DatabaseError, match="division by zero"), transaction.atomic():
        copy_out(statement, rows.append)
    assert len(rows) == 2
    assert _still_answers() == 42


def test_a_reader_that_fails_stops_the_copy_and_leaves_the_connection_usable():
    """The server is told to stop and what it sent meanwhile is thrown away:
    the copy asked for here would take the server hours to finish."""
    seen = []

    def write(row):
        seen.append(row)
        if len(seen) == 10:
            raise RuntimeError("no room")

    endless = "COPY (SELECT generate_series(1, 10000000000)) TO STDOUT"
    with pytest.raises(RuntimeError, match="no room"), transaction.atomic():
        copy_out(endless, write)
    assert len(seen) == 10
    assert _still_answers() == 42
