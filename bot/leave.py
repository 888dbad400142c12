"""Leave and cover (PRODUCT §6, seed 002 §10.6: "notify their Manager if unavailable").

While someone is away their reminders and review requests go to their cover, who may submit
or decide for them (PRODUCT §5). Someone away with no cover is listed in the admins' digest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import Engine
from sqlmodel import col, select

from storage import audit
from storage.engine import write_session
from storage.models import Leave, Person

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
class Away:
    person: str
    starts: date
    ends: date
    cover: str | None


def set_away(
    engine: Engine, *, email: str, starts: date, ends: date, cover: str | None, now: datetime
) -> Away:
    """Record leave from `starts` to `ends` inclusive, with an optional cover."""
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
        assert person.id is not None
        leave = Leave(
            person_id=person.id,
            starts=starts,
            ends=ends,
            cover_id=cover_person.id if cover_person else None,
            created_at=now,
        )
        session.add(leave)
        audit.record(
            session,
            actor=email,
            action="leave.create",
            entity="leave",
            entity_key=email,
            at=now,
            after={"starts": starts, "ends": ends, "cover": cover},
        )
    return Away(email, starts, ends, cover)


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
