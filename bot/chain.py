"""The quarterly report's sign-off chain up to committee (seed 002 §9, §10.2–10.3, §11.2–11.3).

Heads of Service sign off their measures; once every one has, the report goes to the Executive
Directors, each approving it for their directorate; once all have, to the Leadership Team, any
one of whose approvers approves it for the team. Then it may go to committee. An approver may
refuse with a reason (the Performance & Policy Officer and the people below are told) and
approve later, once it is put right; the latest decision per step stands. Every decision is
audited. Committee meeting dates and the register's agenda deadline (working days before the
first meeting for the quarter) drive reminders to the Performance & Policy Officer and to
whoever the report is waiting for.

Chat-neutral: the use cases here commit each decision with the outbox rows for what must follow,
before the surface acknowledges the click.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlmodel import Session, col, select

from bot import outbox
from bot.periods import Period, PeriodError, PeriodKind
from bot.reminders import Kind

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.status import CouncilInfo
    from bot.summary import SignOffState

LEADERSHIP = "leadership"
APPROVED, REFUSED = "approved", "refused"

# Notices (the outbox payload's "notice"), built when delivered from the chain as it then is.
CHAIN_CARD = "chain_card"  # to an approver: the report, with Approve / Refuse
CHAIN_REFUSED = "chain_refused"  # to the admins and the people below: who refused and why
CHAIN_APPROVED = "chain_approved"  # to the admins: ready for committee
CHAIN_REMINDER = "chain_reminder"  # before the agenda deadline: who it is waiting for
CHAIN_NOTICES = (CHAIN_CARD, CHAIN_REFUSED, CHAIN_APPROVED, CHAIN_REMINDER)

REMIND_BEFORE = (3, 1, 0)  # working days before the agenda deadline


@dataclass(frozen=True)
class Directorate:
    name: str
    executive_director: str  # e-mail
    heads_of_service: tuple[str, ...]


@dataclass(frozen=True)
class ApprovalChain:
    """The register's directorates, Leadership Team approvers and agenda deadline."""

    directorates: tuple[Directorate, ...] = ()
    leadership: tuple[str, ...] = ()
    agenda_deadline: int = 10

    @classmethod
    def from_stored(cls, stored: Mapping[str, Any]) -> ApprovalChain:
        return cls(
            directorates=tuple(
                Directorate(
                    str(item["name"]),
                    str(item["executive_director"]),
                    tuple(str(email) for email in item.get("heads_of_service", [])),
                )
                for item in stored.get("directorates", [])
            ),
            leadership=tuple(str(email) for email in stored.get("leadership_team", [])),
            agenda_deadline=int(stored.get("agenda_deadline", 10)),
        )

    def scopes_of(self, email: str) -> list[str]:
        """The steps `email` may decide: their directorates, and the Leadership Team's."""
        found = [d.name for d in self.directorates if d.executive_director == email]
        if email in self.leadership:
            found.append(LEADERSHIP)
        return found

    def directorate(self, name: str) -> Directorate | None:
        return next((d for d in self.directorates if d.name.lower() == name.lower()), None)


@dataclass(frozen=True)
class Decision:
    scope: str
    by: str
    by_name: str
    decision: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class Step:
    """One approval in the chain: a directorate's Executive Director, or the Leadership Team."""

    scope: str
    approvers: tuple[str, ...]
    approver_names: tuple[str, ...]
    latest: Decision | None

    @property
    def approved(self) -> bool:
        return self.latest is not None and self.latest.decision == APPROVED

    @property
    def label(self) -> str:
        """In a sentence: "the Place directorate", "the Leadership Team"."""
        return f"the {self.title}"

    @property
    def title(self) -> str:
        """As a heading or list entry: "Place directorate", "Leadership Team"."""
        return "Leadership Team" if self.scope == LEADERSHIP else f"{self.scope} directorate"


@dataclass(frozen=True)
class ChainState:
    quarter: Period
    signoffs: tuple[SignOffState, ...]
    directorates: tuple[Step, ...]
    leadership: Step | None

    @property
    def heads_pending(self) -> list[SignOffState]:
        return [state for state in self.signoffs if state.signed_at is None]

    @property
    def stage(self) -> str:
        """heads_of_service, executive_directors, leadership_team or approved."""
        if self.heads_pending:
            return "heads_of_service"
        if any(not step.approved for step in self.directorates):
            return "executive_directors"
        if self.leadership is not None and not self.leadership.approved:
            return "leadership_team"
        return "approved"

    @property
    def waiting_for(self) -> list[str]:
        """Who the report waits for now, by name."""
        stage = self.stage
        if stage == "heads_of_service":
            return [state.name for state in self.heads_pending]
        if stage == "executive_directors":
            return [
                name
                for step in self.directorates
                if not step.approved
                for name in step.approver_names
            ]
        if stage == "leadership_team" and self.leadership is not None:
            return list(self.leadership.approver_names)
        return []

    @property
    def words(self) -> str:
        """Where the report stands, as a committee paper's status line says it."""
        stage = self.stage
        if stage == "heads_of_service":
            return "Draft — awaiting Heads of Service sign-off"
        if stage == "executive_directors":
            return "Draft — awaiting Executive Directors' approval"
        if stage == "leadership_team":
            return "Draft — awaiting Leadership Team approval"
        final = self.leadership or (self.directorates[-1] if self.directorates else None)
        if final is None or final.latest is None:
            return "Signed off by every Head of Service"
        return f"Approved for committee by {final.latest.by_name} ({final.label})"

    def step(self, scope: str) -> Step | None:
        if scope == LEADERSHIP:
            return self.leadership
        return next((s for s in self.directorates if s.scope.lower() == scope.lower()), None)

    @property
    def refusals(self) -> list[Decision]:
        steps = [*self.directorates, *([self.leadership] if self.leadership else [])]
        return [s.latest for s in steps if s.latest is not None and s.latest.decision == REFUSED]


class ChainRefused(Exception):
    """A decision that cannot be taken, in words for the person who tried."""


def state(
    engine: Engine,
    council: CouncilInfo,
    quarter: Period,
    *,
    session: Session | None = None,
    signoffs: Sequence[SignOffState] | None = None,
) -> ChainState | None:
    """Where the quarter's report stands, or None when the register has no chain
    (`signoffs`: the Heads of Service's sign-offs, when the caller has just read them)."""
    from bot.summaries import signoff_states
    from storage.engine import read_session

    chain = council.chain
    if chain is None:
        return None
    if session is None:
        with read_session(engine) as own:
            read = (
                signoffs if signoffs is not None else signoff_states(engine, quarter, session=own)
            )
            return _state(own, chain, quarter, tuple(read))
    read = signoffs if signoffs is not None else signoff_states(engine, quarter, session=session)
    return _state(session, chain, quarter, tuple(read))


def _state(
    session: Session, chain: ApprovalChain, quarter: Period, signoffs: tuple[SignOffState, ...]
) -> ChainState:
    from storage.models import Person, ReportApproval

    people = {email: name for email, name in session.exec(select(Person.email, Person.name))}
    latest: dict[str, Decision] = {}
    rows = session.exec(
        select(ReportApproval, Person.email)
        .join(Person, col(Person.id) == col(ReportApproval.person_id))
        .where(ReportApproval.quarter == quarter.label)
        .order_by(col(ReportApproval.decided_at), col(ReportApproval.id))
    ).all()
    for row, email in rows:
        latest[row.scope.lower()] = Decision(
            row.scope, email, people.get(email, email), row.decision, row.reason, row.decided_at
        )

    def named(emails: Sequence[str]) -> tuple[str, ...]:
        return tuple(people.get(email, email) for email in emails)

    directorates = tuple(
        Step(
            d.name,
            (d.executive_director,),
            named((d.executive_director,)),
            latest.get(d.name.lower()),
        )
        for d in chain.directorates
    )
    leadership = (
        Step(LEADERSHIP, chain.leadership, named(chain.leadership), latest.get(LEADERSHIP))
        if chain.leadership
        else None
    )
    return ChainState(quarter, signoffs, directorates, leadership)


def quarter_named(text: str | None, today: date) -> Period:
    from bot.summaries import quarter_of

    try:
        return quarter_of(text, today)
    except PeriodError as error:
        raise ChainRefused(f"{error}.") from None


def decide(
    engine: Engine,
    council: CouncilInfo,
    *,
    email: str,
    quarter: Period,
    scope: str,
    decision: str,
    reason: str | None,
    now: datetime,
) -> ChainState:
    """An Executive Director or the Leadership Team approves or refuses the quarter's report.

    Committed with its audit event and the outbox rows for what must follow (the next step's
    cards, or the refusal's notices) in one transaction."""
    from storage import audit, outbox_store
    from storage.engine import write_session
    from storage.models import Person, ReportApproval

    chain = council.chain
    if chain is None:
        raise ChainRefused(
            "This council's register has no approval chain after the Heads of Service."
        )
    reason = (reason or "").strip() or None
    if decision == REFUSED and not reason:
        raise ChainRefused("Please say why the report is refused, so it can be put right.")
    with write_session(engine) as session:
        now_state = state(engine, council, quarter, session=session)
        assert now_state is not None
        step = now_state.step(scope)
        if step is None:
            raise ChainRefused(f"There is no step '{scope}' in the approval chain.")
        if email not in step.approvers:
            who = " or ".join(step.approver_names) or "nobody"
            raise ChainRefused(f"Only {who} can decide on the {quarter} report for {step.label}.")
        if now_state.heads_pending:
            names = ", ".join(s.name for s in now_state.heads_pending)
            raise ChainRefused(
                f"The {quarter} report is not ready: still waiting for the sign-off of {names}."
            )
        if scope == LEADERSHIP:
            waiting = [s for s in now_state.directorates if not s.approved]
            if waiting:
                names = ", ".join(name for s in waiting for name in s.approver_names)
                raise ChainRefused(
                    f"The {quarter} report is not ready for the Leadership Team: still waiting "
                    f"for the approval of {names}."
                )
        if step.latest is not None and step.latest.decision == decision == APPROVED:
            raise ChainRefused(
                f"The {quarter} report for {step.label} was already approved by "
                f"{step.latest.by_name}."
            )
        person = session.exec(select(Person).where(Person.email == email)).one()
        assert person.id is not None
        session.add(
            ReportApproval(
                quarter=quarter.label,
                scope=step.scope,
                person_id=person.id,
                decision=decision,
                reason=reason,
                decided_at=now,
            )
        )
        audit.record(
            session,
            actor=email,
            action=f"report.{decision}",
            entity="report",
            entity_key=f"{quarter.label}|{step.scope}",
            at=now,
            after={"reason": reason} if reason else {"decision": decision},
        )
        session.flush()
        after = state(engine, council, quarter, session=session)
        assert after is not None
        admins = sorted(_admins(session))
        items = _after_decision(chain, after, step.scope, decision, admins, now)
        outbox_store.enqueue(session, items, now)
    outbox.committed(engine)
    return after


def _admins(session: Session) -> frozenset[str]:
    from storage import workflow_store

    return workflow_store.admins(session)


def _notice(
    kind: str, quarter: Period, to: str, event: str, now: datetime, **extra: Any
) -> outbox.Item:
    return outbox.Item(
        Kind.NOTICE,
        f"notice|{kind}|{quarter.label}|{event}|{to}",
        to,
        now,
        payload={"notice": kind, "quarter": quarter.label, **extra},
    )


def _cards(chain: ApprovalChain, after: ChainState, now: datetime) -> list[outbox.Item]:
    """The cards for whoever the report now waits for (none when it waits for nobody new)."""
    stage = after.stage
    steps: list[Step] = []
    if stage == "executive_directors":
        steps = [s for s in after.directorates if not s.approved]
    elif stage == "leadership_team" and after.leadership is not None:
        steps = [after.leadership]
    return [
        _notice(
            CHAIN_CARD, after.quarter, email, f"{step.scope}|{_stamp(now)}", now, scope=step.scope
        )
        for step in steps
        for email in step.approvers
    ]


def _stamp(now: datetime) -> str:
    return now.strftime("%Y%m%d%H%M%S")


def _after_decision(
    chain: ApprovalChain,
    after: ChainState,
    scope: str,
    decision: str,
    admins: Sequence[str],
    now: datetime,
) -> list[outbox.Item]:
    quarter = after.quarter
    event = f"{scope}|{_stamp(now)}"
    if decision == REFUSED:
        if scope == LEADERSHIP:
            below = [d.executive_director for d in chain.directorates]
        else:
            found = chain.directorate(scope)
            below = list(found.heads_of_service) if found else []
        return [
            _notice(CHAIN_REFUSED, quarter, email, event, now, scope=scope)
            for email in dict.fromkeys([*admins, *below])
        ]
    if after.stage == "approved":
        return [_notice(CHAIN_APPROVED, quarter, email, event, now) for email in admins]
    if scope != LEADERSHIP and after.stage == "leadership_team":
        return _cards(chain, after, now)
    return []


def after_signoff(
    engine: Engine, council: CouncilInfo, session: Session, quarter: Period, now: datetime
) -> list[outbox.Item]:
    """When the last Head of Service signs off: the cards to the Executive Directors (or, with
    no directorates, to the Leadership Team). Called inside the sign-off's transaction."""
    chain = council.chain
    if chain is None:
        return []
    after = state(engine, council, quarter, session=session)
    if after is None or after.heads_pending:
        return []
    return _cards(chain, after, now)


# -- the committee timetable -------------------------------------------------------------------


def agenda_deadline(council: CouncilInfo, quarter: Period) -> tuple[date, date] | None:
    """(the first committee meeting for the quarter, the day the report must be approved by)."""
    meetings = sorted(council.committee_dates.get(quarter.label, ()))
    if not meetings or council.chain is None:
        return None
    first = meetings[0]
    return first, council.calendar.add_working_days(first, -council.chain.agenda_deadline)


def reminders_due(
    engine: Engine, council: CouncilInfo, admins: Sequence[str], now: datetime
) -> list[outbox.Item]:
    """Reminders before each quarter's agenda deadline while its report is not approved: to the
    Performance & Policy Officer (the admins) and to whoever it waits for, at the reminder
    time on 3 and 1 working days before and on the day. Keys make each one once."""
    chain = council.chain
    if chain is None:
        return []
    today = now.date()
    at = council.reminders.at
    zone = now.tzinfo
    items: list[outbox.Item] = []
    for label in council.committee_dates:
        try:
            quarter = Period.parse(label)
        except PeriodError:
            continue
        if quarter.kind is not PeriodKind.QUARTER:
            continue
        found = agenda_deadline(council, quarter)
        if found is None:
            continue
        meeting, deadline = found
        if not (quarter.end < today <= deadline):
            continue
        for before in REMIND_BEFORE:
            day = council.calendar.add_working_days(deadline, -before) if before else deadline
            if day != today:
                continue
            due = datetime.combine(day, at, tzinfo=zone)
            if now < due:
                continue
            current = state(engine, council, quarter)
            if current is None or current.stage == "approved":
                continue
            waiting = _waiting_emails(chain, current)
            for email in dict.fromkeys([*admins, *waiting]):
                items.append(
                    _notice(
                        CHAIN_REMINDER,
                        quarter,
                        email,
                        day.isoformat(),
                        due,
                        deadline=deadline.isoformat(),
                        meeting=meeting.isoformat(),
                    )
                )
    return items


def _waiting_emails(chain: ApprovalChain, current: ChainState) -> list[str]:
    stage = current.stage
    if stage == "heads_of_service":
        return [s.head_of_service for s in current.heads_pending]
    if stage == "executive_directors":
        return [e for s in current.directorates if not s.approved for e in s.approvers]
    if stage == "leadership_team" and current.leadership is not None:
        return list(current.leadership.approvers)
    return []


def tick(engine: Engine, council: CouncilInfo, now: datetime) -> int:
    """Queue the agenda-deadline reminders due now (each once, by key)."""
    from storage import outbox_store, workflow_store
    from storage.engine import read_session, write_session

    if council.chain is None or not council.committee_dates:
        return 0
    with read_session(engine) as session:
        admins = sorted(workflow_store.admins(session))
    items = reminders_due(engine, council, admins, now)
    if not items:
        return 0
    with write_session(engine) as session:
        added = outbox_store.enqueue(session, items, now)
    if added:
        outbox.committed(engine)
    return added


__all__ = [
    "APPROVED",
    "CHAIN_NOTICES",
    "LEADERSHIP",
    "REFUSED",
    "ApprovalChain",
    "ChainRefused",
    "ChainState",
    "Directorate",
    "after_signoff",
    "agenda_deadline",
    "decide",
    "quarter_named",
    "state",
    "tick",
]
