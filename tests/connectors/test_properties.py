"""Parsers never crash on arbitrary input: they return problems (hypothesis)."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import MessageRejected
from connectors.registry import installed
from tests.connectors import messages as msg

NAMES = sorted(installed())
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(NAMES), st.binary(max_size=400))
def test_arbitrary_bytes_are_rejected_not_crashes(name: str, raw: bytes) -> None:
    try:
        installed()[name].parse(raw)
    except MessageRejected as exc:
        problems = exc.problems
    else:
        return
    assert problems


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(NAMES), json_values)
def test_arbitrary_json_is_rejected_not_crashes(name: str, value: object) -> None:
    try:
        installed()[name].parse(json.dumps(value).encode())
    except MessageRejected as exc:
        problems = exc.problems
    else:
        return
    assert all(p.field for p in problems)


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(sorted(msg.nominal())), json_values, max_size=4))
def test_nominals_with_arbitrary_fields_map_or_reject(changes: dict[str, object]) -> None:
    police = installed()["police"]
    try:
        message = police.parse(json.dumps(msg.nominal() | changes).encode())
    except MessageRejected:
        return
    police.map(message, __import__("datetime").datetime.now(__import__("datetime").UTC))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=80), max_size=6))
def test_arbitrary_csv_lines_are_cut_into_records_or_rejections(lines: list[bytes]) -> None:
    header = b"source_reference,pnc_id,family_name,given_name,date_of_birth,sex\n"
    for record in installed()["police"].split([header, *lines], "csv"):
        assert record.problem is not None or record.payload.startswith(b"{")
