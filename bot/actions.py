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

from sqlalchemy import select as sa_select
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
    """One action as written: its words, and the owner and due date it names, if any (and,
    from imported history, its progress so far)."""

    text: str
    owner: str | None  # an e-mail
    due: date | None
    progress: str = NOT_STARTED
    note: str | None = None


SEPARATOR = "|"
FORMAT_HINT = (
    "write one action per line as: what will be done | owner's e-mail | due date | progress, "
    "for example 'Clear the backlog | sam.lee@example.gov.uk | 2026-03-31 | on track' "
    "(owner, due date and progress may be left out; progress is not started, on track, "
    "at risk, done, or 'dropped: the reason')"
)
_PROGRESS_WORDS = {words: key for key, words in WORDS.items()}


def _lines(text: str) -> list[str]:
    lines = [_BULLET.sub("", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    if len(lines) > MAX_ACTIONS:
        lines = [*lines[: MAX_ACTIONS - 1], " ".join(lines[MAX_ACTIONS - 1 :])]
    return lines


def _piped(line: str, people: Mapping[str, str]) -> tuple[Planned | None, list[str]]:
    """A line in the plain format `text | owner | due date | progress`; the problems with it,
    in words that say how to fix them. The owner is an e-mail or a name in the register; the
    due date a full date (2026-03-31, 31/03/2026 or 31 Mar 2026)."""
    from bot.leave import LeaveProblem, parse_day

    fields = [part.strip() for part in line.split(SEPARATOR)]
    problems: list[str] = []
    if len(fields) > 4:
        problems.append(f"'{clip_words(line)}' has {len(fields)} parts; {FORMAT_HINT}")
        return None, problems
    fields += [""] * (4 - len(fields))
    words, who, when, state = fields
    if not words:
        problems.append(f"'{clip_words(line)}' does not say what will be done; {FORMAT_HINT}")
    owner = None
    if who:
        owner = people.get(who.lower())
        if owner is None:
            problems.append(
                f"the owner '{who}' is not a person in the register: give their e-mail "
                "as the register has it"
            )
    due = None
    if when:
        try:
            if not re.search(r"\d{4}", when):
                raise LeaveProblem(when)
            due = parse_day(when, date(2000, 1, 1))
        except LeaveProblem:
            problems.append(
                f"the due date '{when}' is not a full date: write it as 2026-03-31 (or 31/03/2026)"
            )
    progress, note = NOT_STARTED, None
    if state:
        head, _, reason = state.partition(":")
        found = _PROGRESS_WORDS.get(" ".join(head.lower().replace("_", " ").split()))
        if found is None:
            problems.append(
                f"the progress '{state}' is not one the framework knows: write not started, "
                "on track, at risk, done, or 'dropped: the reason'"
            )
        elif found == DROPPED and not reason.strip():
            problems.append("a dropped action needs its reason: write 'dropped: the reason'")
        else:
            progress, note = found, reason.strip() or None
    if problems:
        return None, problems
    return Planned(words[:2000], owner, due, progress, note), []


def clip_words(line: str, limit: int = 60) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def as_words(planned: Planned, names: Mapping[str, str]) -> str:
    """An action in the words an exception report shows (people by name, never by e-mail),
    which `parse` reads back: 'Chase consultees (owner: Sam Lee, due 30 Jun 2026; on track)'."""
    said = []
    if planned.owner:
        said.append(f"owner: {names.get(planned.owner, planned.owner)}")
    if planned.due:
        said.append(f"due {planned.due.day} {planned.due:%b %Y}")
    tail = ", ".join(said)
    if planned.progress != NOT_STARTED:
        state = WORDS[planned.progress] + (f": {planned.note}" if planned.note else "")
        tail = f"{tail}; {state}" if tail else state
    return f"{planned.text} ({tail})" if tail else planned.text


def check(text: str, people: Mapping[str, str], today: date) -> tuple[list[Planned], list[str]]:
    """Actions as imported with history (an actuals file's `actions` column): lines in the
    plain format (`FORMAT_HINT`) are checked, each problem in words with its line; a line
    with no `|` is read as a chat form's would be (`parse`). `people` maps lower-case names
    and e-mails to e-mails."""
    found: list[Planned] = []
    problems: list[str] = []
    lines = _lines(text)
    for number, line in enumerate(lines, start=1):
        if SEPARATOR not in line:
            found += parse(line, people, today)
            continue
        planned, wrong = _piped(line, people)
        where = f"action {number}: " if len(lines) > 1 else ""
        problems += [where + problem for problem in wrong]
        if planned is not None:
            found.append(planned)
    return found, problems


def parse(text: str, people: Mapping[str, str], today: date) -> list[Planned]:
    """Split an exception report's actions into one item per line. `people` maps lower-case
    names (and e-mails) to e-mails. A line in the plain format `text | owner | due | progress`
    is read by its parts (a part that cannot be read is left to its default)."""
    from bot.leave import LeaveProblem, parse_day

    found: list[Planned] = []
    for line in _lines(text):
        if SEPARATOR in line:
            planned, _ = _piped(line, people)
            if planned is not None:
                found.append(planned)
                continue
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


def people_keys(everyone: Iterable[Any]) -> dict[str, str]:
    """Register people by lower-case name and by e-mail, to their e-mails."""
    everyone = list(everyone)
    found = {person.name.lower(): person.email for person in everyone}
    found.update({person.email.lower(): person.email for person in everyone})
    return found


def record_approved(session: Session, view: SubmissionView, now: datetime) -> int:
    """An approved version's actions become tracked items (replacing those of an earlier
    version of the same figure that nobody has touched). Returns how many were added."""
    from storage.models import Measure, Person

    measure_id = session.exec(select(Measure.id).where(Measure.ref == view.measure.ref)).one()
    assert measure_id is not None
    # plain rows, not ORM objects: this runs in every approval, before it is acknowledged
    everyone = session.execute(sa_select(col(Person.id), col(Person.email), col(Person.name))).all()
    planned = parse(view.actions or "", people_keys(everyone), now.date())
    ids = {person.email: person.id for person in everyone}
    owner = ids.get(view.measure.collector or view.submitted_by) or ids.get(view.submitted_by)
    assert owner is not None
    return store(
        session,
        measure_id=measure_id,
        period=view.period,
        submission_id=view.id,
        planned=planned,
        owners=ids,
        default_owner=owner,
        now=now,
    )


def store(
    session: Session,
    *,
    measure_id: int,
    period: Period,
    submission_id: int,
    planned: Iterable[Planned],
    owners: Mapping[str, int | None],
    default_owner: int,
    now: datetime,
) -> int:
    """Record a figure's actions as tracked items, replacing those of an earlier version that
    nobody has touched (an action someone updated is kept, once). `owners` maps e-mails to
    person ids; an action naming no owner is the `default_owner`'s (the collector's), and one
    naming no due date is due at the end of the next quarter. Returns how many were added."""
    from storage.models import ActionItem

    existing = list(
        session.exec(
            select(ActionItem).where(
                ActionItem.measure_id == measure_id, ActionItem.period == period.label
            )
        )
    )
    kept = set()
    for item in existing:
        if item.updated_by_id is None:  # nobody has updated it in chat
            session.delete(item)
        else:
            kept.add(item.text)
    added = 0
    for position, action in enumerate(planned):
        if action.text in kept:
            continue
        session.add(
            ActionItem(
                measure_id=measure_id,
                period=period.label,
                submission_id=submission_id,
                position=position,
                text=action.text,
                owner_id=(owners.get(action.owner) if action.owner else None) or default_owner,
                due=action.due or default_due(period),
                progress=action.progress,
                note=action.note,
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
    periods: Iterable[str] | None = None,
) -> list[ActionView]:
    """Tracked actions: for a measure (`ref`), owned by `email` (`only_owned`), or that
    `email` owns, collects, reviews or leads as Head of Service; set in one of `periods`'
    exception reports; open ones unless asked."""
    from storage.engine import read_session
    from storage.models import ActionItem, Measure

    filters: list[Any] = []
    if not include_closed:
        filters.append(col(ActionItem.progress).in_(sorted(OPEN)))
    if ref is not None:
        filters.append(Measure.ref == ref.upper())
    if due_before is not None:
        filters.append(col(ActionItem.due) < due_before)
    if periods is not None:
        filters.append(col(ActionItem.period).in_(sorted(periods)))
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
