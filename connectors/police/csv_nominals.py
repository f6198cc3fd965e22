"""Nominal records in bulk, as CSV: one person a row, the police system's export layout.

A CSV file is cut into rows, and each row becomes the same JSON nominal message a push
would carry, so bulk and push share one validator. Whatever goes wrong with one row (bad
bytes, too few fields, a column the header lacks) rejects that row alone.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator

from connectors.base import Problem, RawRecord

REQUIRED = ("source_reference", "pnc_id", "family_name", "given_name", "date_of_birth", "sex")
OPTIONAL = (
    "crn",
    "aliases",
    "nationality",
    "address_type",
    "address_line1",
    "address_line2",
    "address_town",
    "address_postcode",
    "address_from",
)
COLUMNS = REQUIRED + OPTIONAL


def split_csv(lines: Iterable[bytes]) -> Iterator[RawRecord]:
    decoded = _decoded(lines)
    header_line = next(decoded, None)
    if header_line is None:
        return
    _, header_bytes, header_text, header_problem = header_line
    if header_problem is not None:
        yield RawRecord("line 1", header_bytes, header_problem)
        return
    if not header_bytes.endswith(b"\n"):
        header_bytes += b"\n"
    header = [h.strip().lower() for h in next(csv.reader([header_text]), [])]
    missing = [c for c in REQUIRED if c not in header]
    for number, line, text, problem in decoded:
        position = f"line {number}"
        # The rejected row is kept as it came, under its header, so a replay cuts it again.
        raw = header_bytes + line
        if problem is not None:
            yield RawRecord(position, raw, problem)
            continue
        if not text.strip():
            continue
        try:
            values = next(csv.reader([text], strict=True))
        except csv.Error as exc:
            yield RawRecord(position, raw, Problem("row", f"is not well-formed CSV ({exc})"))
            continue
        if missing:
            yield RawRecord(position, raw, Problem(missing[0], "column is missing from the header"))
        elif len(values) != len(header):
            yield RawRecord(
                position,
                raw,
                Problem("row", f"has {len(values)} fields; the header has {len(header)}"),
            )
        else:
            yield RawRecord(position, _message(dict(zip(header, values, strict=True))))


def _decoded(lines: Iterable[bytes]) -> Iterator[tuple[int, bytes, str, Problem | None]]:
    # Rows are decoded one at a time so that one row in the wrong encoding rejects that row,
    # not the file. Quoted fields spanning lines are not part of this layout.
    for number, line in enumerate(lines, start=1):
        try:
            text = line.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            text = line.decode("utf-8", "replace")
            yield number, line, text, Problem("row", f"is not UTF-8 text (byte {exc.start})")
            continue
        yield number, line, text if text.endswith("\n") else text + "\n", None


def _message(row: dict[str, str]) -> bytes:
    def value(column: str) -> str | None:
        found = row.get(column, "").strip()
        return found or None

    names: list[dict[str, str | None]] = [
        {"type": "PRIMARY", "given": value("given_name"), "family": value("family_name")}
    ]
    for alias in (a.strip() for a in (value("aliases") or "").split(";") if a.strip()):
        given, _, family = alias.rpartition(" ")
        names.append({"type": "ALIAS", "given": given or None, "family": family or None})
    message: dict[str, object] = {
        "type": "nominal",
        "source_reference": value("source_reference"),
        "pnc_id": value("pnc_id"),
        "names": names,
        "date_of_birth": value("date_of_birth"),
        "sex": (value("sex") or "").upper() or None,
    }
    for column in ("crn", "nationality"):
        if value(column):
            message[column] = value(column)
    if any(value(c) for c in OPTIONAL if c.startswith("address_")):
        message["addresses"] = [
            {
                "type": (value("address_type") or "HOME").upper(),
                "line1": value("address_line1"),
                "line2": value("address_line2"),
                "town": value("address_town"),
                "postcode": value("address_postcode"),
                "valid_from": value("address_from"),
            }
        ]
    return json.dumps(message, separators=(",", ":")).encode()


def header() -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(COLUMNS)
    return buffer.getvalue()
