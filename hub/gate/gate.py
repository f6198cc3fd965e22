"""The one gate (design.md §2): every read of case data passes here.

A read is decided by the policy engine per record and per field, obligations are carried
out, and the CONSULT / DENY / BREAK_GLASS entries are written in the caller's transaction
before any view is returned. A record the reader may not see raises exactly the NotFound a
missing record raises. Anything that goes wrong raises, and the caller's transaction rolls
back with its audit entries: no data leaves without its entry (fail closed).
"""

from __future__ import annotations

import functools
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, raiseload

from hub.consent.basis import BasisBook, ItemBasis
from hub.db import utcnow
from hub.errors import InvalidInput, NotFound
from hub.gate import audit
from hub.gate.agencies import agency_types
from hub.gate.filter import case_filter
from hub.gate.reader import Reader
from hub.gate.records import LoadedCase, load_case, load_items, load_members, load_person_details
from hub.gate.relationships import case_relationships
from hub.gate.resources import (
    CaseLike,
    Resource,
    case_resource,
    item_resource,
    person_resource,
)
from hub.gate.views import CasePage, CaseView, ListPosition, View
from hub.models import (
    AccessFollowUp,
    MappaCase,
)
from hub.policy import (
    Decision,
    FlagForReview,
    NotifyOwner,
    Obligation,
    PolicySet,
    RecordBreakGlass,
    Redact,
    RedactAllExcept,
    RequireJustification,
    enforce,
    visible_fields,
)
from hub.vocabulary import AuditOperation, Category, FollowUpKind, LegalBasis

log = logging.getLogger("hub.gate")

# Obligations the gate knows how to carry out. Any other makes the permit a deny (fail closed).
FULFILLED = (
    Redact,
    RedactAllExcept,
    RequireJustification,
    RecordBreakGlass,
    NotifyOwner,
    FlagForReview,
)
MAX_PER_PAGE = 200
COUNT_CAP = 1000


def _can_fulfil(obligation: Obligation) -> bool:
    return isinstance(obligation, FULFILLED)


def not_found(kind: str) -> NotFound:
    # One message for "missing" and "hidden": the difference must not show.
    return NotFound(f"no {kind} with that id")


@dataclass(frozen=True)
class _Asked:
    """A record about to be decided, with what its audit entry and follow-ups name."""

    resource: Resource
    owning_agency_id: uuid.UUID
    case_id: uuid.UUID
    person_id: uuid.UUID
    basis: ItemBasis | None = None  # items only: what it would go out under


@dataclass(frozen=True)
class RecordExplanation:
    """One record of a case as a reader would get it: fields named, values never included."""

    type: str
    id: uuid.UUID
    category: str | None
    decision: Decision
    returned: tuple[str, ...]
    withheld: dict[str, str]  # field name -> the plain-English reason


@dataclass(frozen=True)
class _Decided:
    asked: _Asked
    decision: Decision

    @property
    def resource(self) -> Resource:
        return self.asked.resource


class Gate:
    def __init__(self, policy: PolicySet, *, count_cap: int = COUNT_CAP) -> None:
        self.policy = policy
        self.count_cap = count_cap

    # -- one case --------------------------------------------------------------------------

    def read_case(self, session: Session, reader: Reader, case_id: uuid.UUID) -> CaseView:
        loaded = load_case(session, case_id)
        if loaded is None:
            self._deny_missing(session, reader, "mappa_case", case_id)
            raise not_found("case")
        decided = self._decide(reader, self._case_records(session, reader, loaded), "read")
        if not decided[0].decision.permitted:
            self._record(session, reader, decided[:1])
            raise not_found("case")
        views = self._record(session, reader, decided)
        first = views[0]
        person_view = next((v for v in views if v.type == "person"), None)
        return CaseView(first, person_view, [v for v in views if v.type == "item"])

    def read_case_record(self, session: Session, reader: Reader, case_id: uuid.UUID) -> View:
        """The case record alone, decided and audited, without its person or items: what an
        outbound event about a case carries (hub/events). Only what is returned is audited
        as returned."""
        loaded = load_case(session, case_id)
        if loaded is None:
            self._deny_missing(session, reader, "mappa_case", case_id)
            raise not_found("case")
        case = loaded.case
        relationships = case_relationships(reader.actor, loaded.members, _today(reader))
        asked = _Asked(
            case_resource(case, reader.actor, relationships),
            case.owning_agency_id,
            case.id,
            case.person_id,
        )
        views = self._record(session, reader, self._decide(reader, [asked], "read"))
        if not views:
            raise not_found("case")
        return views[0]

    def explain_case(
        self, session: Session, reader: Reader, case_id: uuid.UUID, *, action: str = "read"
    ) -> list[RecordExplanation]:
        """What `reader` would be shown of a case, record by record and field by field, and why.

        For policy authors and auditors (`hub policy explain`): it names fields, never their
        values, and writes no CONSULT for the imagined reader; the caller audits its own use.
        """
        loaded = load_case(session, case_id)
        if loaded is None:
            raise not_found("case")
        explained = []
        for d in self._decide(reader, self._case_records(session, reader, loaded), action):
            view = visible_fields(d.decision, d.resource.fields)
            reason = self._reason(d.decision) if d.decision.permitted else ""
            explained.append(
                RecordExplanation(
                    d.resource.type,
                    d.resource.id,
                    d.resource.category,
                    d.decision,
                    view.returned,
                    dict.fromkeys(view.withheld, reason or "the record is withheld"),
                )
            )
        return explained

    def _case_records(self, session: Session, reader: Reader, loaded: LoadedCase) -> list[_Asked]:
        """The case, its person and its current items, as the policy sees them for `reader`."""
        actor = reader.actor
        case = loaded.case
        relationships = case_relationships(actor, loaded.members, _today(reader))
        asked = [
            _Asked(
                case_resource(case, actor, relationships),
                case.owning_agency_id,
                case.id,
                case.person_id,
            )
        ]
        person = loaded.person
        if person is not None:
            resource = person_resource(
                person,
                actor,
                relationships,
                functools.partial(load_person_details, session, person.id),
            )
            asked.append(_Asked(resource, person.owning_agency_id, case.id, case.person_id))
        return asked + self._items(session, reader, case, relationships)

    def _decide(self, reader: Reader, asked: Sequence[_Asked], action: str) -> list[_Decided]:
        decisions = self.policy.decide_case(
            [{**a.resource.attributes, "action": action} for a in asked],
            common=reader.attributes(),
        )
        return [
            _Decided(a, enforce(decision, _can_fulfil))
            for a, decision in zip(asked, decisions, strict=True)
        ]

    def _items(
        self,
        session: Session,
        reader: Reader,
        case: CaseLike,
        relationships: frozenset[str],
        *,
        item_id: uuid.UUID | None = None,
    ) -> list[_Asked]:
        """The case's current items (or the one named) as the policy sees them for `reader`."""
        found = load_items(session, case.id, item_id)
        if not found:
            return []
        items = [item for item, _named in found]
        types = agency_types.of(session, {item.owning_agency_id for item in items})
        # Consents and decisions are read now, every time: a withdrawal or an expiry applies
        # to the very next read (R-29 a).
        bases = BasisBook.load(session, case.person_id, items).for_reader(
            reader.actor.agency_id, reader.actor.purpose, reader.now or utcnow()
        )
        actor = reader.actor
        asked = []
        for item, named in found:
            # Only health and consent-based items have a basis to trace; the rest keep
            # NOT_REQUIRED / NONE without the lookup (bench/consent.py).
            traced = item.category is Category.HEALTH or item.legal_basis is LegalBasis.CONSENT
            basis = bases.for_item(item) if traced else None
            resource = item_resource(
                item,
                actor,
                relationships,
                owning_agency_type=types[item.owning_agency_id].value,
                named_agencies=named,
                basis=basis,
            )
            asked.append(_Asked(resource, item.owning_agency_id, case.id, case.person_id, basis))
        return asked

    # -- lists -----------------------------------------------------------------------------

    def list_cases(
        self,
        session: Session,
        reader: Reader,
        *,
        page: int = 1,
        per_page: int = 50,
        after: ListPosition | None = None,
        due_before: date | None = None,
        where: ColumnElement[bool] | None = None,
    ) -> CasePage:
        """A page of the cases `reader` may list, soonest review first.

        `page` counts pages from the start (the chairs' UI); `after` continues from the last
        case of a previous page (the API's cursor), which stays fast however deep it goes
        and does not skip or repeat cases when others are added meanwhile. `due_before` keeps
        only the cases whose next review falls before that date (the overdue reviews, R-06).
        `where` narrows further with the caller's own clause over `MappaCase` (the workspace's
        filters and dashboard panels); it can only remove cases, never add any.
        """
        if page < 1:
            raise_invalid("page", "must be 1 or more")
        if after is not None and page != 1:
            raise_invalid("page", "give a page number or a position to continue from, not both")
        if not 1 <= per_page <= MAX_PER_PAGE:
            raise_invalid("per_page", f"must be between 1 and {MAX_PER_PAGE}")
        today = _today(reader)
        visible = case_filter(self.policy, reader, "list", today)
        if due_before is not None:
            visible = and_(visible, MappaCase.next_review_due < due_before)
        if where is not None:
            visible = and_(visible, where)
        # Counting every visible case of a large area costs more than the page itself
        # (bench/case_list.py); past the cap a reader is told "more than", never a wrong number.
        found = select(MappaCase.id).where(visible).limit(self.count_cap + 1).subquery()
        total = session.scalar(select(func.count()).select_from(found)) or 0
        exact = total <= self.count_cap
        total = min(total, self.count_cap)
        listed = visible if after is None else and_(visible, after.later_cases())
        cases = session.scalars(
            select(MappaCase)
            .options(raiseload(MappaCase.person))  # a case's row decides its listing
            .where(listed)
            # Soonest review first, cases with none (level 1) last: NULLS LAST on the indexed
            # column lets the database walk the index instead of sorting every visible case.
            .order_by(MappaCase.next_review_due.asc().nulls_last(), MappaCase.id)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        shown = []
        for d in self._decide(reader, _listing(session, reader, cases, today), "list"):
            if d.decision.permitted:
                shown.append(d)
            else:
                # The SQL filter and the engine disagree: a bug. Show less, never more.
                log.error("list filter passed a case the engine denies: %s", d.decision.decision_id)
                total -= 1
        following = ListPosition.of(cases[-1]) if len(cases) == per_page else None
        views = self._record(session, reader, shown)
        return CasePage(views, total, page, per_page, exact, following)

    def list_these(
        self, session: Session, reader: Reader, case_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, View]:
        """Of these cases, those `reader` may list, decided and audited as `list_cases` does
        (a meeting's agenda: cases chosen by the meeting, shown only where listable)."""
        if not case_ids:
            return {}
        cases = session.scalars(
            select(MappaCase)
            .options(raiseload(MappaCase.person))
            .where(MappaCase.id.in_(list(case_ids)))
        ).all()
        asked = _listing(session, reader, cases, _today(reader))
        decided = [d for d in self._decide(reader, asked, "list") if d.decision.permitted]
        return {view.id: view for view in self._record(session, reader, decided)}

    # -- carrying out decisions -------------------------------------------------------------

    def _record(
        self,
        session: Session,
        reader: Reader,
        decided: Sequence[_Decided],
    ) -> list[View]:
        """Audit every decision, carry out obligations, and build the permitted views."""
        entries = []
        views: list[View] = []
        follow: list[tuple[_Decided, int]] = []
        for d in decided:
            person_id, case_id = d.asked.person_id, d.asked.case_id
            field_view = (
                visible_fields(d.decision, d.resource.fields) if d.decision.permitted else None
            )
            entries.append(
                audit.resource_entry(
                    reader,
                    d.resource,
                    d.decision,
                    field_view,
                    person_id=person_id,
                    case_id=case_id,
                    basis=d.asked.basis,
                )
            )
            if any(isinstance(o, RecordBreakGlass) for o in d.decision.obligations):
                entries.append(
                    audit.entry(
                        reader,
                        AuditOperation.BREAK_GLASS,
                        audit._record_type(d.resource.type),
                        d.resource.id,
                        d.decision,
                        person_id=person_id,
                        case_id=case_id,
                    )
                )
            if field_view is None:
                continue
            follow.append((d, len(entries) - 1))
            views.append(
                View(
                    d.resource.type,
                    d.resource.id,
                    {name: d.resource.fields[name] for name in field_view.returned},
                    {name: self._reason(d.decision) for name in field_view.withheld},
                    d.decision.decision_id,
                    d.resource.category,
                )
            )
        appended = audit.write(session, entries)
        for d, index in follow:
            self._follow_up(session, reader, d, appended[index])
        return views

    def _follow_up(self, session: Session, reader: Reader, d: _Decided, receipt: int) -> None:
        kinds = []
        for obligation in d.decision.obligations:
            owner = d.asked.owning_agency_id
            if isinstance(obligation, NotifyOwner) and owner != reader.actor.agency_id:
                kinds.append(FollowUpKind.NOTIFY_OWNER)
            elif isinstance(obligation, FlagForReview):
                kinds.append(FollowUpKind.REVIEW)
        for kind in kinds:
            session.add(
                AccessFollowUp(
                    kind=kind,
                    owning_agency_id=d.asked.owning_agency_id,
                    actor_agency_id=reader.actor.agency_id,
                    actor_user_id=reader.actor.user_id,
                    case_id=d.asked.case_id,
                    record_type=d.resource.type,
                    record_id=d.resource.id,
                    audit_receipt=receipt,
                )
            )
        if kinds:
            session.flush()

    def _reason(self, decision: Decision) -> str:
        rules = decision.withheld_by or decision.permitted_by
        return " ".join(self.policy.rule(r).description for r in rules)

    def _deny_missing(
        self, session: Session, reader: Reader, record_type: str, record_id: uuid.UUID
    ) -> None:
        # Asking for what does not exist is logged like a refusal: probing shows in the trail.
        decision = self.policy.decide(
            {**reader.attributes(), "action": "read", "resource.type": "case"}
        )
        entry = audit.entry(
            reader,
            AuditOperation.DENY,
            record_type,
            record_id,
            decision,
            person_id=None,
            case_id=None,
        )
        audit.write(session, [entry])


def relationships_to(session: Session, reader: Reader, case: CaseLike) -> frozenset[str]:
    """How `reader` stands to one case today, from its current memberships."""
    members = load_members(session, [case.id])
    return case_relationships(reader.actor, members.get(case.id, ()), _today(reader))


def _listing(
    session: Session, reader: Reader, cases: Sequence[MappaCase], today: date
) -> list[_Asked]:
    """Each case's record as a list decision needs it: its row and its current members."""
    actor = reader.actor
    members = load_members(session, [c.id for c in cases])
    return [
        _Asked(
            case_resource(c, actor, case_relationships(actor, members.get(c.id, ()), today)),
            c.owning_agency_id,
            c.id,
            c.person_id,
        )
        for c in cases
    ]


def _today(reader: Reader) -> date:
    now = reader.attributes()["now"]
    assert isinstance(now, datetime)
    return now.date()


def raise_invalid(field: str, problem: str) -> None:
    raise InvalidInput(field, problem)
