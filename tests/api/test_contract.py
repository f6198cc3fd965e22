"""schemathesis over the published OpenAPI document, for three kinds of agency system.

Every operation is called with generated input by a police, a probation and a COSA system:
no answer is a server error, every answer matches the document, and without a token every
operation refuses. (schemathesis' pytest plugin does not run under pytest 9 yet, so the
operations are walked with its strategies and hypothesis directly.)
"""

from __future__ import annotations

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.openapi import from_wsgi

from tests.api.conftest import TokenFor

ALL_SCOPES = "cases:read cases:write items:read items:write audit:read ingest:write"
CHECKS = (
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
)


def test_every_operation_answers_within_its_contract(app: Flask, token_for: TokenFor) -> None:
    schema = from_wsgi("/api/v1/openapi.json", app)
    tokens = [token_for(code, scopes=ALL_SCOPES) for code in ("DEMO-POL", "DEMO-PRB", "DEMO-COSA")]
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 7

    @settings(
        max_examples=12 * len(operations),
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def call_every_operation(data: st.DataObject) -> None:
        operation = data.draw(st.sampled_from(operations))
        case = data.draw(operation.as_strategy())
        for token in tokens:
            response = case.call(
                headers={"Authorization": f"Bearer {token}", "Hub-Purpose": "RISK_MANAGEMENT"}
            )
            case.validate_response(response, checks=CHECKS)
        # Without credentials (schemathesis may have generated an Authorization header).
        case.headers = {
            k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
        }
        anonymous = case.call(headers={"Hub-Purpose": "RISK_MANAGEMENT"})
        assert anonymous.status_code == 401, (case.method, case.path)

    call_every_operation()
