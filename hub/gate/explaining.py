"""`hub policy explain`: a case as an imagined reader would get it, and why, audited.

The operator learns which fields a reader would get, not their values; still, asking is a
consultation about the case and its subject, so it is logged as a CONSULT for
AUDIT_OVERSIGHT (DPA 2018 s.62), as the who-accessed reports are.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from hub import crypto
from hub.actor import Actor, hub_actor
from hub.audit import AuditEntry, record
from hub.db import make_engine, make_sessionmaker
from hub.errors import InvalidInput
from hub.gate.gate import Gate, RecordExplanation
from hub.gate.reader import Reader
from hub.models import Agency, MappaCase
from hub.policy import PolicySet
from hub.settings import Settings
from hub.vocabulary import ROLE_AGENCY_TYPES, AuditOperation, Role


@dataclass(frozen=True)
class Explained:
    record: RecordExplanation

    def lines(self) -> list[str]:
        r = self.record
        category = f" {r.category}" if r.category else ""
        head = f"{r.type}{category} {r.id}: {r.decision.effect.value}"
        out = [head, *("    " + line for line in r.decision.explanation.lines())]
        if r.returned:
            out.append(f"    returned: {', '.join(r.returned)}")
        for name, reason in r.withheld.items():
            out.append(f"    withheld {name}: {reason}")
        return out

    def document(self) -> dict[str, Any]:
        r = self.record
        return {
            "type": r.type,
            "id": str(r.id),
            "category": r.category,
            "effect": r.decision.effect.value,
            "explanation": r.decision.explanation.lines(),
            "returned": list(r.returned),
            "withheld": r.withheld,
        }


def explain_case(
    settings: Settings,
    *,
    agency_code: str,
    role: Role,
    purpose: str,
    case_id: uuid.UUID,
    justification: str = "",
    break_glass: bool = False,
) -> list[Explained]:
    from hub.crypto import runtime

    engine = make_engine(settings.database_url)
    try:
        with (
            crypto.using(runtime.open_keyring(settings, engine)),
            make_sessionmaker(engine).begin() as session,
        ):
            agency = session.scalar(select(Agency).where(Agency.code == agency_code))
            if agency is None:
                raise InvalidInput("--as", f"no agency with code {agency_code!r}")
            allowed = ROLE_AGENCY_TYPES.get(role)
            if allowed is not None and agency.type not in allowed:
                # A reader who cannot exist explains nothing useful, and may mislead.
                raise InvalidInput(
                    "--as", f"{role.value} is not a role a {agency.type.value} agency holds"
                )
            actor = Actor(
                agency_id=agency.id,
                roles=frozenset({role}),
                purpose=purpose,
                justification=justification or None,
                client_id="hub-policy-explain",
            )
            reader = Reader(actor, agency.type, break_glass)
            gate = Gate(PolicySet.load(settings.policy_path))
            records = gate.explain_case(session, reader, case_id)
            case = session.get(MappaCase, case_id)
            assert case is not None  # explain_case raised NotFound otherwise
            record(
                session,
                AuditEntry(
                    operation=AuditOperation.CONSULT,
                    actor=hub_actor("AUDIT_OVERSIGHT"),
                    record_type="policy_explanation",
                    record_ids=(str(case_id),),
                    subject_person_id=case.person_id,
                    case_id=case_id,
                    policy_bundle_hash=gate.policy.bundle_hash,
                    extra={"as": f"{agency_code}/{role.value}", "reader_purpose": purpose},
                ),
            )
        return [Explained(r) for r in records]
    finally:
        engine.dispose()
