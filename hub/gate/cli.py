"""`hub policy ...`: test, check, diff and explain the need-to-know policies.

`test`, `check` and `diff` need only the policy files. `explain` asks the gate about a real
case, so it needs the database and the field keys; it shows field names, never values.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

import click

from hub.errors import InvalidInput
from hub.policy import PolicySet, check, diff, run_policy_tests
from hub.settings import Settings
from hub.vocabulary import Role


def _policy_dir(value: Path | None) -> Path:
    return value if value is not None else Settings.from_env().policy_path


_POLICIES = click.option(
    "--policies",
    "policies",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The policy folder (default: HUB_POLICY_PATH, else the checkout's policies/).",
)


@click.group(help="The need-to-know policies: test, check, diff and explain them.")
def policy() -> None:
    pass


@policy.command("test", help="Run the cases in policies/tests/; fail if any rule is untested.")
@_POLICIES
@click.option(
    "--cases",
    type=click.Path(file_okay=False, exists=True, path_type=Path),
    help="The folder of test cases (default: <policies>/tests).",
)
def test_command(policies: Path | None, cases: Path | None) -> None:
    root = _policy_dir(policies)
    report = run_policy_tests(PolicySet.load(root), cases or root / "tests")
    click.echo(str(report))
    if not report.ok:
        sys.exit(1)


@policy.command("check", help="Prove policies/invariants.yaml over the whole request space.")
@_POLICIES
@click.option(
    "--invariants",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The invariants file (default: <policies>/invariants.yaml).",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    default=lambda: os.cpu_count() or 1,
    show_default="the number of cores",
    help="Processes to walk the space with.",
)
def check_command(policies: Path | None, invariants: Path | None, workers: int) -> None:
    root = _policy_dir(policies)
    policy = PolicySet.load(root)
    report = check(policy, invariants or root / "invariants.yaml", workers=workers)
    click.echo(str(report))
    if not report.ok:
        sys.exit(1)


@policy.command("diff", help="Every class of request that OLD and NEW decide differently.")
@click.argument("old", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.argument("new", type=click.Path(file_okay=False, exists=True, path_type=Path))
@click.option(
    "--invariants",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    help="The file whose request space to compare over (default: NEW/invariants.yaml).",
)
@click.option("--exit-code", is_flag=True, help="Exit 1 when any decision differs.")
def diff_command(old: Path, new: Path, invariants: Path | None, exit_code: bool) -> None:
    report = diff(PolicySet.load(old), PolicySet.load(new), invariants or new / "invariants.yaml")
    click.echo(str(report))
    if exit_code and not report.unchanged:
        sys.exit(1)


def _reader_spec(value: str) -> tuple[str, Role]:
    agency, _, role = value.partition("/")
    if not agency or not role:
        raise InvalidInput("--as", "give AGENCY_CODE/ROLE, for example POL-DEMO/POLICE_OFFICER")
    try:
        return agency, Role(role.upper())
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise InvalidInput("--as", f"unknown role {role!r}; roles: {known}") from None


@policy.command("explain", help="What a reader would see of a case, field by field, and why.")
@click.option("--as", "reader_spec", required=True, help="AGENCY_CODE/ROLE of the reader.")
@click.option("--purpose", required=True, help="The purpose of use the reader would state.")
@click.option("--case", "case_id", required=True, type=click.UUID, help="The MAPPA case's id.")
@click.option("--justification", default="", help="The justification the reader would give.")
@click.option("--break-glass", is_flag=True, help="As an emergency (break-glass) read.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per record.")
def explain_command(
    reader_spec: str,
    purpose: str,
    case_id: uuid.UUID,
    justification: str,
    break_glass: bool,
    as_json: bool,
) -> None:
    from hub.gate.explaining import explain_case

    agency_code, role = _reader_spec(reader_spec)
    settings = Settings.from_env()
    records = explain_case(
        settings,
        agency_code=agency_code,
        role=role,
        purpose=purpose.upper(),
        case_id=case_id,
        justification=justification,
        break_glass=break_glass,
    )
    for r in records:
        if as_json:
            click.echo(json.dumps(r.document()))
        else:
            click.echo("\n".join(r.lines()))
