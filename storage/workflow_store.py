"""Reads and writes for the submission workflow (bot.submissions).

`lock_period_value` is the serialisation point: every submit, decision and reopen for a
(measure, period) holds its row lock (SELECT … FOR UPDATE on PostgreSQL; on SQLite the write
transaction itself, begun IMMEDIATE, holds the database's write lock).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, or_, union
from sqlalchemy import select as sa_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.calendar import WorkingCalendar
from bot.errors import NotFound
from bot.measures import MeasureInfo
from bot.periods import Period
from bot.permissions import Absence, reviewers_now
from bot.projects import DEFAULT_AMBER_DAYS, MilestoneReport, project_ragg, reports_from_json
from bot.ragg import ragg_status, target_for
from bot.status import CouncilInfo
from bot.workflow import State
from storage import audit
from storage.engine import is_postgres, plain
from storage.models import AuditEvent, Leave, Measure, PeriodValue, Person, Review, Submission
from storage.queries import load_measures

if TYPE_CHECKING:
    from bot.submissions import SubmissionView


@dataclass(frozen=True)
class SubmitFacts:
    admins: frozenset[str]
    absences: dict[str, list[Absence]]
    state: State | None


def measure(session: Session, ref: str) -> MeasureInfo:
    wanted = ref.strip().upper()
    found = load_measures(session, refs=[wanted])
    if wanted in found:
        return found[wanted]
    refs = list(session.exec(select(Measure.ref).where(col(Measure.active).is_(True))))
    close = difflib.get_close_matches(wanted, refs, n=3, cutoff=0.5)
    raise NotFound(f"There is no measure called '{ref.strip()}'.", close)


def name_of(session: Session, email: str) -> str:
    """A person's name from the register (their e-mail if they are not in it)."""
    found = session.exec(select(Person.name).where(Person.email == email)).first()
    return found or email


def admins(session: Session) -> frozenset[str]:
    return frozenset(session.exec(_ADMINS))


# Built once: making an alias of a table is dear (its columns are copied), and a statement
# built once, with bound parameters, is neither rebuilt nor re-keyed for SQLAlchemy's cache
# on every call (leave is read by every decision, card and home page; issue 11).
_AWAY = Person.__table__.alias("away")  # type: ignore[attr-defined]
_COVER = Person.__table__.alias("cover")  # type: ignore[attr-defined]
_LEAVE = (
    sa_select(
        _AWAY.c.email, col(Leave.starts), col(Leave.ends), col(Leave.ended_at), _COVER.c.email
    )
    .join(_AWAY, _AWAY.c.id == Leave.person_id)
    .outerjoin(_COVER, _COVER.c.id == Leave.cover_id)
    .where(col(Leave.starts) <= bindparam("today"), col(Leave.ends) >= bindparam("since"))
)
_LEAVE_OF = _LEAVE.where(_AWAY.c.email.in_(bindparam("emails", expanding=True)))


def absences(
    session: Session,
    emails: Iterable[str | None] | None,
    today: date,
    *,
    since: date | None = None,
    zone: tzinfo = UTC,
) -> dict[str, list[Absence]]:
    """Leave on any day from `since` (default `today`) to `today` for these people (everyone
    when `emails` is None), with each cover's e-mail. Leave ended early by `/pmf back` counts
    until the day before it ended, so reminders caught up later are routed as they were due."""
    wanted = None if emails is None else sorted({email for email in emails if email})
    if wanted is not None and not wanted:
        return {}
    params: dict[str, Any] = {"today": today, "since": since or today}
    if wanted is not None:
        params["emails"] = wanted
    rows = plain(session, _LEAVE if wanted is None else _LEAVE_OF, params)
    found: dict[str, list[Absence]] = {}
    for email, starts, ends, ended_at, cover_email in rows:
        if ended_at is not None:  # back early: away until the day before
            ends = min(ends, ended_at.astimezone(zone).date() - timedelta(days=1))
        if ends >= starts:
            found.setdefault(email, []).append(Absence(starts, ends, cover_email))
    return found


# The statements of a submission and a decision (before the acknowledgement), built once
_MEASURE_ID = select(col(Measure.id)).where(col(Measure.ref) == bindparam("ref"))
_PERIOD_VALUE = (
    select(PeriodValue)
    .join(Measure)
    .where(col(Measure.ref) == bindparam("ref"), col(PeriodValue.period) == bindparam("period"))
)
_LOCKED = (
    select(PeriodValue)
    .where(
        col(PeriodValue.measure_id) == bindparam("measure_id"),
        col(PeriodValue.period) == bindparam("period"),
    )
    .execution_options(populate_existing=True)
)
_LOCKED_FOR_UPDATE = _LOCKED.with_for_update()  # PostgreSQL; SQLite's transaction locks
_SUBMISSION_PERIOD = sa_select(col(Submission.measure_id), col(Submission.period)).where(
    col(Submission.id) == bindparam("id")
)
_DECIDER = sa_select(col(Person.id), col(Person.name)).where(
    col(Person.email) == bindparam("email")
)
_BY_REQUEST = select(col(Submission.id)).where(col(Submission.request_key) == bindparam("key"))
_ADMINS = select(col(Person.email)).where(col(Person.is_admin).is_(True))


def _period_value(session: Session, measure_ref: str, period: Period) -> PeriodValue | None:
    return session.exec(_PERIOD_VALUE, params={"ref": measure_ref, "period": period.label}).first()


def submit_facts(
    session: Session, measure_info: MeasureInfo, period: Period, actor: str, today: date
) -> SubmitFacts:
    pv = _period_value(session, measure_info.ref, period)
    state = State(pv.state) if pv is not None and pv.latest_submission_id else None
    away = absences(session, [measure_info.collector, measure_info.reviewer], today)
    return SubmitFacts(admins(session), away, state)


@cache
def _recent_values(limit: int) -> Any:
    return (
        sa_select(col(PeriodValue.period), col(PeriodValue.approved_value))
        .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
        .where(
            col(Measure.ref) == bindparam("ref"),
            col(PeriodValue.state) == State.APPROVED.value,
            col(PeriodValue.period) < bindparam("period"),
        )
        .order_by(col(PeriodValue.period).desc())
        .limit(limit)
    )


def recent_values(
    session: Session, measure_info: MeasureInfo, period: Period, *, limit: int
) -> list[tuple[Period, Decimal]]:
    """The latest approved values before `period`, newest first (built once per `limit`:
    every review card shows them)."""
    rows = plain(session, _recent_values(limit), {"ref": measure_info.ref, "period": period.label})
    return [(Period.parse(label), value) for label, value in rows if value is not None]


def last_milestones(
    session: Session, measure_info: MeasureInfo, period: Period
) -> tuple[Period, tuple[MilestoneReport, ...]] | None:
    """A project's latest approved milestone report before `period`, with its period."""
    row = session.exec(
        select(col(PeriodValue.period), col(Submission.milestones))
        .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
        .join(Submission, col(Submission.id) == col(PeriodValue.approved_submission_id))
        .where(
            Measure.ref == measure_info.ref,
            PeriodValue.state == State.APPROVED.value,
            col(PeriodValue.period) < period.label,
        )
        .order_by(col(PeriodValue.period).desc())
        .limit(1)
    ).first()
    if row is None or row[1] is None:
        return None
    return Period.parse(row[0]), reports_from_json(row[1]) or ()


def recent_values_of(
    session: Session, wanted: Iterable[tuple[MeasureInfo, Period]], *, limit: int
) -> dict[tuple[str, str], list[tuple[Period, Decimal]]]:
    """`recent_values` for several (measure, period) pairs in one query, keyed by (ref,
    period label): a page of reviews costs one query, not one per figure."""
    pairs = list(wanted)
    refs = sorted({measure_info.ref for measure_info, _ in pairs})
    if not refs:
        return {}
    rows = session.exec(
        select(col(Measure.ref), col(PeriodValue.period), col(PeriodValue.approved_value))
        .join(Measure)
        .where(
            col(Measure.ref).in_(refs),
            PeriodValue.state == State.APPROVED.value,
            col(PeriodValue.approved_value).is_not(None),
        )
    )
    by_ref: dict[str, list[tuple[str, Decimal]]] = {}
    for ref, label, value in rows:
        if value is not None:
            by_ref.setdefault(ref, []).append((label, value))
    found: dict[tuple[str, str], list[tuple[Period, Decimal]]] = {}
    for measure_info, period in pairs:
        earlier = sorted(
            (
                (label, value)
                for label, value in by_ref.get(measure_info.ref, [])
                if label < period.label
            ),
            reverse=True,
        )[:limit]
        found[(measure_info.ref, period.label)] = [
            (Period.parse(label), value) for label, value in earlier
        ]
    return found


@cache
def _new_period_value(postgres: bool) -> Any:
    dialect = postgresql if postgres else sqlite
    return dialect.insert(PeriodValue).on_conflict_do_nothing(
        index_elements=["measure_id", "period"]
    )


def _ensure_period_value(session: Session, measure_id: int, period: Period, now: datetime) -> None:
    values: dict[str, Any] = {
        "measure_id": measure_id,
        "period": period.label,
        "state": State.SUBMITTED.value,
        "updated_at": now,
    }
    session.execute(_new_period_value(is_postgres(session.get_bind())), values)  # type: ignore[arg-type]


def lock_period_value(
    session: Session, measure_info: MeasureInfo, period: Period, now: datetime
) -> PeriodValue:
    """The (measure, period) row, created if new, locked for the rest of the transaction.

    A new row has no `latest_submission_id`: it means nothing was recorded before.
    """
    measure_id = session.exec(_MEASURE_ID, params={"ref": measure_info.ref}).one()
    assert measure_id is not None
    _ensure_period_value(session, measure_id, period, now)
    return _lock(session, measure_id, period.label)


def _lock(session: Session, measure_id: int, label: str) -> PeriodValue:
    query = _LOCKED_FOR_UPDATE if is_postgres(session.get_bind()) else _LOCKED  # type: ignore[arg-type]
    return session.exec(query, params={"measure_id": measure_id, "period": label}).one()


def lock_for_submission(session: Session, submission_id: int, now: datetime) -> PeriodValue | None:
    """`lock_period_value` for the (measure, period) of a submission, found by its id (None
    when there is no such submission)."""
    found = plain(session, _SUBMISSION_PERIOD, {"id": submission_id}).first()
    if found is None:
        return None
    measure_id, label = found
    _ensure_period_value(session, measure_id, Period.parse(label), now)
    return _lock(session, measure_id, label)


def add_submission(
    session: Session,
    *,
    measure: MeasureInfo,
    period: Period,
    locked: PeriodValue,
    value: Decimal,
    overview: str,
    actions: str | None,
    evidence_url: str | None,
    actor: str,
    on_behalf: bool,
    late: bool,
    now: datetime,
    request_key: str | None,
    source: str = "slack",
    milestones: list[dict[str, str]] | None = None,
) -> int:
    versions = session.exec(
        select(Submission.version).where(
            Submission.measure_id == locked.measure_id, Submission.period == period.label
        )
    ).all()
    version = max(versions, default=0) + 1
    person_id = session.exec(select(Person.id).where(Person.email == actor)).first()
    before = {
        "state": locked.state if locked.latest_submission_id else None,
        "version": version - 1 or None,
    }
    submission = Submission(
        measure_id=locked.measure_id,
        period=period.label,
        version=version,
        value=value,
        overview=overview,
        actions=actions,
        evidence_url=evidence_url,
        submitted_by_id=person_id,
        submitted_by=actor,
        on_behalf_of=on_behalf,
        source=source,
        late=late,
        submitted_at=now,
        request_key=request_key,
        milestones=milestones,
    )
    session.add(submission)
    session.flush()
    assert submission.id is not None
    locked.state = State.SUBMITTED.value
    locked.latest_submission_id = submission.id
    locked.updated_at = now
    session.add(locked)
    audit.record(
        session,
        actor=actor,
        action="submission.create",
        entity="value",
        entity_key=f"{measure.ref} {period}",
        at=now,
        before=before,
        after={
            "state": "submitted",
            "version": version,
            "value": value,
            "overview": overview,
            "actions": actions,
            "evidence_url": evidence_url,
            "late": late,
            "on_behalf_of": on_behalf,
            **({"source": source} if source != "slack" else {}),
            **({"milestones": milestones} if milestones is not None else {}),
        },
    )
    session.flush()
    return submission.id


def add_review(
    session: Session,
    *,
    submission: SubmissionView,
    decision: str,
    reason: str | None,
    actor: str,
    now: datetime,
) -> str:
    """Record the decision (IntegrityError when the submission already has one); returns the
    decider's name as the register has it (their e-mail if they are not in it)."""
    found = plain(session, _DECIDER, {"email": actor}).first()
    person_id, name = (found[0], found[1]) if found is not None else (None, actor)
    session.add(
        Review(
            submission_id=submission.id,
            decision=decision,
            reason=reason,
            decided_by_id=person_id,
            decided_by=actor,
            decided_at=now,
        )
    )
    session.flush()  # the unique submission_id makes a second decision fail here
    pv = session.exec(
        _PERIOD_VALUE, params={"ref": submission.measure.ref, "period": submission.period.label}
    ).one()
    before = {"state": pv.state, "approved_value": pv.approved_value}
    pv.state = decision
    if decision == State.APPROVED.value:
        pv.approved_value = submission.value
        pv.approved_submission_id = submission.id
    pv.updated_at = now
    session.add(pv)
    action = {"approved": "submission.approve", "rejected": "submission.reject"}[decision]
    audit.record(
        session,
        actor=actor,
        action=action,
        entity="value",
        entity_key=f"{submission.measure.ref} {submission.period}",
        at=now,
        before=before,
        after={
            "state": decision,
            "version": submission.version,
            "value": submission.value,
            "reason": reason,
        },
    )
    return str(name)


def mark_reopened(
    session: Session, *, locked: PeriodValue, reason: str, actor: str, now: datetime, ref: str
) -> None:
    before = {"state": locked.state, "approved_value": locked.approved_value}
    locked.state = State.REOPENED.value
    locked.updated_at = now
    session.add(locked)
    audit.record(
        session,
        actor=actor,
        action="submission.reopen",
        entity="value",
        entity_key=f"{ref} {locked.period}",
        at=now,
        before=before,
        after={"state": "reopened", "reason": reason},
    )


def submission_by_request(
    session: Session, request_key: str, council: CouncilInfo
) -> SubmissionView | None:
    found = session.exec(_BY_REQUEST, params={"key": request_key}).first()
    return None if found is None else view(session, found, council)


def latest_submission_id(session: Session, measure_info: MeasureInfo, period: Period) -> int | None:
    """The id of the latest version for (measure, period), if any: one small query."""
    return session.exec(
        select(PeriodValue.latest_submission_id)
        .join(Measure)
        .where(Measure.ref == measure_info.ref, PeriodValue.period == period.label)
    ).first()


def latest_submission(
    session: Session, measure_info: MeasureInfo, period: Period
) -> SubmissionView | None:
    pv = _period_value(session, measure_info.ref, period)
    if pv is None or pv.latest_submission_id is None:
        return None
    return view(session, pv.latest_submission_id, None)


def approved_submission_id(
    session: Session, measure_info: MeasureInfo, period: Period
) -> int | None:
    pv = _period_value(session, measure_info.ref, period)
    if pv is None or pv.state != State.APPROVED.value:
        return None
    return pv.approved_submission_id


def reopened_since(
    session: Session, measure_info: MeasureInfo, period: Period, since: datetime
) -> tuple[str | None, str, datetime] | None:
    """The first reopening of a measure's period at or after `since` (when a version was
    approved): (its reason, who reopened it by name, when), or None if it has not been."""
    event = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.action == "submission.reopen",
            AuditEvent.entity_key == audit.fit_key(f"{measure_info.ref} {period.label}"),
            col(AuditEvent.at) >= since,
        )
        .order_by(col(AuditEvent.seq))
        .limit(1)
    ).first()
    if event is None:
        return None
    reason = (event.after or {}).get("reason") if isinstance(event.after, dict) else None
    return reason, name_of(session, event.actor), event.at


def latest_pending(
    session: Session, measure_info: MeasureInfo, period: Period, council: CouncilInfo
) -> SubmissionView | None:
    pv = _period_value(session, measure_info.ref, period)
    if pv is None or pv.state != State.SUBMITTED.value or pv.latest_submission_id is None:
        return None
    return view(session, pv.latest_submission_id, council)


def to_redo(
    session: Session, measure_info: MeasureInfo, period: Period, council: CouncilInfo
) -> tuple[SubmissionView, str | None, str | None, datetime | None] | None:
    """The last version of a rejected or reopened figure, to prefill the form that redoes it:
    (version, why, who said so, when). A rejection's reason is on its review; a reopening's in
    its audit event."""
    pv = _period_value(session, measure_info.ref, period)
    if pv is None or pv.latest_submission_id is None:
        return None
    if pv.state == State.REJECTED.value:
        last = view(session, pv.latest_submission_id, council)
        return last, last.reason, last.decided_by_name, last.decided_at
    if pv.state != State.REOPENED.value:
        return None
    last = view(session, pv.latest_submission_id, council)
    event = session.exec(
        select(AuditEvent)
        .where(
            AuditEvent.action == "submission.reopen",
            AuditEvent.entity_key == audit.fit_key(f"{measure_info.ref} {pv.period}"),
        )
        .order_by(col(AuditEvent.seq).desc())
        .limit(1)
    ).first()
    if event is None:
        return last, None, None, None
    reason = (event.after or {}).get("reason") if isinstance(event.after, dict) else None
    return last, reason, name_of(session, event.actor), event.at


_VIEW_COLUMNS = (
    col(Submission.id),
    col(Submission.measure_id),
    col(Measure.ref),
    col(Submission.period),
    col(Submission.version),
    col(Submission.value),
    col(Submission.overview),
    col(Submission.actions),
    col(Submission.evidence_url),
    col(Submission.milestones),
    col(Submission.submitted_by),
    col(Submission.on_behalf_of),
    col(Submission.late),
    col(Submission.submitted_at),
    col(Review.decision),
    col(Review.reason),
    col(Review.decided_by),
    col(Review.decided_at),
)

# built once (this runs in every decision, card, notice and home page)
_VIEWS = (
    sa_select(*_VIEW_COLUMNS)
    .join(Measure, col(Measure.id) == col(Submission.measure_id))
    .outerjoin(Review, col(Review.submission_id) == col(Submission.id))
    .where(col(Submission.id).in_(bindparam("ids", expanding=True)))
)
_NAMES = sa_select(col(Person.email), col(Person.name)).where(
    col(Person.email).in_(bindparam("emails", expanding=True))
)


def view(session: Session, submission_id: int, council: CouncilInfo | None) -> SubmissionView:
    """A submission version with its measure, people and decision, as the surface shows it."""
    found = views(session, [submission_id], council)
    if not found:
        raise NotFound("That submission no longer exists.")
    return found[0]


def views(
    session: Session, submission_ids: Iterable[int], council: CouncilInfo | None
) -> list[SubmissionView]:
    """`view` of each of these submissions (in the order given; missing ones left out) in
    a few queries whatever their number: the submissions with their reviews, the names, and
    the leave of their reviewers (the measures come from the register cache)."""
    from bot.submissions import SubmissionView

    wanted = list(dict.fromkeys(submission_ids))
    if not wanted:
        return []
    # one read of plain rows, not ORM objects: the submissions with their measure's ref and
    # their review, if any (this runs in every decision, card, notice and home page)
    found_rows = plain(session, _VIEWS, {"ids": wanted}).all()
    if not found_rows:
        return []
    submissions = {row.id: row for row in found_rows}
    refs = {row.measure_id: row.ref for row in found_rows}
    infos = load_measures(session, active_only=False, refs=set(refs.values()))
    reviews = {row.id: row for row in found_rows if row.decision is not None}
    emails = {row.submitted_by for row in submissions.values()} | {
        row.decided_by for row in reviews.values()
    }
    names = {email: name for email, name in plain(session, _NAMES, {"emails": sorted(emails)})}
    # whoever reviews each then: the reviewer's leave, and the collector's (their cover may
    # not review it), on the day it was submitted; read in one query from the first such day
    # to the last (a rule asks only whether someone was away on the day, `Absence.covers`)
    people: set[str] = set()
    for row in submissions.values():
        info = infos[refs[row.measure_id]]
        people.update(who for who in (info.reviewer, info.collector) if who)
    days = [row.submitted_at.date() for row in submissions.values()]
    away = absences(session, people, max(days), since=min(days))
    calendar = council.calendar if council else None
    found = []
    for submission_id in wanted:
        submission = submissions.get(submission_id)
        if submission is None:
            continue
        info = infos[refs[submission.measure_id]]
        period = Period.parse(submission.period)
        review = reviews.get(submission_id)
        target = target_for(info.targets, period, cumulative=info.rule.cumulative)
        deadline = calendar.deadline(period, info.reporting_lag) if calendar else period.end
        today = submission.submitted_at.date()
        deciders = reviewers_now(info, submission.submitted_by, absences=away, today=today)
        ragg, standings, why = ragg_status(submission.value, target, info.rule), None, None
        if info.is_project:
            judged = project_ragg(
                reports_from_json(submission.milestones) or (),
                as_at=period.end,
                calendar=calendar or WorkingCalendar(),
                amber_days=council.project_amber_days if council else DEFAULT_AMBER_DAYS,
            )
            ragg, standings, why = judged.status, judged.standings, judged.reason
        found.append(
            SubmissionView(
                id=submission_id,
                measure=info,
                period=period,
                version=submission.version,
                value=submission.value,
                overview=submission.overview,
                actions=submission.actions,
                evidence_url=submission.evidence_url,
                submitted_by=submission.submitted_by,
                submitted_by_name=names.get(submission.submitted_by, submission.submitted_by),
                on_behalf=submission.on_behalf_of,
                late=submission.late,
                submitted_at=submission.submitted_at,
                deadline=deadline,
                target=target,
                ragg=ragg,
                decision=review.decision if review else None,
                decided_by=review.decided_by if review else None,
                decided_by_name=(
                    names.get(review.decided_by, review.decided_by) if review else None
                ),
                decided_at=review.decided_at if review else None,
                reason=review.reason if review else None,
                deciders=deciders,
                milestones=standings,
                ragg_reason=why,
            )
        )
    return found


# Built once, with bound parameters: the home page reads the queue on every refresh, and
# building the statement (not running it) was a measurable share of its CPU (issue 11).
_ME = sa_select(col(Person.id)).where(col(Person.email) == bindparam("email")).scalar_subquery()
_COVERED = sa_select(col(Leave.person_id)).where(
    col(Leave.cover_id) == _ME,
    col(Leave.starts) <= bindparam("today"),
    col(Leave.ends) >= bindparam("today"),
    col(Leave.ended_at).is_(None),
)
_QUEUE = (
    sa_select(col(Submission.id))
    .join(PeriodValue, col(PeriodValue.latest_submission_id) == col(Submission.id))
    .join(Measure, col(Measure.id) == col(Submission.measure_id))
    .where(
        col(PeriodValue.state) == State.SUBMITTED.value,
        col(Submission.submitted_by) != bindparam("email"),
        col(Measure.active).is_(True),
        or_(
            col(Measure.reviewer_id) == _ME,
            col(Measure.head_of_service_id) == _ME,
            col(Measure.reviewer_id).in_(_COVERED),
        ),
    )
    .order_by(col(Submission.submitted_at))
)


def review_queue(session: Session, email: str, today: date) -> list[int]:
    """Pending latest versions this person may decide (not their own), oldest first: one
    prebuilt query (the person, and whom they cover today, are subqueries of it)."""
    rows = plain(session, _QUEUE, {"email": email, "today": today}).scalars()
    return [row for row in rows if row is not None]


@cache
def _recent_decisions(limit: int) -> Any:
    decided: Any = col(Review.decided_at).label("decided_at")
    by_them = (
        sa_select(col(Review.submission_id).label("sid"), decided)
        .where(col(Review.decided_by) == bindparam("email"))
        .order_by(col(Review.decided_at).desc())
        .limit(limit)
        .subquery()
    )
    on_theirs = (
        sa_select(col(Review.submission_id).label("sid"), decided)
        .join(Submission, col(Submission.id) == col(Review.submission_id))
        .where(col(Submission.submitted_by) == bindparam("email"))
        .order_by(col(Review.decided_at).desc())
        .limit(limit)
        .subquery()
    )
    both = union(sa_select(by_them), sa_select(on_theirs)).subquery()
    return sa_select(both.c.sid).order_by(both.c.decided_at.desc()).limit(limit)


def recent_decisions(session: Session, email: str, limit: int = 10) -> list[int]:
    """Submission ids of the latest decisions made by, or on figures submitted by, `email`.

    One query of two index reads (decisions by them: `ix_review_decided_by_at`; their own
    figures: `ix_submission_submitted_by`), each cut to `limit` before they are merged: an OR
    across the two tables would read every review. Built once per `limit` (a union of two
    subqueries is dear to build, and every home page reads it)."""
    rows = plain(session, _recent_decisions(limit), {"email": email}).scalars()
    return [row for row in rows if row is not None]


_RECORDED_STATES = (
    sa_select(col(Measure.ref), col(PeriodValue.period), col(PeriodValue.state))
    .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
    .where(
        col(Measure.ref).in_(bindparam("refs", expanding=True)),
        col(PeriodValue.period).in_(bindparam("labels", expanding=True)),
        col(PeriodValue.latest_submission_id).is_not(None),
    )
)


def recorded_states(
    session: Session, refs: Iterable[str], labels: Iterable[str]
) -> dict[tuple[str, str], str]:
    """The stored state of each (ref, period label) that has one."""
    ref_list, label_list = sorted(set(refs)), sorted(set(labels))
    if not ref_list or not label_list:
        return {}
    rows = plain(session, _RECORDED_STATES, {"refs": ref_list, "labels": label_list})
    return {(ref, label): state for ref, label, state in rows}


def latest_submissions(
    session: Session, refs: Iterable[str], labels: Iterable[str]
) -> dict[tuple[str, str], tuple[int, int]]:
    """(version, submission id) of the latest version of each (ref, period label)."""
    ref_list, label_list = sorted(set(refs)), sorted(set(labels))
    if not ref_list or not label_list:
        return {}
    rows = session.execute(
        sa_select(
            col(Measure.ref), col(PeriodValue.period), col(Submission.version), col(Submission.id)
        )
        .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
        .join(Submission, col(Submission.id) == col(PeriodValue.latest_submission_id))
        .where(col(Measure.ref).in_(ref_list), col(PeriodValue.period).in_(label_list))
    )
    return {(ref, label): (version, sid) for ref, label, version, sid in rows}
