"""The plugin interface every agency connector implements.

A connector turns one agency system's messages into canonical records (`connectors.records`).
It parses and validates, and maps; it never touches the database or Flask, so the same code
serves the push endpoint, `hub import` and the tests. Validation uses pydantic models, which
also generate the JSON Schemas published under `schemas/connectors/`: the contract a sender
reads and the check the hub runs cannot drift apart.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import Annotated, Any, ClassVar, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from connectors.records import Record
from hub.vocabulary import AgencyType, SourceSystem

# A message larger than this is refused unread: no agency message needs more, and an
# unbounded one would let a single record exhaust the importer's memory.
MAX_MESSAGE_BYTES = 1_000_000


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a message: the field's path (``names[0].family``) and why."""

    field: str
    problem: str

    def __str__(self) -> str:
        return f"{self.field}: {self.problem}"


class MessageRejected(Exception):
    """The message cannot be taken as it is; `problems` lists every failing field."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = tuple(problems)


def rejected(field: str, problem: str) -> MessageRejected:
    return MessageRejected([Problem(field, problem)])


@dataclass(frozen=True)
class RawRecord:
    """One record cut from a bulk file: its bytes, where it was, and any problem found
    while cutting it out (bad encoding, a short CSV row), which rejects it unread."""

    position: str
    payload: bytes
    problem: Problem | None = None


class Message(BaseModel):
    """Fields every connector message carries."""

    source_reference: str = Field(
        min_length=1,
        max_length=200,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._:/-]*$",
        description="The sending system's own reference for this message; the same "
        "reference sent twice is one message (exactly-once ingest).",
    )


def check_size(raw: bytes) -> None:
    if len(raw) > MAX_MESSAGE_BYTES:
        raise rejected("message", f"is larger than {MAX_MESSAGE_BYTES} bytes")


def field_path(location: Iterable[int | str]) -> str:
    path = ""
    for part in location:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path.lstrip(".") or "message"


def problems_of(error: ValidationError, *, skip: int = 0) -> list[Problem]:
    """Every failing field, without echoing the input (it may be personal data)."""
    found = []
    for detail in error.errors(include_input=False, include_url=False):
        location = tuple(detail["loc"])[skip:]
        kind = detail["type"]
        if kind == "union_tag_invalid":
            problem = "is not a message type this connector accepts"
            found.append(Problem("type", problem))
        elif kind == "union_tag_not_found":
            found.append(Problem("type", "is required (the message type)"))
        elif kind == "json_invalid":
            found.append(Problem("message", f"is not valid JSON ({detail['msg'][14:]})"))
        else:
            message = detail["msg"].removeprefix("Value error, ")
            found.append(Problem(field_path(location), message))
    return found


class Connector(ABC):
    """An agency system's connector. Subclasses set the class attributes and `map`."""

    name: ClassVar[str]
    title: ClassVar[str]
    source_system: ClassVar[SourceSystem]
    # Only an agency of these types may send through the connector: a probation system
    # cannot post police intelligence under its own name.
    agency_types: ClassVar[frozenset[AgencyType]]
    # The models that validate each message type, and whose JSON Schemas are published.
    message_types: ClassVar[Mapping[str, type[BaseModel]]]
    bulk_formats: ClassVar[tuple[str, ...]] = ("jsonl", "json")

    @cached_property
    def _adapter(self) -> TypeAdapter[Message]:
        members = tuple(self.message_types.values())
        union: Any = members[0] if len(members) == 1 else Union[members]  # noqa: UP007
        return TypeAdapter(Annotated[union, Field(discriminator="type")])

    def parse(self, raw: bytes) -> Message:
        """Validate one message; raise `MessageRejected` naming every failing field."""
        check_size(raw)
        try:
            return self._adapter.validate_json(raw)
        except ValidationError as exc:
            raise MessageRejected(problems_of(exc, skip=1)) from None

    @abstractmethod
    def map(self, message: Message, received_at: datetime) -> list[Record]:
        """The canonical records the message holds, in the order they must be written."""

    def message_type(self, message: Message) -> str:
        return str(getattr(message, "type", "message"))

    def split(self, lines: Iterable[bytes], file_format: str) -> Iterator[RawRecord]:
        """Cut a bulk file into records: JSON Lines, or one JSON message or array."""
        if file_format == "jsonl":
            yield from split_json_lines(lines)
        elif file_format == "json":
            yield from split_json_document(b"".join(lines))
        else:
            raise ValueError(f"{self.name} cannot read {file_format} files")

    def schemas(self) -> dict[str, dict[str, Any]]:
        """The published JSON Schema of each message type, keyed by type name."""
        return {
            name: model.model_json_schema(mode="validation")
            for name, model in sorted(self.message_types.items())
        }


def split_json_lines(lines: Iterable[bytes]) -> Iterator[RawRecord]:
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped:
            yield RawRecord(f"line {number}", stripped)


def split_json_document(data: bytes) -> Iterator[RawRecord]:
    """One message, or an array of them. A truncated array still yields every element
    before the cut, then one rejection for the rest."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RawRecord("file", data, Problem("file", f"is not UTF-8 text (byte {exc.start})"))
        return
    body = text.strip()
    if not body.startswith("["):
        yield RawRecord("message 1", body.encode())
        return
    decoder = json.JSONDecoder()
    position, index = text.index("[") + 1, 0
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            position += 1
        if position < len(text) and text[position] == "]":
            return
        index += 1
        try:
            _, end = decoder.raw_decode(text, position)
        except json.JSONDecodeError:
            rest = text[position:].encode()
            yield RawRecord(
                f"message {index}",
                rest,
                Problem("file", "ends inside this message: the file is truncated or not JSON"),
            )
            return
        yield RawRecord(f"message {index}", text[position:end].encode())
        position = end
