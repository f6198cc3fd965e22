"""`hub consent ...` and `hub public-interest ...` as the hub operator runs them (real command)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from hub.db import make_engine
from hub.models import AuditRecord, InformationItem, MappaCase
from hub.vocabulary import AuditOperation, Category
from tests.helpers import hub_env, run_hub


def test_r29_r30_the_operator_records_withdraws_reports_and_exchanges_consents(
    scratch_database_url: str, tmp_path: Path
) -> None:
    env = hub_env(scratch_database_url, tmp_path)
    assert run_hub(["db", "upgrade"], env).returncode == 0
    loaded = run_hub(["demo", "load", "--count", "30", "--seed", "4"], env)
    assert loaded.returncode == 0, loaded.stderr
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            item_id, person_id = connection.execute(
                select(InformationItem.id, MappaCase.person_id)
                .join(MappaCase, MappaCase.id == InformationItem.case_id)
                .where(InformationItem.category == Category.HEALTH)
                .limit(1)
            ).one()
    finally:
        engine.dispose()
    person = ["--person", str(person_id)]

    recorded = run_hub(
        ["consent", "record", "--by", "health.rep", *person, "--category", "HEALTH",
         "--recipient", "DEMO-PRB", "--recipient", "DEMO-POL", "--purpose", "RISK_MANAGEMENT",
         "--method", "WRITTEN", "--given-at", "2026-01-05T10:00:00Z"],
        env,
    )  # fmt: skip
    assert recorded.returncode == 0, recorded.stderr
    consent_id = recorded.stdout.split()[1]

    listed = run_hub(["consent", "list", "--by", "offender.manager", *person, "--json"], env)
    assert listed.returncode == 0, listed.stderr
    assert [json.loads(line)["state"] for line in listed.stdout.splitlines()] == ["ACTIVE"]

    bad = run_hub(["consent", "record", "--by", "health.rep", *person, "--category", "HEALTH",
                "--recipient", "DEMO-NOPE", "--purpose", "RISK_MANAGEMENT", "--method", "WRITTEN"],
               env)  # fmt: skip
    assert bad.returncode == 1
    assert (
        bad.stderr.strip() == "hub: error: --recipient: no agency 'DEMO-NOPE' (give its code or id)"
    )

    exported = tmp_path / "consents.json"
    out = run_hub(
        ["consent", "export-fhir", "--by", "health.rep", *person, "--output", str(exported)], env
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(exported.read_text())["entry"][0]["resource"]["status"] == "active"
    again = run_hub(["consent", "import-fhir", str(exported), "--by", "health.rep"], env)
    assert again.returncode == 1
    assert again.stderr.startswith("hub: error: entry[0].resource.id:")
    r5 = tmp_path / "consents-r5.json"
    out = run_hub(
        ["consent", "export-fhir", "--by", "health.rep", *person, "--output", str(r5),
         "--fhir-version", "R5"], env
    )  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert json.loads(r5.read_text())["entry"][0]["resource"]["decision"] == "permit"
    as_r4 = run_hub(["consent", "import-fhir", str(r5), "--by", "health.rep"], env)
    assert as_r4.returncode == 1  # an R5 file read as R4 is refused by path, not half-read
    assert as_r4.stderr.startswith("hub: error: entry[0].resource.")

    withdrawn = run_hub(
        ["consent", "withdraw", consent_id, "--by", "health.rep", "--reason", "Withdrew"], env
    )
    assert withdrawn.returncode == 0, withdrawn.stderr
    assert "public-interest review task" in withdrawn.stdout
    history = run_hub(["consent", "history", "--by", "health.rep", *person, "--json"], env)
    events = [json.loads(line)["event"] for line in history.stdout.splitlines()]
    assert events == ["CONSENT_GIVEN", "CONSENT_WITHDRAWN"]
    report = run_hub(["consent", "basis-report", "--by", "health.rep", *person], env)
    assert report.returncode == 0, report.stderr
    assert (
        report.stdout.splitlines()[-1].endswith("disclosures (none)") or "CONSENT" in report.stdout
    )

    review_by = (datetime.now(UTC) + timedelta(days=30)).isoformat()
    decision = ["public-interest", "record", *person, "--item", str(item_id),
                "--recipient", "DEMO-PRB", "--risk", "Risk of serious harm to a named adult",
                "--scope", "Relapse indicators only", "--reasoning",
                "Relapse is the earliest warning of harm to the named adult",
                "--review-by", review_by, "--patient-not-informed",
                "--reason-not-informed", "Telling him would raise the risk"]  # fmt: skip
    refused = run_hub([*decision[:2], "--by", "chair.l3", *decision[2:]], env)
    assert refused.returncode == 1
    assert refused.stderr.startswith("hub: error: R-30 (decided_by):")
    made = run_hub([*decision[:2], "--by", "health.discloser", *decision[2:]], env)
    assert made.returncode == 0, made.stderr
    listed = run_hub(
        ["public-interest", "list", "--by", "offender.manager", *person, "--json"], env
    )
    assert [json.loads(line)["state"] for line in listed.stdout.splitlines()] == ["ACTIVE"]

    # The chair's refusal was committed, though the write it refused was not.
    engine = make_engine(scratch_database_url)
    try:
        with engine.connect() as connection:
            denials = connection.scalars(
                select(AuditRecord.canonical).where(AuditRecord.operation == AuditOperation.DENY)
            ).all()
    finally:
        engine.dispose()
    refusals = [json.loads(c) for c in denials if '"record_type":"public_interest_decision"' in c]
    assert [r["outcome"] for r in refusals] == ["R-30"]
