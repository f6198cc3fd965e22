"""A handful of INSERTs sent to PostgreSQL together, in one round trip.

A pushed nominal writes a row or two in each of six tables (hub.ingest.newcomers). Sent one
at a time through SQLAlchemy, each INSERT waits for its answer before the next leaves, and
costs more Python than the database spends on it. In libpq's pipeline mode, on the driver
itself, they leave together and their answers come back together, for about half the CPU of
the same statements sent one by one on the bare driver (docs/connectors/bulk.md, bench/push.py).

They run on the session's own connection, so in its transaction, as the COPY of a bulk chunk
does, and like that COPY they skip the columns' bind processing: callers give values as
stored (sealed fields already sealed, enums as their values, timezone-aware datetimes).
SQLite has no such mode; callers there keep to SQLAlchemy.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any, cast

import psycopg
from psycopg import sql
from sqlalchemy import Table
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

Rows = Sequence[Mapping[str, Any]]


def insert_together(session: Session, writes: Sequence[tuple[Table, Rows]]) -> None:
    """INSERT each table's rows, in the order given, in one round trip.

    A unique index or a constraint that refuses a row raises SQLAlchemy's `IntegrityError`,
    as the same INSERT through SQLAlchemy would, and leaves the transaction to be rolled
    back (to a SAVEPOINT, or whole) by the caller.
    """
    connection = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    statement = ""
    try:
        with connection.pipeline(), connection.cursor() as cursor:
            for table, rows in writes:
                if not rows:
                    continue
                columns = tuple(rows[0])
                statement = _insert(table.name, columns)
                if len(columns) > 1:
                    pick = itemgetter(*columns)  # a tuple of the row's values, in order
                    cursor.executemany(statement, [pick(row) for row in rows])
                else:
                    cursor.executemany(statement, [(row[columns[0]],) for row in rows])
    except psycopg.IntegrityError as exc:
        # The pipeline reports a refused row at its end, so `statement` may name a later one.
        raise IntegrityError(statement, None, exc) from exc
    except psycopg.OperationalError as exc:
        raise OperationalError(statement, None, exc) from exc


@functools.cache
def _insert(table: str, columns: tuple[str, ...]) -> str:
    # Composed once a shape: the same text each time also lets the driver prepare it.
    return (
        sql.SQL("INSERT INTO {} ({}) VALUES ({})")
        .format(
            sql.Identifier(table),
            sql.SQL(", ").join(map(sql.Identifier, columns)),
            sql.SQL(", ").join(sql.Placeholder() * len(columns)),
        )
        .as_string(None)
    )
