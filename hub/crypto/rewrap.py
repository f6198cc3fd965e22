"""Re-encrypting stored fields: onto the active key (rewrap), or back to plaintext.

Online and resumable by construction:

- each table with sealed columns is walked in key order (the primary key; SQLite's rowid), a
  batch of rows at a time, and each batch is its own short transaction, so an interruption
  loses at most the batch in flight and the hub keeps serving (on SQLite a batch holds the
  write lock for milliseconds);
- a batch selects only rows that still have work (in SQL, from the envelopes' key prefix),
  so a rerun after an interruption starts, in effect, where the last one stopped;
- each UPDATE is a compare-and-swap on the header and nonce of every field it rewrites
  (`envelope.cas_prefix`): a row the hub changed after the batch read it is left alone (its
  new value was sealed under the active key anyway) instead of being overwritten with the
  older value. Fields the batch does not rewrite are not written at all.

A row is updated once for all its sealed columns: the cost of rewrapping is the cost of
writing rows (in PostgreSQL, new row versions and their index entries), not of the
cryptography, which a worker thread does while the database works. PostgreSQL gets each batch
by binary COPY into a temporary table and one UPDATE joining it; SQLite an executemany, which
runs in-process. `bench/crypto.py` measures it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy import Connection, Engine

from hub.crypto import envelope
from hub.crypto.errors import FieldUnreadable
from hub.crypto.fields import SealedColumn, sealed_columns
from hub.crypto.keyring import Keyring

Mode = Literal["rewrap", "decrypt"]
PLAINTEXT = "plaintext"
_EXAMPLES = 10


@dataclass
class Outcome:
    """What a run did, in counts and (for unreadable fields) row ids: never content."""

    rewritten: int = 0  # fields
    changed_meanwhile: int = 0  # rows the hub rewrote between read and write: left alone
    unreadable: int = 0  # fields under a destroyed key, or tampered with: left as they are
    unreadable_examples: list[str] = field(default_factory=list)
    by_column: dict[str, int] = field(default_factory=dict)


def present_columns(connection: Connection) -> list[SealedColumn]:
    """The sealed columns whose tables this database has: one at an older revision (a
    downgrade refused part-way on SQLite, say) lacks the tables later migrations add."""
    tables = set(sa.inspect(connection).get_table_names())
    return [c for c in sealed_columns() if c.table in tables]


def pending(connection: Connection, keyring: Keyring, mode: Mode = "rewrap") -> dict[str, int]:
    """How many fields each sealed column still has to do."""
    counts = {}
    for column in present_columns(connection):
        table = _table([column])
        todo = _todo(column, table, keyring, mode)
        query = sa.select(sa.func.count()).select_from(table).where(todo)
        counts[_name(column)] = int(connection.scalar(query) or 0)
    return counts


def fields_by_key(connection: Connection) -> dict[str, int]:
    """Fields per data key id ("plaintext": not yet sealed), over every sealed column."""
    totals: dict[str, int] = {}
    for column in present_columns(connection):
        table = _table([column])
        value = table.c[column.column]
        prefix = sa.func.substr(value, 1, envelope.KEY_PREFIX_CHARS)
        query = sa.select(prefix, sa.func.count()).where(_applies(column, table)).group_by(prefix)
        for head, count in connection.execute(query):
            key = str(envelope.key_id_of(head)) if envelope.is_sealed(head) else PLAINTEXT
            totals[key] = totals.get(key, 0) + int(count)
    return totals


def run(
    engine: Engine,
    keyring: Keyring,
    *,
    mode: Mode = "rewrap",
    batch_size: int = 2000,
    on_batch: Callable[[int], None] | None = None,
) -> Outcome:
    """Rewrap (or decrypt) every field that needs it; `on_batch(fields)` after each commit."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    outcome = Outcome()
    with engine.connect() as connection:
        columns = present_columns(connection)
    for _, group in groupby(columns, key=lambda c: c.table):
        _Pass(engine, keyring, list(group), mode, outcome).run(batch_size, on_batch)
    return outcome


@dataclass(frozen=True)
class _Row:
    key: Any  # what the walk is ordered by: the id, or SQLite's rowid
    row_id: uuid.UUID
    olds: tuple[str | None, ...]  # CAS prefix of each rewritten column, None: not rewritten
    news: tuple[str | None, ...]
    digest: bytes | None


class _Pass:
    """One table: its sealed columns, read and rewritten together, row by row."""

    def __init__(
        self,
        engine: Engine,
        keyring: Keyring,
        columns: list[SealedColumn],
        mode: Mode,
        outcome: Outcome,
    ) -> None:
        self.engine, self.keyring, self.columns = engine, keyring, columns
        self.mode, self.outcome = mode, outcome
        self.name = columns[0].table
        self.table = _table(columns)
        self.digest = next((c.blind_index[0] for c in columns if c.blind_index), None)
        # SQLite walks a table by rowid: in storage order, so each page is rewritten once per
        # batch instead of once per row (ids are random). A VACUUM may renumber rowids
        # mid-run; rows it makes the walk miss are still "to do", and the end-of-run count
        # says so. PostgreSQL walks by id: its row versions move on every update.
        self.by_rowid = engine.dialect.name == "sqlite"
        self.key = sa.literal_column("rowid") if self.by_rowid else self.table.c.id
        self.offset = 1 if self.by_rowid else 0  # where the id is in a row read
        for column in columns:
            outcome.by_column.setdefault(_name(column), 0)

    def run(self, batch_size: int, on_batch: Callable[[int], None] | None) -> None:
        # Two stages: this thread reads and writes (waiting on the database, which releases
        # the GIL), a worker decrypts and re-encrypts the batch in between. The next batch is
        # read before the current one is written: batches are disjoint key ranges, and the
        # compare-and-swap makes the gap between a batch's read and its write harmless.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hub-rewrap") as worker:
            rows = self._read(None, batch_size)
            transforming = worker.submit(self._transform, rows) if rows else None
            while transforming is not None:
                rows = self._read(rows[-1][0], batch_size)
                changes, fields = transforming.result()
                transforming = worker.submit(self._transform, rows) if rows else None
                if changes:
                    with self.engine.begin() as connection:
                        updated = self._write(connection, changes)
                    self.outcome.changed_meanwhile += len(changes) - updated
                if on_batch is not None:
                    on_batch(fields)

    def _read(self, after: Any, batch_size: int) -> Sequence[Any]:
        table = self.table
        read = [self.key] if self.by_rowid else []
        read += [table.c.id, *(table.c[c.column] for c in self.columns)]
        read += [table.c[n] for n in self._condition_columns()]
        todo = sa.or_(*(_todo(c, table, self.keyring, self.mode) for c in self.columns))
        query = sa.select(*read).where(todo).order_by(self.key).limit(batch_size)
        if after is not None:
            query = query.where(self.key > after)
        with self.engine.begin() as connection:
            return connection.execute(query).all()

    def _condition_columns(self) -> list[str]:
        names = [c.only_if[0] for c in self.columns if c.only_if]
        names += [c.blind_index[1] for c in self.columns if c.blind_index]
        return list(dict.fromkeys(names))

    def _transform(self, rows: Sequence[Any]) -> tuple[list[_Row], int]:
        keyring, mode, outcome = self.keyring, self.mode, self.outcome
        active = envelope.key_prefix(keyring.active_key_id)
        width = len(self.columns)
        first = self.offset + 1
        conditions = {n: first + width + i for i, n in enumerate(self._condition_columns())}
        changes, fields = [], 0
        for row in rows:
            row_id = row[self.offset]
            place = f"{self.name}\x00{row_id}\x00".encode()
            olds: list[str | None] = [None] * width
            news: list[str | None] = [None] * width
            digest = None
            for i, column in enumerate(self.columns):
                stored = row[first + i]
                if stored is None or not _row_applies(column, row, conditions):
                    continue
                sealed = envelope.is_sealed(stored)
                if (mode == "decrypt" and not sealed) or (
                    mode == "rewrap" and stored.startswith(active)
                ):
                    continue
                fields += 1
                context = place + column.column.encode()
                try:
                    plain = keyring.open(stored, context) if sealed else stored
                except FieldUnreadable:
                    outcome.unreadable += 1
                    if len(outcome.unreadable_examples) < _EXAMPLES:
                        outcome.unreadable_examples.append(f"{_name(column)} {row_id}")
                    continue
                olds[i] = envelope.cas_prefix(stored)
                news[i] = plain if mode == "decrypt" else keyring.seal(plain, context)
                if column.blind_index is not None and mode == "rewrap":
                    qualifier = row[conditions[column.blind_index[1]]]
                    digest = keyring.blind_index(str(qualifier), plain)
            if any(o is not None for o in olds):
                changes.append(_Row(row[0], row_id, tuple(olds), tuple(news), digest))
        return changes, fields

    def _write(self, connection: Connection, changes: list[_Row]) -> int:
        if connection.dialect.name == "postgresql":
            updated = self._write_postgres(connection, changes)
        else:
            updated = self._write_sqlite(connection, changes)
        if updated == len(changes):
            self._count(changes)
        else:  # some rows changed meanwhile: count only what was written
            self._count(self._written(connection, changes))
        return updated

    def _write_postgres(self, connection: Connection, changes: list[_Row]) -> int:
        # The batch goes in by binary COPY into a temporary table, then one UPDATE joins it:
        # three times faster than the same rows as array parameters (measured with
        # bench/crypto.py), whose text form the server must parse element by element.
        # Names come from the models' own tables and columns, never from input.
        # Same shape in every mode (the digest stays NULL when decrypting, so COALESCE keeps
        # the stored one): the staging table outlives the batch on its pooled connection.
        with_digest = self.digest is not None
        staging = f"hub_rewrap_{self.name}"
        definitions, types, sets, checks = ["id uuid"], ["uuid"], [], []
        for i, column in enumerate(self.columns):
            quoted = f'"{column.column}"'
            definitions += [f"o{i} text", f"n{i} text"]
            types += ["text", "text"]
            sets.append(f"{quoted} = COALESCE(v.n{i}, t.{quoted})")
            checks.append(
                f"(v.o{i} IS NULL OR substr(t.{quoted}, 1, {envelope.CAS_PREFIX_CHARS}) = v.o{i})"
            )
        if with_digest:
            digest = f'"{self.digest}"'
            definitions.append("digest bytea")
            types.append("bytea")
            sets.append(f"{digest} = COALESCE(v.digest, t.{digest})")
        # Left to itself the planner hashes the whole table for each batch (a batch's few
        # thousand key lookups look dearer than one scan), which makes a run quadratic.
        connection.exec_driver_sql("SET LOCAL enable_hashjoin = off")
        connection.exec_driver_sql("SET LOCAL enable_mergejoin = off")
        # A batch lost to a crash is redone by the next run (both ciphertexts decrypt until
        # the old key is destroyed, and that commit is durable, flushing all WAL before it).
        connection.exec_driver_sql("SET LOCAL synchronous_commit = off")
        connection.exec_driver_sql(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ({', '.join(definitions)}) "
            "ON COMMIT DELETE ROWS"
        )
        driver: Any = connection.connection.driver_connection
        with driver.cursor() as cursor:
            with cursor.copy(f"COPY {staging} FROM STDIN (FORMAT BINARY)") as copy:
                copy.set_types(types)
                for change in changes:
                    row: list[Any] = [change.row_id]
                    for old, new in zip(change.olds, change.news, strict=True):
                        row += [old, new]
                    if with_digest:
                        row.append(change.digest)
                    copy.write_row(row)
            cursor.execute(
                f'UPDATE "{self.name}" AS t SET {", ".join(sets)} FROM {staging} AS v '  # noqa: S608
                f"WHERE t.id = v.id AND {' AND '.join(checks)}"
            )
            return int(cursor.rowcount)

    def _write_sqlite(self, connection: Connection, changes: list[_Row]) -> int:
        # Straight to the driver's executemany: SQLAlchemy's per-parameter processing would
        # cost as much as the UPDATE itself, under the same GIL as the worker's cryptography.
        # SQLite stores a Uuid as 32 hex digits. Names come from the models, never from input.
        sets = [f'"{c.column}" = coalesce(?, "{c.column}")' for c in self.columns]
        checks = [
            f'(? IS NULL OR substr("{c.column}", 1, {envelope.CAS_PREFIX_CHARS}) = ?)'
            for c in self.columns
        ]
        if self.digest is not None:
            sets.append(f'"{self.digest}" = coalesce(?, "{self.digest}")')
        statement = (
            f'UPDATE "{self.name}" SET {", ".join(sets)} '  # noqa: S608
            f"WHERE rowid = ? AND id = ? AND {' AND '.join(checks)}"
        )
        parameters = []
        for change in changes:
            row: list[Any] = list(change.news)
            if self.digest is not None:
                row.append(change.digest)
            row += [change.key, change.row_id.hex]
            for old in change.olds:
                row += [old, old]
            parameters.append(tuple(row))
        return int(connection.exec_driver_sql(statement, parameters).rowcount)

    def _written(self, connection: Connection, changes: list[_Row]) -> list[_Row]:
        """The rows whose rewritten fields now hold what this batch wrote."""
        table = self.table
        ids = [c.row_id for c in changes]
        current = {
            r[0]: r[1:]
            for r in connection.execute(
                sa.select(table.c.id, *(table.c[c.column] for c in self.columns)).where(
                    table.c.id.in_(ids)
                )
            )
        }
        return [
            c
            for c in changes
            if c.row_id in current
            and all(n is None or current[c.row_id][i] == n for i, n in enumerate(c.news))
        ]

    def _count(self, written: list[_Row]) -> None:
        for i, column in enumerate(self.columns):
            done = sum(1 for c in written if c.olds[i] is not None)
            self.outcome.by_column[_name(column)] += done
            self.outcome.rewritten += done


def _row_applies(column: SealedColumn, row: Sequence[Any], conditions: dict[str, int]) -> bool:
    if column.only_if is None:
        return True
    name, values = column.only_if
    return str(row[conditions[name]]) in values


def _table(columns: list[SealedColumn]) -> sa.TableClause:
    clauses: dict[str, sa.ColumnClause[Any]] = {"id": sa.column("id", sa.Uuid())}
    for column in columns:
        clauses[column.column] = sa.column(column.column, sa.Text())
        if column.only_if is not None:
            clauses.setdefault(column.only_if[0], sa.column(column.only_if[0], sa.String()))
        if column.blind_index is not None:
            digest, qualifier = column.blind_index
            clauses[digest] = sa.column(digest, sa.LargeBinary())
            clauses.setdefault(qualifier, sa.column(qualifier, sa.String()))
    return sa.table(columns[0].table, *clauses.values())


def _applies(column: SealedColumn, table: sa.TableClause) -> sa.ColumnElement[bool]:
    condition: sa.ColumnElement[bool] = table.c[column.column].is_not(None)
    if column.only_if is not None:
        condition = sa.and_(condition, table.c[column.only_if[0]].in_(column.only_if[1]))
    return condition


def _todo(
    column: SealedColumn, table: sa.TableClause, keyring: Keyring, mode: Mode
) -> sa.ColumnElement[bool]:
    value = table.c[column.column]
    if mode == "decrypt":
        head = sa.func.substr(value, 1, len(envelope.MARKER))
        return sa.and_(_applies(column, table), head == envelope.MARKER)
    head = sa.func.substr(value, 1, envelope.KEY_PREFIX_CHARS)
    return sa.and_(_applies(column, table), head != envelope.key_prefix(keyring.active_key_id))


def _name(column: SealedColumn) -> str:
    return f"{column.table}.{column.column}"
