"""Leave and cover (PRODUCT §6, seed 002 §10.6: "notify their Manager if unavailable").

While someone is away their reminders and review requests go to their cover, who may submit
or decide for them (PRODUCT §5). Someone away with no cover is listed in the admins' digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot import outbox
from bot.calendar import WorkingCalendar
from bot.permissions import cover_conflicts
from bot.reminders import Kind
from storage import audit, outbox_store, queries
from storage.engine import read_session, write_session
from storage.models import Leave, Person

# Notices to the cover (an outbox row each, sent once): when leave is booked, on its first
# working day, and when it is cancelled.
BOOKED = "leave_booked"
STARTS = "leave_starts"
CANCELLED = "leave_cancelled"
LEAVE_NOTICES = (BOOKED, STARTS, CANCELLED)

_MONTHS = {
    name: number
    for number, name in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1
    )
}
DATE_HINT = "Write dates like 2026-07-14, 14/07/2026 or 14 Jul."


class LeaveProblem(ValueError):
    """Something about the leave request the officer can fix; the message says what."""


def parse_day(text: str, today: date) -> date:
    """'2026-07-14', '14/07/2026', '14/7', '14 Jul', '14 July 2026', 'today', 'tomorrow'."""
    raw = text.strip().lower().rstrip(".,")
    if raw == "today":
        return today
    if raw == "tomorrow":
        return today + timedelta(days=1)
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    match = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?", raw)
    if match:
        day_, month, year = int(match.group(1)), int(match.group(2)), match.group(3)
        return _build(day_, month, year, today, text)
    match = re.fullmatch(r"(\d{1,2})(?:st|nd|rd|th)?\s+([a-z]+)(?:\s+(\d{4}))?", raw)
    if match and match.group(2)[:3] in _MONTHS:
        return _build(int(match.group(1)), _MONTHS[match.group(2)[:3]], match.group(3), today, text)
    raise LeaveProblem(f"'{text}' is not a date. {DATE_HINT}")


def _build(day_: int, month: int, year: str | None, today: date, text: str) -> date:
    century = 2000 if year is not None and len(year) == 2 else 0
    candidate_year = today.year if year is None else int(year) + century
    try:
        found = date(candidate_year, month, day_)
    except ValueError:
        raise LeaveProblem(f"'{text}' is not a date. {DATE_HINT}") from None
    if year is None and found < today - timedelta(days=31):
        found = found.replace(year=found.year + 1)  # "14 Jan" in December means next January
    return found


@dataclass(frozen=True)
class NotCovered:
    """A measure the away reviewer's cover may not review for them, and who reviews instead."""

    ref: str
    why: str  # "collect" or "cover the collection of"
    instead: str | None  # the Head of Service's name, when they may


@dataclass(frozen=True)
class Away:
    person: str
    starts: date
    ends: date
    cover: str | None
    id: int = 0
    person_name: str = ""
    cover_name: str | None = None
    cancelled: bool = False
    not_covered: tuple[NotCovered, ...] = ()


def cover_notice(
    notice: str, leave_id: int, cover: str, due: datetime, *, now: datetime
) -> outbox.Item:
    """A message to the cover about one leave (booked, starting, cancelled): one row per
    (notice, leave, cover), so it goes exactly once."""
    return outbox.Item(
        Kind.NOTICE,
        f"notice|{notice}|leave-{leave_id}|{cover}",
        cover,
        due,
        payload={"notice": notice, "leave": leave_id},
        urgent=due <= now,
        expires_at=None,
    )


def start_notice_time(
    starts: date, ends: date, calendar: WorkingCalendar, at: time, now: datetime
) -> datetime | None:
    """When to tell the cover that the leave has started: the reminder time on its first
    working day (its first day, if it has none); None when it starts today or has started
    (the booking notice says so)."""
    if starts <= now.date():
        return None
    day = starts
    while day <= ends and not calendar.is_working_day(day):
        day += timedelta(days=1)
    return datetime.combine(day if day <= ends else starts, at, tzinfo=now.tzinfo)


def set_away(
    engine: Engine,
    *,
    email: str,
    starts: date,
    ends: date,
    cover: str | None,
    now: datetime,
    calendar: WorkingCalendar | None = None,
    at: time = time(9, 0),
) -> Away:
    """Record leave from `starts` to `ends` inclusive, with an optional cover, who is told
    now and again when the leave starts (outbox rows, in the same transaction)."""
    today = now.date()
    if ends < starts:
        raise LeaveProblem(
            f"The leave ends ({ends:%a %d %b %Y}) before it starts ({starts:%a %d %b %Y})."
        )
    if ends < today:
        raise LeaveProblem(f"That leave is over already (it ended {ends:%a %d %b %Y}).")
    if (ends - starts).days > 366:
        raise LeaveProblem(
            "Leave longer than a year cannot be recorded here; ask the "
            "Performance & Policy Officer to change the register instead."
        )
    with write_session(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        cover_person = None
        if cover is not None:
            cover_person = session.exec(select(Person).where(Person.email == cover)).first()
            if cover_person is None:
                raise LeaveProblem(
                    f"{cover} is not in the council's register, so they cannot "
                    "cover. Choose someone who is."
                )
            if cover_person.id == person.id:
                raise LeaveProblem("You cannot cover for yourself; choose a colleague.")
        not_covered = _not_covered(session, email, cover) if cover else ()
        assert person.id is not None
        leave = Leave(
            person_id=person.id,
            starts=starts,
            ends=ends,
            cover_id=cover_person.id if cover_person else None,
            created_at=now,
        )
        session.add(leave)
        session.flush()
        assert leave.id is not None
        audit.record(
            session,
            actor=email,
            action="leave.create",
            entity="leave",
            entity_key=email,
            at=now,
            after={
                "starts": starts,
                "ends": ends,
                "cover": cover,
                **({"not_covering": [n.ref for n in not_covered]} if not_covered else {}),
            },
        )
        if cover is not None:
            wanted = [cover_notice(BOOKED, leave.id, cover, now, now=now)]
            later = start_notice_time(starts, ends, calendar or WorkingCalendar(), at, now)
            if later is not None:
                wanted.append(cover_notice(STARTS, leave.id, cover, later, now=now))
            outbox_store.enqueue(session, wanted, now)
        leave_id = leave.id
    if cover is not None:
        outbox.committed(engine)
    return Away(email, starts, ends, cover, leave_id, not_covered=not_covered)


def _away(session: Session, leave: Leave) -> Away:
    person = session.get(Person, leave.person_id)
    cover = session.get(Person, leave.cover_id) if leave.cover_id else None
    assert person is not None and leave.id is not None
    return Away(
        person.email,
        leave.starts,
        leave.ends,
        cover.email if cover else None,
        leave.id,
        person.name,
        cover.name if cover else None,
        cancelled=leave.ended_at is not None and leave.ended_at.date() < leave.starts,
    )


def leave_by_id(engine: Engine, leave_id: int) -> Away | None:
    with read_session(engine) as session:
        leave = session.get(Leave, leave_id)
        return _away(session, leave) if leave is not None else None


def booked(engine: Engine, *, email: str, today: date) -> list[Away]:
    """This person's leave under way or booked for later (not ended or cancelled), soonest
    first."""
    with read_session(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).first()
        if person is None:
            return []
        rows = session.exec(
            select(Leave)
            .where(
                Leave.person_id == person.id,
                col(Leave.ends) >= today,
                col(Leave.ended_at).is_(None),
            )
            .order_by(col(Leave.starts), col(Leave.id))
        )
        return [_away(session, leave) for leave in rows]


def cancel(engine: Engine, *, email: str, leave_id: int, now: datetime) -> Away:
    """Cancel leave booked for later (leave under way is ended with `/pmf back`). Recorded in
    the audit trail; the cover is told."""
    today = now.date()
    with write_session(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        leave = session.get(Leave, leave_id)
        if leave is None or leave.person_id != person.id:
            raise LeaveProblem("That leave is not yours, or no longer exists; see /pmf away.")
        if leave.ended_at is not None:
            raise LeaveProblem("That leave was already cancelled or ended.")
        if leave.starts <= today:
            raise LeaveProblem(
                "That leave has started; use /pmf back when you return, and it ends today."
            )
        leave.ended_at = now
        session.add(leave)
        before = _away(session, leave)
        audit.record(
            session,
            actor=email,
            action="leave.cancel",
            entity="leave",
            entity_key=email,
            at=now,
            before={"starts": leave.starts, "ends": leave.ends, "cover": before.cover},
            after={"cancelled": now},
        )
        if before.cover is not None:
            outbox_store.enqueue(
                session, [cover_notice(CANCELLED, leave_id, before.cover, now, now=now)], now
            )
        found = _away(session, leave)
    outbox.committed(engine)
    return found


def _not_covered(session: Session, email: str, cover: str) -> tuple[NotCovered, ...]:
    """The measures `email` reviews whose figures `cover` collects or covers: the cover may
    not review those (segregation of duties, seed 002 §10.5); the Head of Service does."""
    measures = queries.load_measures(session).values()
    return tuple(
        NotCovered(
            measure.ref,
            why,
            measure.head_of_service_name
            if measure.head_of_service not in (None, email, cover)
            else None,
        )
        for measure, why in cover_conflicts(email, cover, measures)
    )


def come_back(engine: Engine, *, email: str, now: datetime) -> int:
    """End any leave running today (leave booked for later stays); returns how many ended."""
    today = now.date()
    with write_session(engine) as session:
        person = session.exec(select(Person).where(Person.email == email)).one()
        rows = list(
            session.exec(
                select(Leave).where(
                    Leave.person_id == person.id,
                    col(Leave.starts) <= today,
                    col(Leave.ends) >= today,
                    col(Leave.ended_at).is_(None),
                )
            )
        )
        for leave in rows:
            leave.ended_at = now
            session.add(leave)
            audit.record(
                session,
                actor=email,
                action="leave.end",
                entity="leave",
                entity_key=email,
                at=now,
                before={"starts": leave.starts, "ends": leave.ends},
                after={"ended": now},
            )
        return len(rows)


def cover_by_name(engine: Engine, typed: str) -> str:
    """The e-mail of the register person `typed` names ('Sam Lee', 'sam', 'Sam L'): the
    whole name first, then names that start with it; refused kindly when it is nobody or
    more than one person."""
    wanted = " ".join(typed.strip().lstrip("@").split()).casefold()
    if not wanted:
        raise LeaveProblem("Who covers? Name them after @, such as @Sam Lee.")
    with read_session(engine) as session:
        people = [(p.name, p.email) for p in session.exec(select(Person))]
    exact = [email for name, email in people if " ".join(name.split()).casefold() == wanted]
    found = exact or [
        email
        for name, email in people
        if " ".join(name.split()).casefold().startswith(wanted)
        or any(part.casefold() == wanted for part in name.split())
    ]
    if len(found) == 1:
        return found[0]
    shown = typed.strip().lstrip("@")
    if not found:
        raise LeaveProblem(
            f"I could not find '{shown}' in the council's register. Mention them with @ "
            "and pick them from the list, or write their full name as the register has it."
        )
    names = sorted(name for name, email in people if email in found)
    listed = ", ".join(names[:5]) + (" and others" if len(names) > 5 else "")
    raise LeaveProblem(
        f"'{shown}' could be {listed}. Please write the full name, or mention them with @."
    )
