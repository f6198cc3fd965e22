"""People the hub has never seen, written many at a time (the batch half of `hub import`).

A nominal record whose decisive identifiers no person holds is registered exactly as
`register_person` would register it, with the same checks, rows, sealed fields and COLLECT
entries, but with one multi-row INSERT per table and one audit append for a whole chunk,
instead of some twenty statements a record. Everything else (a match, a held duplicate, a
message that is not a nominal, anything refused) takes the one-record path, so only what
both paths would write identically is written here.

Sealed columns are sealed here as the model's flush hook seals them: the same field, the same
associated data (table, row id, column), so a row written either way reads the same.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from operator import itemgetter
from typing import Any, cast

import psycopg
from sqlalchemy import Table, insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from connectors.records import PersonRecord
from hub.actor import Actor
from hub.audit import AuditEntry, record_many
from hub.audit.log import queue_rows
from hub.crypto import current
from hub.crypto.envelope import field_context
from hub.crypto.fields import SealedField, StoredForm, cleartext
from hub.crypto.keyring import Keyring
from hub.db import utcnow
from hub.dbpipeline import insert_together
from hub.errors import InvalidInput
from hub.ingest.models import IngestReceipt
from hub.ingest.writers import ADDRESS_FIELDS, CheckedAddress, check_address
from hub.models import Address, Person, PersonIdentifier, PersonName
from hub.services.checks import optional_text, parse_enum
from hub.services.people import NameInput, name_key, parse_identifiers, parse_names
from hub.vocabulary import (
    DECISIVE_SCHEMES,
    RESTRICTED_SCHEMES,
    AuditOperation,
    Classification,
    IdentifierScheme,
    NameType,
    PersonStatus,
    Sex,
)

# The fields each COLLECT entry names: the same as the one-record path's entries.
PERSON_FIELDS = ("names", "date_of_birth", "sex", "identifiers", "ethnicity_text", "nationality")
RECEIPT_FIELDS = ("connector", "message_type", "source_reference", "records")


@dataclass(frozen=True)
class Newcomer:
    """A nominal record that passed every check its rows need, ready to be written."""

    raw: bytes
    message_type: str
    source_reference: str
    received_at: datetime
    names: list[tuple[NameType, str, str]]
    date_of_birth: date
    sex: Sex
    nationality: str | None
    identifiers: list[tuple[IdentifierScheme, str]]
    addresses: list[CheckedAddress]
    idempotency_key: str | None = None  # a pushed message's (a bulk file's records have none)


@dataclass(frozen=True)
class Written:
    """What writing one newcomer stored: its receipt, person and rows as "table:id"."""

    receipt_id: uuid.UUID
    person_id: uuid.UUID
    records: tuple[str, ...]


def check_newcomer(
    record: PersonRecord,
    *,
    raw: bytes,
    message_type: str,
    identifiers: list[tuple[IdentifierScheme, str]],
    idempotency_key: str | None = None,
) -> Newcomer:
    """The checks `register_person` and the address writer make, in Python, without writing.

    Raises `InvalidInput` where either would; the caller then sends the record down the
    one-record path, which refuses it with exactly the reason it always gave.
    """
    names = parse_names(
        [NameInput(given=n.given, family=n.family, type=n.type) for n in record.names]
    )
    parsed = parse_identifiers([(str(s), v) for s, v in identifiers])
    if not isinstance(record.date_of_birth, date):
        raise InvalidInput("date_of_birth", "must be a date (YYYY-MM-DD)")
    if record.date_of_birth > utcnow().date():
        raise InvalidInput("date_of_birth", "cannot be in the future")
    return Newcomer(
        raw=raw,
        message_type=message_type,
        source_reference=record.provenance.source_reference,
        received_at=record.provenance.received_at,
        names=names,
        date_of_birth=record.date_of_birth,
        sex=parse_enum(Sex, record.sex, "sex"),
        nationality=optional_text(record.nationality, "nationality", max_length=100),
        identifiers=parsed,
        addresses=[check_address(a, i) for i, a in enumerate(record.addresses)],
        idempotency_key=idempotency_key,
    )


def write_newcomers(
    session: Session,
    actor: Actor,
    connector: str,
    newcomers: Sequence[Newcomer],
    *,
    copying: bool | None = None,
) -> list[Written]:
    """Register each newcomer as an active person with its receipt and COLLECT entries.

    The caller has made sure no person holds their decisive identifiers and no receipt their
    source references; a concurrent writer that got there first makes an INSERT fail on the
    same unique indexes the one-record path relies on, and the caller redoes the chunk.
    """
    if not newcomers:
        return []
    rows = _Rows(actor, connector, current(), utcnow())
    written = [rows.add(n) for n in newcomers]
    tables = (
        (_PERSON, rows.persons),
        (_NAME, rows.names),
        (_IDENTIFIER, rows.identifiers),
        (_ADDRESS, rows.addresses),
        (_RECEIPT, rows.receipts),
    )
    postgresql = session.get_bind().dialect.name == "postgresql"
    if copying is None:  # COPY pays off for a chunk, not for the one row of a push
        copying = postgresql
    if copying:
        for table, values in tables:
            if values:
                _copy(session, table, values)
        record_many(session, rows.entries)
    elif postgresql:
        # A push's handful of rows, its COLLECT entries' too: six INSERTs, one round trip.
        insert_together(session, [*tables, queue_rows(session, rows.entries)])
    else:
        # On the connection: the Session's execution path costs more than the INSERT.
        connection = session.connection()
        for table, values in tables:
            if values:
                # One row is one plain execute, not an executemany's batching.
                connection.execute(_INSERT[table], values[0] if len(values) == 1 else values)
        record_many(session, rows.entries)
    return written


_PERSON, _NAME, _IDENTIFIER, _ADDRESS, _RECEIPT = (
    cast(Table, model.__table__)
    for model in (Person, PersonName, PersonIdentifier, Address, IngestReceipt)
)
# Built once: SQLAlchemy memoises a statement's cache key on the statement object, so one
# built afresh a push pays for its construction and its key every time (a tenth of a
# push's CPU with the look-up's, bench/request_cpu.py).
_INSERT = {table: insert(table) for table in (_PERSON, _NAME, _IDENTIFIER, _ADDRESS, _RECEIPT)}


def _copy(session: Session, table: Table, rows: list[dict[str, Any]]) -> None:
    # COPY, on the session's own connection and so in its transaction: several times faster
    # than an INSERT a row, and the constraints and unique indexes hold for it as for INSERT.
    # It skips the column types' bind checks, which is safe here: every sealed value was
    # sealed above, and enums are given as the values their CHECK constraints allow.
    columns = list(rows[0])
    values = itemgetter(*columns)
    connection = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    try:
        with connection.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(values(row))
    except psycopg.IntegrityError as exc:
        # The same exception an INSERT would raise through SQLAlchemy, so callers need to
        # know one: a unique index refused a row some other writer got to first.
        raise IntegrityError(statement, None, exc) from exc
    except psycopg.OperationalError as exc:
        raise OperationalError(statement, None, exc) from exc


class _Rows:
    """The rows and audit entries of a chunk of newcomers, in the order they are written."""

    def __init__(self, actor: Actor, connector: str, keyring: Keyring, now: datetime) -> None:
        self.actor, self.connector, self.keyring, self.now = actor, connector, keyring, now
        self.persons: list[dict[str, Any]] = []
        self.names: list[dict[str, Any]] = []
        self.identifiers: list[dict[str, Any]] = []
        self.addresses: list[dict[str, Any]] = []
        self.receipts: list[dict[str, Any]] = []
        self.entries: list[AuditEntry] = []

    def add(self, n: Newcomer) -> Written:
        actor, now = self.actor, self.now
        person_id = uuid.uuid4()
        self.persons.append(
            {
                "id": person_id,
                "created_at": now,
                "updated_at": now,
                "version": 1,
                "status": PersonStatus.ACTIVE.value,
                "merged_into_id": None,
                "date_of_birth": n.date_of_birth,
                "sex": n.sex.value,
                "ethnicity_text": None,
                "nationality": n.nationality,
                "owning_agency_id": actor.agency_id,
                "classification": Classification.OFFICIAL_SENSITIVE.value,
                "created_by": actor.user_id,
            }
        )
        for kind, given, family in n.names:
            self.names.append(
                {
                    "id": uuid.uuid4(),
                    "person_id": person_id,
                    "type": kind.value,
                    "given": given,
                    "family": family,
                    "given_key": name_key(given),
                    "family_key": name_key(family),
                    "valid_from": None,
                    "valid_to": None,
                }
            )
        for scheme, value in n.identifiers:
            self.identifiers.append(self._identifier(person_id, scheme, value))
        self.entries.append(
            self._collect("person", person_id, person_id, PERSON_FIELDS, outcome=None)
        )
        records = [f"person:{person_id}"]
        for address in n.addresses:
            address_id = self._address(person_id, address)
            records.append(f"address:{address_id}")
            self.entries.append(self._collect("address", address_id, person_id, ADDRESS_FIELDS))
        receipt_id = uuid.uuid4()
        self.receipts.append(
            {
                "id": receipt_id,
                "agency_id": actor.agency_id,
                "connector": self.connector,
                "message_type": n.message_type,
                "source_reference": n.source_reference,
                "idempotency_key": n.idempotency_key,
                "digest": hashlib.sha256(n.raw).digest(),
                "records": " ".join(records),
                "subject_person_id": person_id,
                "received_at": n.received_at,
                "accepted_at": now,
            }
        )
        self.entries.append(
            self._collect(
                "ingest_receipt",
                receipt_id,
                person_id,
                RECEIPT_FIELDS,
                extra={"connector": self.connector, "message_type": n.message_type},
            )
        )
        return Written(receipt_id, person_id, tuple(records))

    def _identifier(
        self, person_id: uuid.UUID, scheme: IdentifierScheme, value: str
    ) -> dict[str, Any]:
        row_id = uuid.uuid4()
        digest = None
        stored: StoredForm = cleartext(value)
        if scheme in RESTRICTED_SCHEMES:
            stored = self._seal(PersonIdentifier.value, row_id, value)
            digest = self.keyring.blind_index(str(scheme), value)
        return {
            "id": row_id,
            "person_id": person_id,
            "scheme": scheme.value,
            "value": stored,
            "value_digest": digest,
            "source_agency_id": self.actor.agency_id,
            # Claimed at once: the partial unique index then guards R-56 against a racing
            # writer of the same PNC or CRN, as it does for `register_person`.
            "claims": scheme in DECISIVE_SCHEMES,
        }

    def _address(self, person_id: uuid.UUID, a: CheckedAddress) -> uuid.UUID:
        row_id = uuid.uuid4()
        self.addresses.append(
            {
                "id": row_id,
                "created_at": self.now,
                "updated_at": self.now,
                "version": 1,
                "person_id": person_id,
                "type": a.type.value,
                "line1": self._seal(Address.line1, row_id, a.line1),
                "line2": self._seal(Address.line2, row_id, a.line2),
                "town": self._seal(Address.town, row_id, a.town),
                "postcode": self._seal(Address.postcode, row_id, a.postcode),
                "valid_from": a.valid_from,
                "valid_to": a.valid_to,
                "verified_at": None,
                "verified_by": None,
                "owning_agency_id": self.actor.agency_id,
                "classification": Classification.OFFICIAL_SENSITIVE.value,
            }
        )
        return row_id

    def _seal(self, field: SealedField[Any], row_id: uuid.UUID, plain: Any) -> Any:
        if plain is None:
            return None
        place = field.place
        context = field_context(place.table, row_id, place.column)
        return StoredForm(self.keyring.seal(plain, context))

    def _collect(
        self,
        record_type: str,
        record_id: uuid.UUID,
        person_id: uuid.UUID,
        fields: tuple[str, ...],
        *,
        outcome: str | None = None,
        extra: dict[str, str] | None = None,
    ) -> AuditEntry:
        return AuditEntry(
            operation=AuditOperation.COLLECT,
            actor=self.actor,
            record_type=record_type,
            record_ids=(str(record_id),),
            subject_person_id=person_id,
            fields_written=fields,
            outcome=outcome,
            extra=extra or {},
        )
