"""Tracked actions (issue 14; seed 002 §6.1.8 and Appendix 1: "actions to improve performance").

When a figure with actions is approved, each action in its exception report becomes an item
with an owner, a due date and its progress — not started, on track, at risk, done, or dropped
(with a reason) — so that next quarter someone is asked whether it happened. One action per
line of the actions text (bullets and numbers are taken off); a line may name its owner with
"@Name" or "owner: Name" (a register person, by name) and its due date with "by 31 Mar 2026" or
"due 31/03/2026". Otherwise the owner is the measure's collector and the action is due at the
end of the next quarter.

Chat-neutral: every change is committed with its audit event before the surface answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from bot import outbox
from bot.periods import Period, PeriodKind
from bot.reminders import Kind

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.status import CouncilInfo
    from bot.submissions import SubmissionView

NOT_STARTED, ON_TRACK, AT_RISK, DONE, DROPPED = (
    "not_started",
    "on_track",
    "at_risk",
    "done",
    "dropped",
)
PROGRESS = (NOT_STARTED, ON_TRACK, AT_RISK, DONE, DROPPED)
OPEN = frozenset({NOT_STARTED, ON_TRACK, AT_RISK})
WORDS = {
    NOT_STARTED: "not started",
    ON_TRACK: "on track",
    AT_RISK: "at risk",
    DONE: "done",
    DROPPED: "dropped",
}
MAX_ACTIONS = 20  # per exception report; more lines are kept together in the last one
ACTION_OVERDUE = "action_overdue"  # the outbox notice to an action's owner once it is overdue

_BULLET = re.compile(r"^\s*(?:[-*•·–]|\d{1,2}[.)])\s*")
_OWNER = re.compile(r"(?:\(\s*)?(?:owner:\s*|@)([A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*){0,3})\s*\)?")
_DUE = re.compile(
    r"\b(?:by|due)\s+(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+[A-Za-z]{3,9}(?:\s+\d{4})?)\b",
    re.IGNORECASE,
)


class ActionRefused(Exception):
    """A change to an action that cannot be made, in words for the person who tried."""


@dataclass(frozen=True)
class Planned:
    """One action as written: its words, and the owner and due date it names, if any."""

    text: str
    owner: str | None  # an e-mail
    due: date | None


def parse(text: str, people: Mapping[str, str], today: date) -> list[Planned]:
    """Split an exception report's actions into one item per line. `people` maps lower-case
    names to e-mails."""
    from bot.leave import LeaveProblem, parse_day

    lines = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_ACTIONS:
        lines = [*lines[: MAX_ACTIONS - 1], " ".join(lines[MAX_ACTIONS - 1 :])]
    found: list[Planned] = []
    for line in lines:
        due: date | None = None
        for match in _DUE.finditer(line):  # the officer's words are kept as written
            try:
                due = parse_day(match.group(1), today)
                break
            except LeaveProblem:
                continue
        owner: str | None = None
        for candidate in _OWNER.finditer(line):
            words = candidate.group(1).split()
            for size in range(len(words), 0, -1):  # "@Sam Lee by" → the longest known name
                email = people.get(" ".join(words[:size]).lower())
                if email:
                    owner = email
                    break
            if owner:
                break
        found.append(Planned(line[:2000], owner, due))
    return found


def default_due(period: Period) -> date:
    """The end of the quarter after the one the exception report is for."""
    quarter = Period.containing(PeriodKind.QUARTER, period.end)
    return quarter.next().end


@dataclass(frozen=True)
class ActionView:
    id: int
    ref: str
    title: str
    period: str
    text: str
    owner: str
    owner_name: str
    due: date
    progress: str
    note: str | None
    updated_at: datetime
    collector: str | None
    reviewer: str | None
    head_of_service: str | None

    @property
    def open(self) -> bool:
        return self.progress in OPEN

    def overdue(self, today: date) -> bool:
        return self.open and self.due < today

    @property
    def words(self) -> str:
        return WORDS.get(self.progress, self.progress)


def record_approved(session: Session, view: SubmissionView, now: datetime) -> int:
    """An approved version's actions become tracked items (replacing those of an earlier
    version of the same figure that nobody has touched). Returns how many were added."""
    from storage.models import ActionItem, Measure, Person

    measure = session.exec(select(Measure).where(Measure.ref == view.measure.ref)).one()
    assert measure.id is not None
    existing = list(
        session.exec(
            select(ActionItem).where(
                ActionItem.measure_id == measure.id, ActionItem.period == view.period.label
            )
        )
    )
    kept = set()
    for item in existing:
        if item.updated_by_id is None and item.progress == NOT_STARTED:
            session.delete(item)
        else:
            kept.add(item.text)
    if not view.actions:
        return 0
    everyone = list(session.exec(select(Person)))
    by_name = {person.name.lower(): person.email for person in everyone}
    ids = {person.email: person.id for person in everyone}
    collector = view.measure.collector or view.submitted_by
    added = 0
    for position, planned in enumerate(parse(view.actions, by_name, now.date())):
        if planned.text in kept:
            continue
        owner = ids.get(planned.owner or collector) or ids.get(view.submitted_by)
        assert owner is not None
        session.add(
            ActionItem(
                measure_id=measure.id,
                period=view.period.label,
                submission_id=view.id,
                position=position,
                text=planned.text,
                owner_id=owner,
                due=planned.due or default_due(view.period),
                updated_at=now,
            )
        )
        added += 1
    return added


def _views(session: Session, query_filter: Iterable[Any] = ()) -> list[ActionView]:
    """The actions matching `query_filter`: one query with their owners, and the register
    read for only the measures they are on (from the register cache when it is current)."""
    from storage import queries
    from storage.models import ActionItem, Measure, Person

    rows = session.exec(
        select(ActionItem, Measure.ref, Person.email, Person.name)
        .join(Measure, col(Measure.id) == col(ActionItem.measure_id))
        .join(Person, col(Person.id) == col(ActionItem.owner_id))
        .where(*query_filter)
        .order_by(col(ActionItem.due), col(Measure.position), col(ActionItem.position))
    ).all()
    if not rows:
        return []
    measures = queries.load_measures(
        session, active_only=False, refs={ref for _, ref, _, _ in rows}
    )
    found = []
    for item, ref, owner, owner_name in rows:
        assert item.id is not None
        measure = measures.get(ref)
        found.append(
            ActionView(
                id=item.id,
                ref=ref,
                title=measure.title if measure else ref,
                period=item.period,
                text=item.text,
                owner=owner,
                owner_name=owner_name,
                due=item.due,
                progress=item.progress,
                note=item.note,
                updated_at=item.updated_at,
                collector=measure.collector if measure else None,
                reviewer=measure.reviewer if measure else None,
                head_of_service=measure.head_of_service if measure else None,
            )
        )
    return found


def listing(
    engine: Engine,
    *,
    ref: str | None = None,
    email: str | None = None,
    only_owned: bool = False,
    include_closed: bool = False,
    due_before: date | None = None,
) -> list[ActionView]:
    """Tracked actions: for a measure (`ref`), owned by `email` (`only_owned`), or that
    `email` owns, collects, reviews or leads as Head of Service; open ones unless asked."""
    from storage.engine import read_session
    from storage.models import ActionItem, Measure

    filters: list[Any] = []
    if not include_closed:
        filters.append(col(ActionItem.progress).in_(sorted(OPEN)))
    if ref is not None:
        filters.append(Measure.ref == ref.upper())
    if due_before is not None:
        filters.append(col(ActionItem.due) < due_before)
    with read_session(engine) as session:
        found = _views(session, filters)
    if email is not None:
        if only_owned:
            found = [a for a in found if a.owner == email]
        else:
            found = [
                a for a in found if email in (a.owner, a.collector, a.reviewer, a.head_of_service)
            ]
    return found


def update(
    engine: Engine,
    *,
    action_id: int,
    email: str,
    progress: str,
    note: str | None,
    now: datetime,
) -> ActionView:
    """Record an action's progress. The owner, the measure's collector, reviewer and Head of
    Service and the admins may; dropping needs a reason."""
    from storage import audit, workflow_store
    from storage.engine import write_session
    from storage.models import ActionItem, Person

    if progress not in PROGRESS:
        raise ActionRefused("That is not a progress the framework knows.")
    note = (note or "").strip() or None
    if progress == DROPPED and not note:
        raise ActionRefused("Please say why the action is dropped.")
    with write_session(engine) as session:
        item = session.get(ActionItem, action_id, with_for_update=True)
        if item is None:
            raise ActionRefused("That action is no longer recorded.")
        [view] = _views(session, [ActionItem.id == action_id])
        allowed = {view.owner, view.collector, view.reviewer, view.head_of_service}
        if email not in allowed and email not in workflow_store.admins(session):
            raise ActionRefused(
                f"Only {view.owner_name} (the action's owner), the measure's collector, reviewer "
                "or Head of Service, or a performance admin can update this action."
            )
        if item.progress == progress and (note is None or item.note == note):
            return view
        person = session.exec(select(Person).where(Person.email == email)).one()
        before = {"progress": item.progress, "note": item.note}
        item.progress, item.updated_at, item.updated_by_id = progress, now, person.id
        if note is not None:
            item.note = note
        session.add(item)
        audit.record(
            session,
            actor=email,
            action="action.update",
            entity="action",
            entity_key=f"{view.ref}|{view.period}|{action_id}",
            at=now,
            before=before,
            after={"progress": progress, "note": item.note},
        )
        session.flush()
        [after] = _views(session, [ActionItem.id == action_id])
    return after


def overdue_notices(engine: Engine, council: CouncilInfo, now: datetime) -> list[outbox.Item]:
    """Once an open action is past its due date: a notice to its owner (and the collector),
    at the reminder time on the first working day after it was due; once each, by key."""
    today = now.date()
    if not council.calendar.is_working_day(today) or now.time() < council.reminders.at:
        return []
    found: list[outbox.Item] = []
    for action in listing(engine, due_before=today):  # open and past due: usually none
        for email in dict.fromkeys(e for e in (action.owner, action.collector) if e):
            found.append(
                outbox.Item(
                    Kind.NOTICE,
                    f"notice|{ACTION_OVERDUE}|{action.id}|{action.due.isoformat()}|{email}",
                    email,
                    now,
                    payload={"notice": ACTION_OVERDUE, "action": action.id},
                )
            )
    return found


def tick(engine: Engine, council: CouncilInfo, now: datetime) -> int:
    """Queue the overdue-action notices due now (each once, by key)."""
    from storage import outbox_store
    from storage.engine import write_session

    items = overdue_notices(engine, council, now)
    if not items:
        return 0
    with write_session(engine) as session:
        added = outbox_store.enqueue(session, items, now)
    if added:
        outbox.committed(engine)
    return added


def one(engine: Engine, action_id: int) -> ActionView | None:
    from storage.engine import read_session
    from storage.models import ActionItem

    with read_session(engine) as session:
        found = _views(session, [ActionItem.id == action_id])
    return found[0] if found else None
