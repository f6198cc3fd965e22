"""The meeting pages through Flask's test client: the GOV.UK error summary, stale edits,
404 for what a reader may not see (R-11), MAPPA D before minutes, the PDF's DISCLOSE entry
and the dashboard's "Overdue actions" panel."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.demo.agencies import DemoOrganisation
from hub.meetings.models import Meeting, MeetingCaseItem, MinutesStatus
from hub.models import MappaCase
from hub.services.cases import add_member
from tests.accounts.conftest import Clock, audit_since, csrf_from, last_seq
from tests.helpers import TODAY, audit_documents, new_case
from tests.meetings.conftest import full_minutes
from tests.web.conftest import choose, signed_in

MISSING = "00000000-0000-4000-8000-000000000000"


def _date(name: str, day: object) -> dict[str, str]:
    return {
        f"{name}-day": str(day.day),
        f"{name}-month": str(day.month),
        f"{name}-year": str(day.year),
    }  # type: ignore[attr-defined]


def _post(client: FlaskClient, path: str, data: dict[str, str], page_path: str) -> object:
    page = client.get(page_path).get_data(as_text=True)
    return client.post(path, data={**data, "csrf_token": csrf_from(page)})


def _schedule(client: FlaskClient) -> str:
    choose(client, "MAPPA_MEETING", "/meetings/new")
    made = _post(
        client,
        "/meetings/new",
        {"level": "2", "type": "REVIEW", **_date("scheduled_for", TODAY)},
        "/meetings/new",
    )
    assert made.status_code == 303  # type: ignore[attr-defined]
    return str(made.headers["Location"])  # type: ignore[attr-defined]


def _item_path(session: Session, meeting_path: str, case: MappaCase) -> tuple[str, MeetingCaseItem]:
    meeting_id = uuid.UUID(meeting_path.rsplit("/", 1)[1])
    item = session.scalars(
        select(MeetingCaseItem).where(
            MeetingCaseItem.case_id == case.id, MeetingCaseItem.meeting_id == meeting_id
        )
    ).one()
    return f"{meeting_path}/cases/{item.id}", item


def _minutes_form(org: DemoOrganisation, version: int, **changes: str) -> dict[str, str]:
    values = {k: str(v) for k, v in full_minutes(org).items() if k != "next_review_date"}
    values.update(_date("next_review_date", TODAY + timedelta(weeks=12)))
    values.update(version=str(version), **changes)
    return values


def _held(client: FlaskClient, session: Session, org: DemoOrganisation, case: MappaCase):  # type: ignore[no-untyped-def]
    meeting_path = _schedule(client)
    page = client.get(meeting_path).get_data(as_text=True)
    assert f'data-case-id="{case.id}"' in page
    assert "Review overdue" in page or "Review due" in page
    path, item = _item_path(session, meeting_path, case)
    before = client.get(path).get_data(as_text=True)
    assert "You must acknowledge the confidentiality statement" in before  # MAPPA D first
    assert 'id="minutes"' not in before
    assert _post(client, f"{meeting_path}/acknowledge", {}, meeting_path).status_code == 303  # type: ignore[attr-defined]
    meeting = session.scalars(select(Meeting).where(Meeting.id == item.meeting_id)).one()
    opened = _post(client, f"{meeting_path}/open", {"version": str(meeting.version)}, meeting_path)
    assert opened.status_code == 303  # type: ignore[attr-defined]
    return meeting_path, path, item


def test_a_chair_holds_a_meeting_and_approves_minutes_r09_r24(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY - timedelta(days=3))
    client = signed_in(app, keys, clock, "chair.l2")
    _, path, item = _held(client, session, org, case)
    page = client.get(path).get_data(as_text=True)
    assert 'id="minutes"' in page
    # Missing sections: the error summary links each field, keeps what was typed, saves nothing.
    refused = _post(
        client,
        path,
        {
            "version": str(item.version),
            "action": "approve",
            "victims": "Typed but not saved",
            "category": "2",
        },
        path,
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    body = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "govuk-error-summary" in body
    for anchor in ("#children", "#rmp_supervision", "#next_review_date-day", "#add-disclosure"):
        assert f'href="{anchor}"' in body
    assert "Typed but not saved" in body
    session.refresh(item)
    assert item.sections == {}
    # A disclosure decision and an action, then approval.
    decision = _post(
        client,
        f"{path}/disclosures",
        {"decision": "DO_NOT_DISCLOSE", "route": "MAPPA_RMP", "reason": ""},
        path,
    )
    assert decision.status_code == 400  # type: ignore[attr-defined]
    assert "R-24" in decision.get_data(as_text=True)  # type: ignore[attr-defined]
    _post(
        client,
        f"{path}/disclosures",
        {
            "decision": "DO_NOT_DISCLOSE",
            "route": "MAPPA_RMP",
            "reason": "No third party at risk identified.",
        },
        path,
    )
    added = _post(
        client,
        f"{path}/actions",
        {
            "action_description": "Joint home visit",
            "action_owner_agency": str(org.agencies["DEMO-POL"].id),
            "action_owner_name": "MOSOVO Officer",
            **_date("action_due_date", TODAY + timedelta(days=7)),
        },
        path,
    )
    assert added.status_code == 303  # type: ignore[attr-defined]
    session.refresh(item)
    approved = _post(client, path, _minutes_form(org, item.version, action="approve"), path)
    assert approved.status_code == 303, approved.get_data(as_text=True)  # type: ignore[attr-defined]
    session.refresh(item)
    session.refresh(case)
    assert item.status is MinutesStatus.CHAIR_APPROVED
    assert case.next_review_due == TODAY + timedelta(weeks=12)
    assert "Approved by the chair" in client.get(path).get_data(as_text=True)


def test_a_stale_save_is_refused_with_a_clear_message_and_nothing_overwritten(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    client = signed_in(app, keys, clock, "chair.l2")
    _, path, item = _held(client, session, org, case)
    opened = item.version
    first = _post(client, path, _minutes_form(org, opened, action="save"), path)
    assert first.status_code == 303  # type: ignore[attr-defined]
    stale = _post(
        client,
        path,
        _minutes_form(org, opened, action="save", victims="Someone else's words"),
        path,
    )
    assert stale.status_code == 409  # type: ignore[attr-defined]
    body = stale.get_data(as_text=True)  # type: ignore[attr-defined]
    assert "Someone else saved this record after you opened it" in body
    assert "Someone else&#39;s words" in body  # what they typed is still on the page
    session.refresh(item)
    assert item.sections["victims"].startswith("A former partner")


def test_minutes_of_a_hidden_case_are_the_same_404_as_missing_ones_and_r11_limits_the_list(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    chair = signed_in(app, keys, clock, "chair.l2")
    meeting_path, path, _ = _held(chair, session, org, case)
    clock.advance(seconds=31)
    volunteer = signed_in(app, keys, clock, "cosa.volunteer")
    choose(volunteer, "COSA_SUPPORT", "/meetings")
    hidden = volunteer.get(path)
    missing = volunteer.get(f"{meeting_path}/cases/{MISSING}")
    garbled = volunteer.get(f"{meeting_path}/cases/nonsense")
    assert hidden.status_code == missing.status_code == garbled.status_code == 404
    assert hidden.get_data() == missing.get_data() == garbled.get_data()
    assert volunteer.get(meeting_path).get_data() == hidden.get_data()
    # R-11: police may now see the case, but were not on this meeting's list.
    add_member(
        session, org.actor("coordinator"), case.id, org.agencies["DEMO-POL"].id, "CASE_MANAGER"
    )
    clock.advance(seconds=31)
    police_chair = signed_in(app, keys, clock, "chair.l3")
    choose(police_chair, "MAPPA_MEETING", f"/cases/{case.id}")
    assert police_chair.get(f"/cases/{case.id}").status_code == 200
    before = last_seq(session)
    assert police_chair.get(path).status_code == 404
    denied = [e for e in audit_since(session, before) if e["operation"] == "DENY"]
    assert any(e["outcome"] == "R-11" for e in denied)


def test_the_minutes_pdf_is_for_the_list_with_a_justification_and_audited_as_disclose(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    client = signed_in(app, keys, clock, "chair.l2")
    _, path, item = _held(client, session, org, case)
    _post(client, path, _minutes_form(org, item.version, action="save", no_actions="yes"), path)
    _post(
        client,
        f"{path}/disclosures",
        {
            "decision": "DO_NOT_DISCLOSE",
            "route": "MAPPA_RMP",
            "reason": "Nobody at risk identified.",
        },
        path,
    )
    session.refresh(item)
    assert (
        _post(
            client, path, _minutes_form(org, item.version, action="approve", no_actions="yes"), path
        ).status_code
        == 303
    )  # type: ignore[attr-defined]
    short = _post(client, f"{path}/minutes.pdf", {"justification": "need it"}, path)
    assert short.status_code == 400  # type: ignore[attr-defined]
    assert 'href="#justification"' in short.get_data(as_text=True)  # type: ignore[attr-defined]
    before = last_seq(session)
    pdf = _post(
        client,
        f"{path}/minutes.pdf",
        {"justification": "Copy for the probation case file, restricted section."},
        path,
    )
    assert pdf.status_code == 200, re.findall(
        r"error-message.*?</p>", pdf.get_data(as_text=True), re.S
    )  # type: ignore[attr-defined]
    assert pdf.mimetype == "application/pdf"  # type: ignore[attr-defined]
    assert pdf.get_data().startswith(b"%PDF")  # type: ignore[attr-defined]
    disclosed = [e for e in audit_since(session, before) if e["operation"] == "DISCLOSE"]
    assert len(disclosed) == 1
    assert str(org.staff["chair.l2"].id) in disclosed[0]["recipients"]
    assert disclosed[0]["justification"].startswith("Copy for the probation")


def test_overdue_actions_are_escalated_on_the_dashboard(
    app: Flask,
    session: Session,
    org: DemoOrganisation,
    keys: dict[str, str],
    clock: Clock,
) -> None:
    case = new_case(session, org, category=2, level=2, next_review_due=TODAY)
    client = signed_in(app, keys, clock, "chair.l2")
    _, path, _ = _held(client, session, org, case)
    _post(
        client,
        f"{path}/actions",
        {
            "action_description": "Check the address",
            "action_owner_agency": str(org.agencies["DEMO-POL"].id),
            "action_owner_name": "MOSOVO Officer",
            **_date("action_due_date", TODAY + timedelta(days=1)),
        },
        path,
    )
    assert "Overdue actions" in client.get("/dashboard").get_data(as_text=True)
    assert "Check the address" not in client.get("/dashboard").get_data(as_text=True)
    clock.advance(days=3)  # the session has long expired: sign in again, as the chair would
    again = signed_in(app, keys, clock, "chair.l2")
    choose(again, "MAPPA_MEETING", "/dashboard")
    shown = again.get("/dashboard")
    board = shown.get_data(as_text=True)
    assert shown.status_code == 200, (shown.status_code, shown.headers.get("Location"))
    panel = re.search(r'id="panel-overdue-actions".*?</section>', board, re.DOTALL)
    assert panel is not None, board[board.find("<main") :][:3000]
    assert f"Case {case.id.hex[:8].upper()}" in panel.group(0)
    assert "Overdue" in panel.group(0)


def test_r10_r08_a_referral_page_names_missing_sections_and_the_coordinator_screens_it(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    from hub.meetings.models import Referral
    from hub.meetings.referrals import REQUIRED_SECTIONS

    case = new_case(session, org, category=2, level=1)
    referrer = signed_in(app, keys, clock, "offender.manager")
    form_path = f"/cases/{case.id}/referral"
    choose(referrer, "RISK_MANAGEMENT", form_path)
    refused = _post(
        referrer,
        form_path,
        {"level_requested": "2", "sections-category": "Category 2", "action": "submit"},
        form_path,
    )
    assert refused.status_code == 400  # type: ignore[attr-defined]
    body = refused.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'href="#sections-victims"' in body
    assert ">Category 2</textarea>" in body  # kept
    assert session.scalars(select(Referral).where(Referral.case_id == case.id)).first() is None
    sections = {f"sections-{n}": f"The {n} section." for n in REQUIRED_SECTIONS}
    made = _post(
        referrer, form_path, {"level_requested": "2", "action": "submit", **sections}, form_path
    )
    assert made.status_code == 303  # type: ignore[attr-defined]
    referral_path = made.headers["Location"]  # type: ignore[attr-defined]
    clock.advance(seconds=31)
    coordinator = signed_in(app, keys, clock, "coordinator")
    choose(coordinator, "MAPPA_MEETING", referral_path)
    referral = session.scalars(select(Referral).where(Referral.case_id == case.id)).one()
    no_reason = _post(
        coordinator,
        referral_path,
        {"outcome": "RETURN_INCOMPLETE", "reason": "", "version": str(referral.version)},
        referral_path,
    )
    assert no_reason.status_code == 400  # type: ignore[attr-defined]
    assert "R-10" in no_reason.get_data(as_text=True)  # type: ignore[attr-defined]
    accepted = _post(
        coordinator,
        referral_path,
        {"outcome": "ACCEPT", "reason": "", "version": str(referral.version)},
        referral_path,
    )
    assert accepted.status_code == 303  # type: ignore[attr-defined]
    page = coordinator.get(referral_path).get_data(as_text=True)
    assert "Initial meeting due by" in page
    hidden = signed_in(app, keys, clock.advance(seconds=31) and clock, "cosa.volunteer")
    choose(hidden, "COSA_SUPPORT", "/meetings")
    assert hidden.get(referral_path).status_code == 404


def test_r27_r26_an_urgent_disclosure_page_and_completing_it(
    app: Flask, session: Session, org: DemoOrganisation, keys: dict[str, str], clock: Clock
) -> None:
    from hub.meetings.models import DisclosureDecision

    case = new_case(session, org, category=1, level=2, next_review_due=TODAY)
    client = signed_in(app, keys, clock, "offender.manager")
    path = f"/cases/{case.id}/urgent-disclosure"
    choose(client, "RISK_MANAGEMENT", path)
    refused = _post(client, path, {"route": "MAPPA_RMP", "urgent_reason": "soon"}, path)
    assert refused.status_code in (400, 403)  # type: ignore[attr-defined]
    assert (
        session.scalars(
            select(DisclosureDecision).where(DisclosureDecision.case_id == case.id)
        ).first()
        is None
    )
    made = _post(
        client,
        path,
        {"route": "CJA_327A", "urgent_reason": "Contact with a child is planned for tomorrow."},
        path,
    )
    assert made.status_code == 303, made.get_data(as_text=True)  # type: ignore[attr-defined]
    decision_path = made.headers["Location"]  # type: ignore[attr-defined]
    decision = session.scalars(
        select(DisclosureDecision).where(DisclosureDecision.case_id == case.id)
    ).one()
    assert decision.urgent
    incomplete = _post(
        client,
        decision_path,
        {
            "version": str(decision.version),
            "recipient": "The child's mother",
            "justification": "Recording the urgent disclosure made today.",
        },
        decision_path,
    )
    assert incomplete.status_code == 400  # type: ignore[attr-defined]
    body = incomplete.get_data(as_text=True)  # type: ignore[attr-defined]
    assert 'href="#discloser"' in body
    assert 'href="#undertaking_signed_on-day"' in body
    assert "The child&#39;s mother" in body  # kept
    done = _post(
        client,
        decision_path,
        {
            "version": str(decision.version),
            "recipient": "The child's mother",
            "discloser": "Police and probation jointly",
            "method": "In person",
            **_date("disclosed_on", TODAY),
            **_date("undertaking_signed_on", TODAY),
            "offender_informed": "yes",
            "justification": "Recording the urgent disclosure made today.",
        },
        decision_path,
    )
    assert done.status_code == 303  # type: ignore[attr-defined]
    session.refresh(decision)
    assert decision.completed_at is not None
    disclosed = audit_documents(session, record_type="disclosure_decision", operation="ALTER")
    assert disclosed[-1]["purpose"] == "DISCLOSURE_DECISION"
