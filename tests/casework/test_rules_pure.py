"""The pure rule functions: dates in, dates out (R-06, R-07, R-08, R-32 to R-35, R-45, R-46)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.casework import notifications as n
from hub.casework.kinds import ReactiveEndReason
from hub.casework.reactive import Adverse, eligible_since, low_since, new_information
from hub.casework.reviews import (
    ReviewState,
    add_working_days,
    initial_meeting_deadline,
    next_review_limit,
    review_state,
)
from hub.casework.visits import check_override, default_visit_days
from hub.errors import InvalidInput
from hub.settings import Settings
from hub.vocabulary import NotificationEventType as T
from hub.vocabulary import RiskBand

D = date(2026, 3, 2)  # a Monday
LOW, MEDIUM, HIGH = RiskBand.LOW, RiskBand.MEDIUM, RiskBand.HIGH


def test_r07_next_review_limit_follows_the_configured_weeks_per_level() -> None:
    """R-07: next review <= last meeting + max_review_interval_weeks[level]."""
    settings = Settings(environment="test")
    assert next_review_limit(2, D, settings) == D + timedelta(weeks=16)
    assert next_review_limit(3, D, settings) == D + timedelta(weeks=8)
    custom = Settings.from_env(
        {"HUB_MAX_REVIEW_INTERVAL_WEEKS_L2": "12", "HUB_MAX_REVIEW_INTERVAL_WEEKS_L3": "4"}
    )
    assert next_review_limit(2, D, custom) == D + timedelta(weeks=12)
    assert next_review_limit(3, D, custom) == D + timedelta(weeks=4)
    with pytest.raises(InvalidInput, match="level"):
        next_review_limit(1, D, settings)


def test_r06_a_level_2_or_3_case_past_its_review_date_is_overdue() -> None:
    """R-06: OVERDUE once today is past next_review_due; level 1 has no MAPPA reviews."""
    assert review_state(2, D, D) is ReviewState.DUE_SOON
    assert review_state(2, D, D + timedelta(days=1)) is ReviewState.OVERDUE
    assert review_state(3, D + timedelta(days=60), D) is ReviewState.SCHEDULED
    assert review_state(3, None, D) is ReviewState.MISSING
    assert review_state(1, None, D) is ReviewState.NOT_REVIEWED


def test_r08_initial_meeting_deadline_counts_working_days_only() -> None:
    """R-08: 20 working days (configurable) from acceptance, weekends and holidays skipped."""
    settings = Settings(environment="test")
    assert initial_meeting_deadline(D, settings) == D + timedelta(weeks=4)  # Mon -> Mon
    friday = date(2026, 3, 6)
    assert add_working_days(friday, 1) == date(2026, 3, 9)
    assert add_working_days(friday, 1, frozenset({date(2026, 3, 9)})) == date(2026, 3, 10)
    five = Settings.from_env({"HUB_INITIAL_MEETING_DEADLINE_WORKING_DAYS": "5"})
    assert initial_meeting_deadline(D, five) == D + timedelta(days=7)


def test_a_bad_casework_setting_names_its_variable() -> None:
    from hub.errors import SettingsError

    with pytest.raises(SettingsError, match="HUB_VISIT_DAYS_HIGH"):
        Settings.from_env({"HUB_VISIT_DAYS_HIGH": "0"})
    with pytest.raises(SettingsError, match="HUB_ORDER_EXPIRY_WARNING_DAYS"):
        Settings.from_env({"HUB_ORDER_EXPIRY_WARNING_DAYS": "soon"})


@pytest.mark.parametrize(
    ("disposal", "months", "youth", "expected"),
    [
        (n.Disposal.LIFE_OR_IPP, None, False, None),
        (n.Disposal.CUSTODY, 30, False, None),
        (n.Disposal.HOSPITAL_WITH_RESTRICTION, None, True, None),
        (n.Disposal.CUSTODY, 29, False, 120),
        (n.Disposal.CUSTODY, 7, False, 120),
        (n.Disposal.CUSTODY, 6, False, 84),
        (n.Disposal.HOSPITAL_WITHOUT_RESTRICTION, None, False, 84),
        (n.Disposal.CAUTION, None, False, 24),
        (n.Disposal.CONDITIONAL_DISCHARGE, 18, False, 18),
        (n.Disposal.OTHER, None, False, 60),
        (n.Disposal.CUSTODY, 12, True, 60),
        (n.Disposal.CAUTION, None, True, 12),
        (n.Disposal.CONDITIONAL_DISCHARGE, 9, True, 5),
    ],
)
def test_r32_notification_period_from_the_disposal_halved_for_youth(
    disposal: n.Disposal, months: int | None, youth: bool, expected: int | None
) -> None:
    """R-32: the s.82 table; finite periods halved for under-18s, indefinite never."""
    period = n.notification_period(disposal, months=months, under_18=youth)
    assert period.months == expected


def test_r32_end_date_and_indefinite_review_eligibility() -> None:
    """R-32: a finite requirement ends; an indefinite one may be reviewed after 15 (8) years."""
    assert n.notification_end_date(D, n.Period(84)) == date(2033, 3, 2)
    assert n.notification_end_date(D, n.INDEFINITE) is None
    assert n.review_eligibility_date(D, under_18=False) == date(2041, 3, 2)
    assert n.review_eligibility_date(D, under_18=True) == date(2034, 3, 2)
    assert n.add_months(date(2024, 2, 29), 12) == date(2025, 2, 28)
    with pytest.raises(InvalidInput, match="length_months"):
        n.notification_period(n.Disposal.CUSTODY, months=None, under_18=False)


def test_r33_initial_and_change_notifications_due_in_3_days_excluding_custody() -> None:
    """R-33: within 3 days of the relevant date or release; custody/abroad days don't count."""
    assert n.initial_due(D) == D + timedelta(days=3)
    assert n.initial_due(D, released_on=D + timedelta(days=10)) == D + timedelta(days=13)
    away = [D + timedelta(days=1), D + timedelta(days=2)]
    assert n.change_due(D, away) == D + timedelta(days=5)


def test_r34_periodic_due_a_year_after_the_last_resetting_notification() -> None:
    """R-34: 2012-addition notifications (bank, passport, child household, travel) do not
    reset the annual date; a change of address does."""
    received = [
        n.Received(T.INITIAL, D),
        n.Received(T.BANK_CARD, D + timedelta(days=100)),
        n.Received(T.TRAVEL, D + timedelta(days=200)),
        n.Received(T.CHILD_HOUSEHOLD, D + timedelta(days=250)),
    ]
    assert n.next_periodic_due(D, received) == date(2027, 3, 2)
    moved = [*received, n.Received(T.CHANGE_ADDRESS, date(2026, 9, 1))]
    assert n.next_periodic_due(D, moved) == date(2027, 9, 1)


def test_r35_weekly_notification_every_7_days_and_missed_once_past_due() -> None:
    """R-35: WEEKLY_NFA every 7 days from the last one; not received after its day: MISSED."""
    assert n.next_weekly_due(D, []) == D + timedelta(days=7)
    done = [n.Received(T.WEEKLY_NFA, D + timedelta(days=6))]
    assert n.next_weekly_due(D, done) == D + timedelta(days=13)
    assert not n.missed(D, None, D)
    assert n.missed(D, None, D + timedelta(days=1))
    assert not n.missed(D, D, D + timedelta(days=1))


def test_r46_default_visit_frequency_from_risk_level_and_configuration() -> None:
    """R-46: VH 30, H 91, M 182, L 365 days by default; configurable; unknown risk: most often."""
    settings = Settings(environment="test")
    assert [default_visit_days(b, settings) for b in (RiskBand.VERY_HIGH, HIGH, MEDIUM, LOW)] == [
        30,
        91,
        182,
        365,
    ]
    assert default_visit_days(None, settings) == 30
    assert default_visit_days(LOW, Settings.from_env({"HUB_VISIT_DAYS_LOW": "300"})) == 300


def test_r46_an_override_needs_days_in_range_and_a_rationale() -> None:
    """R-46: an override is refused without a rationale, and every problem is named at once."""
    override, problems = check_override("", "")
    assert override is None
    assert [p.field for p in problems] == ["days", "rationale"]
    _, problems = check_override("0", "Works nights; visits by appointment")
    assert [p.field for p in problems] == ["days"]
    override, problems = check_override(" 60 ", "Works nights; visits by appointment")
    assert problems == []
    assert override is not None
    assert override.days == 60


def test_r45_eligible_after_3_years_continuously_low_with_nothing_adverse() -> None:
    """R-45: police risk LOW for >= 3 years; an adverse event restarts the clock."""
    history = [(date(2020, 1, 1), MEDIUM), (date(2021, 6, 1), LOW), (date(2023, 6, 1), LOW)]
    assert low_since(history) == date(2021, 6, 1)
    assert eligible_since(history, [], today=date(2024, 5, 31), years=3) is None
    assert eligible_since(history, [], today=date(2024, 6, 1), years=3) == date(2024, 6, 1)
    intel = [Adverse(date(2022, 1, 1), ReactiveEndReason.INTELLIGENCE)]
    assert eligible_since(history, intel, today=date(2024, 6, 1), years=3) is None
    assert eligible_since(history, intel, today=date(2025, 1, 1), years=3) == date(2025, 1, 1)
    raised = [*history, (date(2024, 1, 1), MEDIUM)]
    assert eligible_since(raised, [], today=date(2026, 1, 1), years=3) is None
    assert eligible_since(history, [], today=date(2024, 6, 1), years=4) is None


def test_r45_new_information_ends_it_first_event_wins() -> None:
    """R-45: a later concern, intelligence, breach, change or risk increase ends it."""
    started = date(2025, 1, 1)
    history = [(date(2021, 1, 1), LOW), (date(2025, 3, 1), HIGH)]
    before = [Adverse(date(2024, 12, 31), ReactiveEndReason.INTELLIGENCE)]
    assert new_information(started, [(date(2021, 1, 1), LOW)], before) is None
    found = new_information(started, history, [Adverse(date(2025, 2, 1), ReactiveEndReason.BREACH)])
    assert found == Adverse(date(2025, 2, 1), ReactiveEndReason.BREACH)
    assert new_information(started, history, []) == Adverse(
        date(2025, 3, 1), ReactiveEndReason.RISK_INCREASE
    )


def test_r35_after_a_missed_week_the_next_expected_is_the_current_week_not_a_backlog() -> None:
    """R-35: one lapse makes one breach candidate; the expectation moves to this week."""
    today = D + timedelta(days=30)
    assert n.next_expected_weekly(D, [], None, today) == D + timedelta(days=7)
    following = n.next_expected_weekly(D, [], D + timedelta(days=7), today)
    assert following >= today
    assert (following - D).days % 7 == 0
