"""Sealed fields on the models: plaintext in Python, AES-256-GCM ciphertext in the database.

Why not a plain column type: the associated data must name the row, and a TypeDecorator's
`process_bind_param` sees only the value. So each sealed field is two attributes:

- the mapped column (`content_stored`), holding exactly what the database holds: an
  envelope, cleartext where the field's rule allows it (PNC and other unrestricted
  identifiers), or legacy plaintext the migration left for `hub keys rewrap`;
- a `SealedField` descriptor (`content`) that services and views use. Setting it keeps the
  plaintext beside the object and puts a placeholder in the column; reading it decrypts on
  first use (lists that never show a field never pay to decrypt it).

The placeholder is replaced by the envelope in the mapper's `before_insert`/`before_update`
events, the last moment before the row's parameters are collected, when the row id is known:
ids are client-side uuid4 defaults, so for a new row the hook assigns the id that the
column default would have assigned a moment later. A failed flush leaves the plaintext
beside the object, and the next flush seals it again.

Two nets catch plaintext that did not come through a descriptor: the hooks refuse it, and
the column type refuses, at bind time, any value the hooks did not produce (a Core INSERT,
say). The class attribute (`InformationItem.content`) refuses to take part in a query, where
it could only ever be compared with ciphertext and silently match nothing.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar, cast, overload

from sqlalchemy import Text, event
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapper
from sqlalchemy.types import TypeDecorator

import hub.crypto.model  # noqa: F401  (the key table is registered wherever sealed models are)
from hub.crypto import envelope
from hub.crypto.errors import (
    FieldUnreadable,
    KeyringError,
    PlaintextRefused,
    SealedFieldNotQueryable,
)
from hub.crypto.keyring import current
from hub.errors import InvalidInput

T = TypeVar("T", bound=str | None)


class StoredForm(str):
    """Text the sealing hook produced: an envelope, or cleartext the field's rule allows."""

    __slots__ = ()


class _Pending(str):
    """The column's value between a plaintext assignment and the flush that seals it."""

    __slots__ = ()


def cleartext(value: str) -> StoredForm:
    """A value to compare with rows the field's rule leaves in clear (e.g. a PNC)."""
    return StoredForm(value)


def blind_index(qualifier: str, value: str) -> bytes:
    return current().blind_index(qualifier, value)


class SealedText(TypeDecorator[str]):
    """TEXT that accepts only what the sealing hook produced (see the module docstring)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, StoredForm):
            return str.__str__(value)
        raise PlaintextRefused(
            "plaintext for an encrypted column: set the model's field, not its stored column"
        )


@dataclass(frozen=True)
class SealedColumn:
    """A sealed field in SQL terms, for the rewrap tool, key statistics and tests."""

    table: str
    column: str
    only_if: tuple[str, tuple[str, ...]] | None = None  # (column, values) of sealed rows
    blind_index: tuple[str, str] | None = None  # (digest column, qualifier column)


_FIELDS: dict[type[Any], list[SealedField[Any]]] = {}


class SealedField(Generic[T]):
    """The plaintext face of a sealed column. See the module docstring."""

    def __init__(
        self,
        stored: str,
        *,
        max_length: int | None = None,
        only_if: tuple[str, frozenset[str]] | None = None,
        blind_index: tuple[str, str] | None = None,
    ) -> None:
        self.stored = stored
        self.max_length = max_length
        self.only_if = only_if
        self.blind_index = blind_index
        self.name = stored

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name
        self.owner = owner
        self._cache_key = f"_hub_plain_{name}"
        _FIELDS.setdefault(owner, []).append(self)

    @cached_property
    def place(self) -> SealedColumn:
        mapper = sa_inspect(self.owner)
        columns = [c.name for c in mapper.primary_key]
        if columns != ["id"]:
            raise TypeError(f"{self.owner.__name__}: sealed fields need a single `id` key")

        def column(attribute: str) -> str:
            return str(mapper.attrs[attribute].columns[0].name)

        only_if = None
        if self.only_if is not None:
            only_if = (column(self.only_if[0]), tuple(sorted(map(str, self.only_if[1]))))
        index = None
        if self.blind_index is not None:
            index = (column(self.blind_index[0]), column(self.blind_index[1]))
        return SealedColumn(mapper.local_table.name, column(self.stored), only_if, index)

    @property
    def label(self) -> str:
        return f"{self.place.table}.{self.name}"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> SealedField[T]: ...
    @overload
    def __get__(self, obj: object, owner: type[Any]) -> T: ...
    def __get__(self, obj: object | None, owner: type[Any]) -> SealedField[T] | T:
        if obj is None:
            return self
        stored = getattr(obj, self.stored)
        if stored is None:
            return cast(T, None)  # only nullable fields store None
        cached = obj.__dict__.get(self._cache_key)
        if cached is not None and cached[0] is stored:
            return cast(T, cached[1])
        if isinstance(stored, _Pending):
            raise FieldUnreadable(f"{self.label}: the value set before the flush was lost")
        plain = self._open(obj, stored)
        obj.__dict__[self._cache_key] = (stored, plain)
        return cast(T, plain)

    def __set__(self, obj: object, value: T) -> None:
        if value is None:
            setattr(obj, self.stored, None)
            obj.__dict__.pop(self._cache_key, None)
            return
        if not isinstance(value, str):
            raise InvalidInput(self.label, "must be text")
        if self.max_length is not None and len(value) > self.max_length:
            raise InvalidInput(self.label, f"must be at most {self.max_length} characters")
        # A fresh, unique placeholder: it never equals the stored value it replaces, so the
        # ORM always sees a change, and it can never reach the database (SealedText).
        pending = _Pending("\x00pending " + secrets.token_hex(8))
        setattr(obj, self.stored, pending)
        obj.__dict__[self._cache_key] = (pending, value)

    def __clause_element__(self) -> Any:
        raise SealedFieldNotQueryable(
            f"{self.label} is encrypted and cannot be used in a query"
            + (" (look it up by its blind index)" if self.blind_index else "")
        )

    def __eq__(self, other: object) -> bool:
        if isinstance(other, SealedField):
            return self is other
        # `Model.field == value` would otherwise be False, and `where(False)` matches nothing.
        self.__clause_element__()
        return False

    __hash__ = object.__hash__

    def applies(self, obj: object) -> bool:
        if self.only_if is None:
            return True
        attribute, values = self.only_if
        return getattr(obj, attribute) in values

    def _open(self, obj: object, stored: str) -> str:
        if not envelope.is_sealed(stored):
            return stored  # cleartext by the field's rule, or legacy plaintext before rewrap
        place = self.place
        context = envelope.field_context(place.table, getattr(obj, "id"), place.column)  # noqa: B009
        try:
            return current().open(stored, context)
        except FieldUnreadable as exc:
            raise type(exc)(f"{self.label} of row {getattr(obj, 'id')}: {exc}") from None  # noqa: B009

    def seal_pending(self, obj: Any, *, inserting: bool) -> None:
        """Replace the placeholder by the stored form (called by the flush hooks)."""
        state = obj.__dict__
        stored = state.get(self.stored)
        if not isinstance(stored, _Pending):
            if self._plaintext_assigned(obj, stored, inserting=inserting):
                raise PlaintextRefused(
                    f"{self.label}: plaintext was assigned to the stored column "
                    f"{self.stored!r}; assign {self.name!r} instead"
                )
            if inserting or not self._rule_changed(obj):
                return
            plain = self.__get__(obj, type(obj))  # e.g. a scheme change makes it restricted
            if plain is None:
                return
        else:
            cached = state.get(self._cache_key)
            if cached is None or cached[0] is not stored:
                raise KeyringError(f"{self.label}: a pending value lost its plaintext")
            plain = cached[1]
        if obj.id is None:
            obj.id = uuid.uuid4()
        keyring = current()
        index = self.blind_index
        if self.applies(obj):
            place = self.place
            context = envelope.field_context(place.table, obj.id, place.column)
            sealed = StoredForm(keyring.seal(plain, context))
            if index is not None:
                digest = keyring.blind_index(str(getattr(obj, index[1])), plain)
                setattr(obj, index[0], digest)
        else:
            sealed = StoredForm(plain)
            if index is not None:
                setattr(obj, index[0], None)
        setattr(obj, self.stored, sealed)
        state[self._cache_key] = (sealed, plain)

    def _plaintext_assigned(self, obj: Any, stored: object, *, inserting: bool) -> bool:
        if stored is None or isinstance(stored, StoredForm):
            return False
        if inserting:
            return True
        return bool(sa_inspect(obj).attrs[self.stored].history.added)

    def _rule_changed(self, obj: Any) -> bool:
        if self.only_if is None:
            return False
        return bool(sa_inspect(obj).attrs[self.only_if[0]].history.has_changes())


def sealed_columns() -> list[SealedColumn]:
    """Every sealed column of the loaded models, in a stable order."""
    import hub.models  # noqa: F401  (register every model before listing)

    places = {f.place for fields in _FIELDS.values() for f in fields}
    return sorted(places, key=lambda p: (p.table, p.column))


def _before_insert(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    for sealed in _FIELDS.get(mapper.class_, ()):
        sealed.seal_pending(target, inserting=True)


def _before_update(mapper: Mapper[Any], _connection: Any, target: Any) -> None:
    for sealed in _FIELDS.get(mapper.class_, ()):
        sealed.seal_pending(target, inserting=False)


event.listen(Mapper, "before_insert", _before_insert)
event.listen(Mapper, "before_update", _before_update)
