"""The pure reminder planner (PRODUCT §6, issue 4): every policy rule on exact dates.

`plan(situation, now)` is called with hand-built situations. `timeline` plays the outbox's
"insert if new by key" over a run of days, so each row it returns is one delivery.
Dates that matter: Easter 2026 (Good Friday 3 Apr, Easter Monday 6 Apr), Christmas 2025 (25,
26 Dec bank holidays, 29–31 Dec council closure days, 1 Jan bank holiday), the early May bank
holiday (4 May 2026).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.calendar import make_calendar
from bot.measures import MeasureInfo
from bot.periods import Interval, Period
from bot.permissions import Absence
from bot.ragg import Rule
from bot.register import Format
from bot.reminders import (
    Kind,
    Pending,
    Plan,
    Policy,
    Reminder,
    Situation,
    deadline_words,
    distinct,
    plan,
)
from bot.workflow import State

LONDON = ZoneInfo("Europe/London")
CALENDAR = make_calendar(
    "ENG", [date(2025, 12, 29), date(2025, 12, 30), date(2025, 12, 31), date(2026, 12, 29)]
)
COLLECTOR = "collector@example.gov.uk"
COVER = "cover@example.gov.uk"
LEAVE_COVER = "leave.cover@example.gov.uk"
REVIEWER = "reviewer@example.gov.uk"
REVIEW_COVER = "review.cover@example.gov.uk"
HOS = "hos@example.gov.uk"
HOS_COVER = "hos.cover@example.gov.uk"
ADMIN = "admin@example.gov.uk"
ADMIN_2 = "admin2@example.gov.uk"

Q4 = Period.parse("2025-26 Q4")  # ended Tue 31 Mar 2026, just before Easter
MARCH = Period.parse("2026-03")


def measure(
    ref: str = "Q8",
    interval: Interval = Interval.QUARTERLY,
    lag: int = 8,
    *,
    collector: str | None = COLLECTOR,
    cover: str | None = None,
    reviewer: str | None = REVIEWER,
    hos: str | None = HOS,
) -> MeasureInfo:
    return MeasureInfo(
        ref=ref,
        title=f"Measure {ref}",
        priority="P",
        aim="P1",
        interval=interval,
        reporting_lag=lag,
        format=Format.NUMBER,
        decimals=0,
        rule=Rule(),
        collector=collector,
        cover=cover,
        reviewer=reviewer,
        head_of_service=hos,
    )


def situation(
    *measures: MeasureInfo,
    states: Mapping[tuple[str, str], State] | None = None,
    pending: Sequence[Pending] = (),
    absences: Mapping[str, list[Absence]] | None = None,
    admins: Sequence[str] = (ADMIN,),
    policy: Policy | None = None,
) -> Situation:
    return Situation(
        measures=list(measures or [measure()]),
        states=dict(states or {}),
        pending=list(pending),
        absences=dict(absences or {}),
        admins=list(admins),
        calendar=CALENDAR,
        zone=LONDON,
        policy=policy or Policy(overdue_every=0),  # nudges: their own tests below
    )


def at(day: date, hour: int = 9, minute: int = 5) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=LONDON)


def d(text: str) -> date:
    return date.fromisoformat(text)


def days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


Row = tuple[str, str, str | None, str | None, str]  # day, kind, ref, period, recipient
HOURLY = [time(hour, 30) for hour in range(24)]


def figures(reminder: Reminder) -> list[tuple[str | None, str | None]]:
    """(ref, period) of what a reminder is about: an escalation lists the Head of Service's
    figures (one message for them all), any other reminder is about one figure or none."""
    if reminder.figures:
        return [(ref, period) for ref, period, _ in reminder.figures]
    return [(reminder.ref, reminder.period.label if reminder.period else None)]


def rows(reminder: Reminder, day: date) -> list[Row]:
    kind = reminder.kind.value
    if reminder.kind is Kind.BEFORE:
        kind = f"before-{reminder.working_days_before}"
    return [
        (day.isoformat(), kind, ref, period, reminder.recipient)
        for ref, period in figures(reminder)
    ]


def timeline(
    facts: Situation, start: str, end: str, moments: Sequence[time] = (time(9, 5),)
) -> list[Row]:
    """What a bot ticking at `moments` every day (weekends and holidays included) would
    deliver: each key once, on the day it is first planned."""
    seen: set[str] = set()
    found: list[Row] = []
    for day in days(d(start), d(end)):
        for moment in moments:
            for reminder in plan(facts, datetime.combine(day, moment, tzinfo=LONDON)).reminders:
                if reminder.key not in seen:
                    seen.add(reminder.key)
                    found += rows(reminder, day)
    return found


def kinds(found: Plan) -> list[tuple[str, str | None, str]]:
    return [(r.kind.value, ref, r.recipient) for r in found.reminders for ref, _ in figures(r)]


# -- the collector's reminders, on exact dates -------------------------------------------------


def test_a_quarter_ending_before_easter_is_chased_around_the_bank_holidays() -> None:
    # 2025-26 Q4 ends Tue 31 Mar; 8 working days later, skipping Good Friday and Easter Monday,
    # is Tue 14 Apr. 5 working days before it is Tue 7 Apr, 1 before is Mon 13 Apr.
    assert CALENDAR.deadline(Q4, 8) == d("2026-04-14")
    assert timeline(situation(measure()), "2026-03-30", "2026-04-30") == [
        ("2026-04-07", "before-5", "Q8", "2025-26 Q4", COLLECTOR),
        ("2026-04-13", "before-1", "Q8", "2025-26 Q4", COLLECTOR),
        ("2026-04-14", "deadline_day", "Q8", "2025-26 Q4", COLLECTOR),
        ("2026-04-15", "digest", None, None, ADMIN),
        ("2026-04-15", "escalation", "Q8", "2025-26 Q4", HOS),
    ]


def test_a_ten_day_lag_moves_every_reminder_and_the_escalation() -> None:
    assert timeline(situation(measure("Q10", lag=10)), "2026-03-30", "2026-04-30") == [
        ("2026-04-09", "before-5", "Q10", "2025-26 Q4", COLLECTOR),
        ("2026-04-15", "before-1", "Q10", "2025-26 Q4", COLLECTOR),
        ("2026-04-16", "deadline_day", "Q10", "2025-26 Q4", COLLECTOR),
        ("2026-04-17", "digest", None, None, ADMIN),
        ("2026-04-17", "escalation", "Q10", "2025-26 Q4", HOS),
    ]


def test_a_reminder_that_would_fall_inside_the_period_is_never_sent() -> None:
    # Lag 5: the deadline is Thu 9 Apr and "5 working days before" would be Tue 31 Mar, the
    # last day of the period itself — too early to ask for its figure.
    assert CALENDAR.deadline(Q4, 5) == d("2026-04-09")
    assert CALENDAR.add_working_days(d("2026-04-09"), -5) == Q4.end
    assert timeline(situation(measure("Q5", lag=5)), "2026-03-23", "2026-04-17") == [
        ("2026-04-08", "before-1", "Q5", "2025-26 Q4", COLLECTOR),
        ("2026-04-09", "deadline_day", "Q5", "2025-26 Q4", COLLECTOR),
        ("2026-04-10", "digest", None, None, ADMIN),
        ("2026-04-10", "escalation", "Q5", "2025-26 Q4", HOS),
    ]


def test_christmas_bank_holidays_and_closure_days_are_skipped() -> None:
    # November 2025 with a 22-day lag: the deadline is Wed 7 Jan 2026, and 5 working days
    # before it is Tue 23 Dec (24 Dec counts; 25, 26 Dec, 29–31 Dec and 1 Jan do not).
    november = measure("NOV", Interval.MONTHLY, 22)
    december_quarter = measure("Q3")
    assert CALENDAR.deadline(Period.parse("2025-11"), 22) == d("2026-01-07")
    found = timeline(situation(november, december_quarter), "2025-12-15", "2026-01-20")
    assert found == [
        ("2025-12-23", "before-5", "NOV", "2025-11", COLLECTOR),
        ("2026-01-06", "before-1", "NOV", "2025-11", COLLECTOR),
        ("2026-01-06", "before-5", "Q3", "2025-26 Q3", COLLECTOR),
        ("2026-01-07", "deadline_day", "NOV", "2025-11", COLLECTOR),
        ("2026-01-08", "digest", None, None, ADMIN),
        ("2026-01-08", "escalation", "NOV", "2025-11", HOS),
        ("2026-01-12", "before-1", "Q3", "2025-26 Q3", COLLECTOR),
        ("2026-01-13", "deadline_day", "Q3", "2025-26 Q3", COLLECTOR),
        ("2026-01-14", "digest", None, None, ADMIN),
        ("2026-01-14", "escalation", "Q3", "2025-26 Q3", HOS),
    ]


def test_a_deadline_on_christmas_eve_is_escalated_after_the_closure_days() -> None:
    # November 2025 with an 18-day lag is due Wed 24 Dec; the first working day after it is
    # Fri 2 Jan 2026 (25, 26 Dec bank holidays, 29–31 Dec closed, 1 Jan bank holiday).
    facts = situation(measure("N18", Interval.MONTHLY, 18))
    assert timeline(facts, "2025-12-15", "2026-01-09", [time(9, 5), time(16)]) == [
        ("2025-12-17", "before-5", "N18", "2025-11", COLLECTOR),
        ("2025-12-23", "before-1", "N18", "2025-11", COLLECTOR),
        ("2025-12-24", "deadline_day", "N18", "2025-11", COLLECTOR),
        ("2026-01-02", "digest", None, None, ADMIN),
        ("2026-01-02", "escalation", "N18", "2025-11", HOS),
    ]
    # Still caught up on Mon 5 Jan (the next working day), not on Tue 6 Jan.
    assert kinds(plan(facts, at(d("2026-01-05")))) == [
        ("digest", None, ADMIN),
        ("escalation", "N18", HOS),
    ]
    assert plan(facts, at(d("2026-01-06"))).reminders == []


@pytest.mark.parametrize(
    "moment",
    [
        at(d("2026-04-03"), 10),  # Good Friday
        at(d("2026-04-06"), 10),  # Easter Monday
        at(d("2026-04-11"), 10),  # Saturday
        at(d("2026-04-12"), 10),  # Sunday
        at(d("2026-05-04"), 10),  # early May bank holiday
        at(d("2025-12-25"), 10),  # Christmas Day
        at(d("2025-12-30"), 10),  # council closure day
        at(d("2026-01-01"), 10),  # New Year's Day
    ],
)
def test_nothing_is_planned_on_a_day_that_is_not_a_working_day(moment: datetime) -> None:
    # Outstanding figures everywhere, several of them with a reminder in its window.
    facts = situation(
        measure("Q10", lag=10),
        measure("M8", Interval.MONTHLY),
        measure("NOV", Interval.MONTHLY, 22),
        measure("Q3"),
    )
    found = plan(facts, moment)
    assert found.reminders == [] and found.uncovered == [] and found.overdue == []


def test_the_day_after_a_weekend_of_downtime_sends_what_is_still_useful() -> None:
    # Q10's "5 working days before" was due Thu 9 Apr and stays useful until the
    # "1 working day before" moment (Wed 15 Apr 09:00).
    facts = situation(measure("Q10", lag=10))
    assert kinds(plan(facts, at(d("2026-04-11"), 12))) == []  # Saturday: nothing
    assert kinds(plan(facts, at(d("2026-04-13"), 9, 0))) == [("before", "Q10", COLLECTOR)]
    late = plan(facts, at(d("2026-04-14"), 17)).reminders
    assert [(r.key, r.due_at) for r in late] == [
        ("before-5|Q10|2025-26 Q4|" + COLLECTOR, at(d("2026-04-09"), 9, 0))
    ]


# -- catching up and dropping ------------------------------------------------------------------


def test_reminders_are_due_at_nine_local_time_and_caught_up_later_that_day() -> None:
    facts = situation(measure())
    assert plan(facts, at(d("2026-04-07"), 8, 59)).reminders == []
    for hour in (9, 13, 23):
        found = plan(facts, at(d("2026-04-07"), hour, 0)).reminders
        assert [r.key for r in found] == ["before-5|Q8|2025-26 Q4|" + COLLECTOR]
        assert found[0].due_at == datetime(2026, 4, 7, 9, 0, tzinfo=LONDON)
    # 09:00 in London is 08:00 UTC in April (BST): a UTC clock gives the same answer.
    utc = datetime(2026, 4, 7, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert [r.key for r in plan(facts, utc).reminders] == ["before-5|Q8|2025-26 Q4|" + COLLECTOR]
    assert plan(facts, utc - timedelta(seconds=1)).reminders == []


def test_five_days_before_is_dropped_once_the_next_reminder_is_due() -> None:
    facts = situation(measure())
    # Down from Tue 7 Apr until Mon 13 Apr: the 5-day reminder is useless now, so only
    # the 1-day one goes.
    found = plan(facts, at(d("2026-04-13"), 9, 0)).reminders
    assert [r.key for r in found] == ["before-1|Q8|2025-26 Q4|" + COLLECTOR]
    # ... but on Fri 10 Apr (still before the next moment) it is still sent.
    found = plan(facts, at(d("2026-04-10"), 16)).reminders
    assert [r.key for r in found] == ["before-5|Q8|2025-26 Q4|" + COLLECTOR]
    assert found[0].expires_at == datetime(2026, 4, 13, 9, 0, tzinfo=LONDON)


def test_the_deadline_day_reminder_lasts_until_midnight_and_then_escalation_takes_over() -> None:
    facts = situation(measure())
    late_evening = plan(facts, at(d("2026-04-14"), 23, 59)).reminders
    assert [r.key for r in late_evening] == ["deadline_day|Q8|2025-26 Q4|" + COLLECTOR]
    assert late_evening[0].expires_at == datetime(2026, 4, 15, 0, 0, tzinfo=LONDON)
    early = plan(facts, at(d("2026-04-15"), 8, 0))
    assert early.reminders == []  # not sent late, and not yet time to escalate
    # Every figure overdue, older quarters of the last year too (the digest lists them all).
    assert [(m.ref, p.label, dl) for m, p, dl in early.overdue] == [
        ("Q8", "2025-26 Q4", d("2026-04-14")),
        ("Q8", "2025-26 Q3", d("2026-01-13")),
        ("Q8", "2025-26 Q2", d("2025-10-10")),
        ("Q8", "2025-26 Q1", d("2025-07-10")),
    ]


def test_an_escalation_missed_on_its_day_is_caught_up_the_next_working_day_only() -> None:
    facts = situation(measure())
    next_day = plan(facts, at(d("2026-04-16"), 9, 5)).reminders
    assert [r.key for r in next_day] == [
        "digest|2026-04-15|" + ADMIN,
        "escalation|2026-04-15|" + HOS,  # the day it was due, so it goes once
    ]
    assert plan(facts, at(d("2026-04-17"), 9, 5)).reminders == []


def test_the_digest_goes_once_per_escalation_day_not_again_the_next_day() -> None:
    # Two measures with deadlines a day apart: a digest on each escalation day, none on the
    # day after the last one (when its escalation is still in its catch-up window).
    facts = situation(measure("Q8"), measure("Q9", lag=9), admins=(ADMIN, ADMIN_2))
    found = timeline(facts, "2026-04-14", "2026-04-24")
    assert [r for r in found if r[1] in ("digest", "escalation")] == [
        ("2026-04-15", "digest", None, None, ADMIN_2),  # sorted by e-mail
        ("2026-04-15", "digest", None, None, ADMIN),
        ("2026-04-15", "escalation", "Q8", "2025-26 Q4", HOS),
        ("2026-04-16", "digest", None, None, ADMIN_2),  # sorted by e-mail
        ("2026-04-16", "digest", None, None, ADMIN),
        ("2026-04-16", "escalation", "Q9", "2025-26 Q4", HOS),
    ]


def test_the_periods_in_play_and_many_ticks_give_each_reminder_one_key() -> None:
    facts = situation(measure("Q8"), measure("M8", Interval.MONTHLY))
    hourly = [time(hour, 30) for hour in range(24)]
    found = timeline(facts, "2026-04-01", "2026-06-30", hourly)
    assert len(found) == len(set(found))
    assert [r for r in found if r[2] == "M8" and r[1].startswith("before")] == [
        ("2026-04-07", "before-5", "M8", "2026-03", COLLECTOR),
        ("2026-04-13", "before-1", "M8", "2026-03", COLLECTOR),
        ("2026-05-06", "before-5", "M8", "2026-04", COLLECTOR),  # after the 4 May holiday
        ("2026-05-12", "before-1", "M8", "2026-04", COLLECTOR),
        ("2026-06-03", "before-5", "M8", "2026-05", COLLECTOR),
        ("2026-06-09", "before-1", "M8", "2026-05", COLLECTOR),
    ]


# -- only while the period is outstanding ------------------------------------------------------


@pytest.mark.parametrize("state", [State.SUBMITTED, State.APPROVED])
def test_nothing_is_sent_once_a_figure_is_submitted_or_approved(state: State) -> None:
    facts = situation(measure(), states={("Q8", Q4.label): state})
    assert timeline(facts, "2026-04-01", "2026-04-30") == []


@pytest.mark.parametrize("state", [State.REJECTED, State.REOPENED])
def test_a_rejected_or_reopened_figure_is_chased_again(state: State) -> None:
    facts = situation(measure(), states={("Q8", Q4.label): state})
    assert [r[1] for r in timeline(facts, "2026-04-01", "2026-04-30")] == [
        "before-5",
        "before-1",
        "deadline_day",
        "digest",
        "escalation",
    ]


def test_reminders_of_one_measure_do_not_depend_on_another() -> None:
    facts = situation(measure("Q8"), measure("Q9"), states={("Q9", Q4.label): State.APPROVED})
    found = plan(facts, at(d("2026-04-13")))
    assert kinds(found) == [("before", "Q8", COLLECTOR)]


# -- reviewers ---------------------------------------------------------------------------------


def pending(submitted: datetime, *, version: int = 1, by: str = COLLECTOR) -> Pending:
    return Pending("Q8", Q4, version, submitted, by)


def waiting_for_review(*waiting: Pending, **given: object) -> Situation:
    """Q8 2025-26 Q4 submitted and waiting: only review reminders can be due."""
    return situation(
        states={("Q8", Q4.label): State.SUBMITTED},
        pending=waiting,
        **given,  # type: ignore[arg-type]
    )


def review_days(facts: Situation, start: str, end: str) -> list[Row]:
    return [r for r in timeline(facts, start, end) if r[1] == "review"]


def test_the_reviewer_is_reminded_after_two_working_days_pending() -> None:
    waiting = pending(at(d("2026-04-13"), 16, 30))  # Monday afternoon
    facts = waiting_for_review(waiting)
    assert plan(facts, at(d("2026-04-14"), 17)).reminders == []
    assert plan(facts, at(d("2026-04-15"), 8, 59)).reminders == []
    found = plan(facts, at(d("2026-04-15"), 9, 0)).reminders
    assert [(r.key, r.version, r.deadline) for r in found] == [
        ("review-v1|Q8|2025-26 Q4|" + REVIEWER, 1, d("2026-04-14"))
    ]
    # Caught up the next working day, not after.
    assert review_days(facts, "2026-04-13", "2026-04-30") == [
        ("2026-04-15", "review", "Q8", "2025-26 Q4", REVIEWER)
    ]
    assert plan(facts, at(d("2026-04-16"), 23)).reminders[0].kind is Kind.REVIEW
    assert plan(facts, at(d("2026-04-17"), 9, 5)).reminders == []


def test_review_days_skip_easter() -> None:
    waiting = pending(at(d("2026-04-02"), 11))  # Thursday before Good Friday
    facts = waiting_for_review(waiting)
    assert review_days(facts, "2026-04-01", "2026-04-20") == [
        ("2026-04-08", "review", "Q8", "2025-26 Q4", REVIEWER)  # Tue 7 is day 1, Wed 8 day 2
    ]


def test_a_new_version_gets_its_own_review_reminder() -> None:
    first, second = pending(at(d("2026-04-07"), 10)), pending(at(d("2026-04-09"), 10), version=2)
    found = plan(waiting_for_review(first), at(d("2026-04-09"))).reminders
    assert [r.key for r in found] == ["review-v1|Q8|2025-26 Q4|" + REVIEWER]
    found = plan(waiting_for_review(second), at(d("2026-04-13"))).reminders
    assert [r.key for r in found] == ["review-v2|Q8|2025-26 Q4|" + REVIEWER]


def test_review_reminders_follow_the_reviewers_leave() -> None:
    waiting = pending(at(d("2026-04-13"), 10))
    covered = waiting_for_review(
        waiting, absences={REVIEWER: [Absence(d("2026-04-14"), d("2026-04-17"), REVIEW_COVER)]}
    )
    found = plan(covered, at(d("2026-04-15"))).reminders
    assert [(r.recipient, r.on_behalf_of) for r in found] == [(REVIEW_COVER, REVIEWER)]
    uncovered = waiting_for_review(
        waiting, absences={REVIEWER: [Absence(d("2026-04-14"), d("2026-04-17"))]}
    )
    found = plan(uncovered, at(d("2026-04-15"))).reminders
    assert [(r.recipient, r.on_behalf_of) for r in found] == [(HOS, None)]


def test_a_reviewer_who_submitted_the_figure_is_not_asked_to_review_it() -> None:
    waiting = pending(at(d("2026-04-13"), 10), by=REVIEWER)
    found = plan(waiting_for_review(waiting), at(d("2026-04-15"))).reminders
    assert [(r.kind, r.recipient) for r in found] == [(Kind.REVIEW, HOS)]


# -- leave and cover ---------------------------------------------------------------------------


def test_while_away_the_collectors_reminders_go_to_the_cover_named_for_the_leave() -> None:
    facts = situation(
        measure(cover=COVER),
        absences={COLLECTOR: [Absence(d("2026-04-10"), d("2026-04-13"), LEAVE_COVER)]},
    )
    found = plan(facts, at(d("2026-04-13"))).reminders
    assert [(r.key, r.on_behalf_of) for r in found] == [
        ("before-1|Q8|2025-26 Q4|" + LEAVE_COVER, COLLECTOR)
    ]
    # Back the next day: the deadline-day reminder is hers again.
    found = plan(facts, at(d("2026-04-14"))).reminders
    assert [(r.recipient, r.on_behalf_of) for r in found] == [(COLLECTOR, None)]
    assert found[0].deadline == d("2026-04-14")


def test_leave_without_a_named_cover_falls_back_to_the_measures_cover() -> None:
    facts = situation(
        measure(cover=COVER), absences={COLLECTOR: [Absence(d("2026-04-01"), d("2026-04-30"))]}
    )
    found = timeline(facts, "2026-04-01", "2026-04-14")
    assert found == [
        ("2026-04-07", "before-5", "Q8", "2025-26 Q4", COVER),
        ("2026-04-13", "before-1", "Q8", "2025-26 Q4", COVER),
        ("2026-04-14", "deadline_day", "Q8", "2025-26 Q4", COVER),
    ]


def test_someone_away_with_no_cover_is_listed_in_the_admins_digest_once_per_reminder() -> None:
    facts = situation(
        measure(cover=None), absences={COLLECTOR: [Absence(d("2026-04-01"), d("2026-04-30"))]}
    )
    found = plan(facts, at(d("2026-04-08"), 12))
    assert found.uncovered == [(COLLECTOR, "Q8", Q4)]  # the 5-day reminder, due yesterday
    assert [r.key for r in found.reminders] == ["digest|2026-04-07|" + ADMIN]
    assert timeline(facts, "2026-04-01", "2026-04-30") == [
        ("2026-04-07", "digest", None, None, ADMIN),  # for "5 working days before"
        ("2026-04-13", "digest", None, None, ADMIN),  # for "1 working day before"
        ("2026-04-14", "digest", None, None, ADMIN),  # for the deadline day
        ("2026-04-15", "digest", None, None, ADMIN),  # the missing-data digest
        ("2026-04-15", "escalation", "Q8", "2025-26 Q4", HOS),
    ]
    # Nothing more is listed once no reminder is being held back.
    assert plan(facts, at(d("2026-04-20"))).uncovered == []


def test_escalations_go_to_the_heads_cover_and_an_uncovered_head_is_in_the_digest() -> None:
    covered = situation(absences={HOS: [Absence(d("2026-04-13"), d("2026-04-17"), HOS_COVER)]})
    found = plan(covered, at(d("2026-04-15"))).reminders
    assert [(r.kind.value, r.recipient, r.on_behalf_of) for r in found] == [
        ("digest", ADMIN, None),
        ("escalation", HOS_COVER, HOS),
    ]
    away = situation(absences={HOS: [Absence(d("2026-04-13"), d("2026-04-17"))]})
    found_away = plan(away, at(d("2026-04-15")))
    assert kinds(found_away) == [("digest", None, ADMIN)]
    assert found_away.uncovered == [(HOS, "Q8", Q4)]


def test_a_reminder_caught_up_after_the_leave_goes_where_it_went_during_it() -> None:
    # Routing follows who was away on the day the reminder became due, so a reminder planned
    # again on a later day of its window keeps its recipient — and its key — and is not sent
    # a second time to the collector once she is back.
    facts = situation(absences={COLLECTOR: [Absence(d("2026-04-01"), d("2026-04-08"), COVER)]})
    during = plan(facts, at(d("2026-04-07"))).reminders
    after = plan(facts, at(d("2026-04-10"))).reminders
    assert [r.key for r in during] == [r.key for r in after] == ["before-5|Q8|2025-26 Q4|" + COVER]
    assert timeline(facts, "2026-04-01", "2026-04-14") == [
        ("2026-04-07", "before-5", "Q8", "2025-26 Q4", COVER),
        ("2026-04-13", "before-1", "Q8", "2025-26 Q4", COLLECTOR),
        ("2026-04-14", "deadline_day", "Q8", "2025-26 Q4", COLLECTOR),
    ]


def test_an_escalation_and_a_review_caught_up_keep_their_recipient() -> None:
    away_on_the_day = {
        HOS: [Absence(d("2026-04-15"), d("2026-04-15"), HOS_COVER)],
        REVIEWER: [Absence(d("2026-04-15"), d("2026-04-15"), REVIEW_COVER)],
    }
    escalation = situation(absences=away_on_the_day)
    assert [r.recipient for r in plan(escalation, at(d("2026-04-16"))).reminders] == [
        ADMIN,
        HOS_COVER,
    ]
    review = waiting_for_review(pending(at(d("2026-04-13"), 10)), absences=away_on_the_day)
    found = review_days(review, "2026-04-13", "2026-04-20")
    assert found == [("2026-04-15", "review", "Q8", "2025-26 Q4", REVIEW_COVER)]
    assert [r.recipient for r in plan(review, at(d("2026-04-16"))).reminders] == [REVIEW_COVER]


def test_leave_that_has_not_started_or_has_ended_changes_nothing() -> None:
    for absence in (
        Absence(d("2026-04-14"), d("2026-04-20"), COVER),
        Absence(d("2026-04-01"), d("2026-04-10"), COVER),
    ):
        facts = situation(absences={COLLECTOR: [absence]})
        found = plan(facts, at(d("2026-04-13"))).reminders
        assert [(r.recipient, r.on_behalf_of) for r in found] == [(COLLECTOR, None)]


# -- policy settings ---------------------------------------------------------------------------


def test_the_registers_policy_settings_are_honoured() -> None:
    policy = Policy(
        before=(3, 3, 0), deadline_day=False, at=time(10, 30), escalate=False, overdue_every=0
    )
    facts = situation(measure(), policy=policy)
    assert plan(facts, at(d("2026-04-09"), 10, 29)).reminders == []
    found = timeline(facts, "2026-04-01", "2026-04-30", [time(10, 30)])
    assert found == [("2026-04-09", "before-3", "Q8", "2025-26 Q4", COLLECTOR)]
    # With no deadline-day reminder, the last one lasts until the end of the deadline day.
    last = plan(facts, at(d("2026-04-14"), 22)).reminders
    assert [r.key for r in last] == ["before-3|Q8|2025-26 Q4|" + COLLECTOR]


def test_review_after_zero_turns_review_reminders_off() -> None:
    facts = waiting_for_review(pending(at(d("2026-04-07"), 10)), policy=Policy(review_after=0))
    assert timeline(facts, "2026-04-07", "2026-04-30") == []


# -- keys and JSON -----------------------------------------------------------------------------


def test_keys_are_unique_per_measure_period_kind_and_recipient() -> None:
    facts = situation(measure("Q8"), measure("M8", Interval.MONTHLY), admins=(ADMIN, ADMIN_2))
    found = plan(facts, at(d("2026-04-15"))).reminders
    assert sorted(r.key for r in found) == sorted(
        [
            "digest|2026-04-15|" + ADMIN,
            "digest|2026-04-15|" + ADMIN_2,
            "escalation|2026-04-15|" + HOS,  # one for both of the Head of Service's figures
        ]
    )
    [escalation] = [r for r in found if r.kind is Kind.ESCALATION]
    assert escalation.figures == (
        ("M8", "2026-03", d("2026-04-14")),
        ("Q8", "2025-26 Q4", d("2026-04-14")),
    )
    assert distinct(found + found) == found


def test_as_json_has_the_preview_keys() -> None:
    facts = situation(measure())
    before = plan(facts, at(d("2026-04-07"))).reminders[0]
    assert before.as_json() == {
        "kind": "before",
        "ref": "Q8",
        "period": "2025-26 Q4",
        "recipient": COLLECTOR,
        "deadline": "2026-04-14",
        "working_days_before": 5,
    }
    digest, escalation = plan(facts, at(d("2026-04-15"))).reminders
    assert digest.as_json() == {
        "kind": "digest",
        "ref": None,
        "period": None,
        "recipient": ADMIN,
        "deadline": None,
    }
    assert escalation.as_json() == {
        "kind": "escalation",
        "ref": None,
        "period": None,
        "recipient": HOS,
        "deadline": None,
        "figures": [{"ref": "Q8", "period": "2025-26 Q4", "deadline": "2026-04-14"}],
    }
    assert escalation.payload == {"figures": [["Q8", "2025-26 Q4", "2026-04-14"]]}


def test_one_escalation_per_head_of_service_per_day_listing_their_figures() -> None:
    """Issue 13: a Head of Service hears once a day about every figure of theirs that fell
    overdue, not once per measure; another Head of Service gets their own message."""
    other = "hos.other@example.gov.uk"
    facts = situation(
        measure("Q8"),
        measure("M8", Interval.MONTHLY),
        measure("Q9", lag=9),
        measure("X8", hos=other),
    )
    found = [
        (day, ref, to)
        for day, kind, ref, _, to in timeline(facts, "2026-04-14", "2026-04-24", HOURLY)
        if kind == "escalation"
    ]
    assert found == [  # by recipient within a moment
        ("2026-04-15", "X8", other),
        ("2026-04-15", "M8", HOS),
        ("2026-04-15", "Q8", HOS),
        ("2026-04-16", "Q9", HOS),
    ]
    messages = [
        r for r in plan(facts, at(d("2026-04-15"), 12)).reminders if r.kind is Kind.ESCALATION
    ]
    assert [(r.recipient, len(r.figures)) for r in messages] == [(other, 1), (HOS, 2)]
    # Ticking every hour of two weeks gives each Head of Service one key per escalation day.
    keys = {
        r.key
        for day in days(d("2026-04-14"), d("2026-04-24"))
        for moment in HOURLY
        for r in plan(facts, datetime.combine(day, moment, tzinfo=LONDON)).reminders
        if r.kind is Kind.ESCALATION
    }
    assert keys == {
        f"escalation|2026-04-15|{HOS}",
        f"escalation|2026-04-15|{other}",
        f"escalation|2026-04-16|{HOS}",
    }


# -- the deadline in words ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("deadline", "today", "words"),
    [
        ("2025-07-10", "2025-07-07", "in 3 working days — Thu 10 Jul"),
        ("2025-07-10", "2025-07-09", "in 1 working day — Thu 10 Jul"),
        ("2025-07-10", "2025-07-10", "today — Thu 10 Jul"),
        ("2025-07-14", "2025-07-11", "in 1 working day — Mon 14 Jul"),  # over a weekend
        ("2026-04-07", "2026-04-02", "in 1 working day — Tue 07 Apr"),  # over Easter
        ("2026-01-06", "2025-12-23", "in 4 working days — Tue 06 Jan"),  # over Christmas
        ("2026-04-14", "2026-04-15", "1 working day ago — Tue 14 Apr"),
        ("2026-04-14", "2026-04-20", "4 working days ago — Tue 14 Apr"),
    ],
)
def test_deadline_in_words(deadline: str, today: str, words: str) -> None:
    assert deadline_words(d(deadline), d(today), CALENDAR) == words


# -- overdue nudges (issue 13) -----------------------------------------------------------------


def test_an_overdue_figure_is_nudged_every_two_working_days_until_the_board_date() -> None:
    # Deadline Tue 14 Apr; Board date of 2025-26 Q4 is Tue 21 Apr (31 Mar + 3 weeks). Nudge
    # days count back from the Board date: Tue 21, Fri 17, Wed 15 Apr.
    found = timeline(situation(measure(), policy=Policy()), "2026-04-14", "2026-05-31")
    assert [r for r in found if r[1] == "overdue"] == [
        ("2026-04-15", "overdue", "Q8", "2025-26 Q4", COLLECTOR),
        ("2026-04-17", "overdue", "Q8", "2025-26 Q4", COLLECTOR),
        ("2026-04-21", "overdue", "Q8", "2025-26 Q4", COLLECTOR),
    ]
    keys = [
        r.key
        for day in ("2026-04-15", "2026-04-17")
        for r in plan(situation(measure(), policy=Policy()), at(d(day))).reminders
        if r.kind is Kind.OVERDUE
    ]
    assert keys == [f"overdue-1|Q8|2025-26 Q4|{COLLECTOR}", f"overdue-3|Q8|2025-26 Q4|{COLLECTOR}"]


def test_one_collectors_figures_with_different_deadlines_are_nudged_on_the_same_days() -> None:
    """Seen walking the sandbox: figures due Tue 7 Jul and Fri 10 Jul were each nudged every 2
    working days from their own deadline, so their collector heard every working day."""
    early = measure("E1", lag=5)  # 2026-27 Q1: due Tue 07 Jul
    late = measure("L1", lag=8)  # due Fri 10 Jul
    found = timeline(situation(early, late, policy=Policy()), "2026-07-01", "2026-08-31")
    days = {ref: [r[0] for r in found if r[1] == "overdue" and r[2] == ref] for ref in ("E1", "L1")}
    # 2026-27 Q1's Board date is Tue 21 Jul; every 2 working days back from it.
    assert days["E1"] == ["2026-07-09", "2026-07-13", "2026-07-15", "2026-07-17", "2026-07-21"]
    assert days["L1"] == ["2026-07-13", "2026-07-15", "2026-07-17", "2026-07-21"]


def test_nudges_follow_the_registers_setting_and_stop_once_submitted() -> None:
    every_day = situation(measure(), policy=Policy(overdue_every=1))
    nudges = [r for r in timeline(every_day, "2026-04-14", "2026-05-31") if r[1] == "overdue"]
    assert [r[0] for r in nudges] == [
        "2026-04-15",
        "2026-04-16",
        "2026-04-17",
        "2026-04-20",
        "2026-04-21",
    ]
    submitted = situation(
        measure(), states={("Q8", "2025-26 Q4"): State.SUBMITTED}, policy=Policy(overdue_every=1)
    )
    assert [r for r in timeline(submitted, "2026-04-14", "2026-05-31") if r[1] == "overdue"] == []
    rejected = situation(
        measure(), states={("Q8", "2025-26 Q4"): State.REJECTED}, policy=Policy(overdue_every=1)
    )
    assert (
        len([r for r in timeline(rejected, "2026-04-14", "2026-05-31") if r[1] == "overdue"]) == 5
    )


def test_a_monthly_figure_is_nudged_until_its_quarters_board_date() -> None:
    # April 2026: deadline Wed 13 May (8 working days, the early May bank holiday skipped);
    # every 10 working days (the spring bank holiday skipped), counted back from 2026-27 Q1's
    # Board date, Tue 21 Jul, which is the last.
    monthly = measure("M1", Interval.MONTHLY)
    found = timeline(
        situation(monthly, policy=Policy(overdue_every=10)), "2026-05-01", "2026-08-31"
    )
    april = [r[0] for r in found if r[1] == "overdue" and r[3] == "2026-04"]
    assert april == ["2026-05-26", "2026-06-09", "2026-06-23", "2026-07-07", "2026-07-21"]


def test_a_nudge_goes_to_the_cover_while_the_collector_is_away() -> None:
    away = {COLLECTOR: [Absence(d("2026-04-15"), d("2026-04-17"), COVER)]}
    facts = situation(measure(), absences=away, policy=Policy())
    [nudge] = [r for r in plan(facts, at(d("2026-04-16"))).reminders if r.kind is Kind.OVERDUE]
    assert (nudge.recipient, nudge.on_behalf_of) == (COVER, COLLECTOR)
