"""Submit, approve, reject and reopen a measure's figure (PRODUCT §5, seed 002 §10.5–11.1).

The use cases behind the chat surface. Each runs in one write transaction with the
(measure, period) row locked, checks the rules on the server (never trusting what a button
said), writes its audit event, and returns what the surface needs to tell people.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot import actions, outbox
from bot.errors import NotFound
from bot.measures import MeasureInfo, ValueProblem, check_value
from bot.periods import Period, PeriodError
from bot.permissions import Verdict, may_decide, may_reopen, may_submit
from bot.projects import (
    DEFAULT_AMBER_DAYS,
    MilestoneReport,
    MilestoneStanding,
    MilestoneState,
    project_ragg,
)
from bot.ragg import Ragg, Target, ragg_status, target_for
from bot.safe_text import link_problem
from bot.status import CouncilInfo
from bot.workflow import State
from storage import outbox_store
from storage import workflow_store as store
from storage.engine import read_session, write_session
from storage.models import PeriodValue

MAX_TEXT = 2900  # a Block Kit text is at most 3000 characters; leave room for labels


class WorkflowError(Exception):
    """A refusal or problem, worded for the officer who caused it."""


class Refused(WorkflowError):
    """The person may not do this (PRODUCT §5)."""


class Invalid(WorkflowError):
    """Problems with what was typed, by field (value, overview, actions, evidence, reason)."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems.values()))


class AlreadyDecided(WorkflowError):
    def __init__(self, decision: str, by: str, at: datetime) -> None:
        self.decision, self.by, self.at = decision, by, at
        super().__init__(f"This figure was already {decision} by {by} at {at:%H:%M on %d %b %Y}.")


class Superseded(WorkflowError):
    def __init__(self, version: int, newer: int, by: str) -> None:
        self.version, self.newer, self.by = version, newer, by
        super().__init__(
            f"This card is for version {version}, which {by} has since replaced "
            f"with version {newer}. Please use the newest card."
        )


@dataclass(frozen=True)
class SubmissionView:
    """A submission version as cards and messages show it."""

    id: int
    measure: MeasureInfo
    period: Period
    version: int
    value: Decimal
    overview: str
    actions: str | None
    evidence_url: str | None
    submitted_by: str
    submitted_by_name: str
    on_behalf: bool
    late: bool
    submitted_at: datetime
    deadline: date
    target: Target | None
    ragg: Ragg
    decision: str | None = None
    decided_by: str | None = None
    decided_by_name: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    deciders: tuple[str, ...] = ()  # who reviews it now, card first (permissions.reviewers_now)
    # A project's report (issue 14): each milestone as at the period's end, and why the
    # proposed RAGG is what it is; None for a measure.
    milestones: tuple[MilestoneStanding, ...] | None = None
    ragg_reason: str | None = None


@dataclass(frozen=True)
class SubmitResult:
    submission: SubmissionView
    superseded: SubmissionView | None = None  # the pending version this one replaces
    repeated: bool = False  # the same request arrived twice; nothing new was written


@dataclass(frozen=True)
class DecisionResult:
    submission: SubmissionView
    repeated: bool = False


@dataclass(frozen=True)
class Redo:
    """The version a rejected or reopened figure replaces, and why it must be redone."""

    last: SubmissionView
    decision: str  # "rejected" or "reopened"
    reason: str | None
    by: str | None  # a name
    at: datetime | None


@dataclass(frozen=True)
class SubmissionForm:
    """What the submission modal shows before anything is typed: a pending version (Edit
    before a decision) or a rejected or reopened one (Resubmit) prefills it."""

    measure: MeasureInfo
    period: Period
    deadline: date
    target: Target | None
    state: State | None  # None: nothing recorded yet
    recent: list[tuple[Period, Decimal]]
    pending: SubmissionView | None = None
    on_behalf: bool = False
    notes: list[str] = field(default_factory=list)
    actions_needed_for: str = "Red"  # or "Red or Amber" (the register's exception_reports)
    redo: Redo | None = None
    open_actions: tuple[actions.ActionView, ...] = ()  # from earlier exception reports
    today: date | None = None
    amber_days: int = DEFAULT_AMBER_DAYS  # a project's RAGG rule (issue 14)
    # A project's last approved report before this period: the form starts from its states.
    previous: tuple[Period, tuple[MilestoneReport, ...]] | None = None

    @property
    def last(self) -> SubmissionView | None:
        """The version to start from: pending, else the one rejected or reopened."""
        return self.pending or (self.redo.last if self.redo else None)


def card_recipients(view: SubmissionView) -> list[str]:
    """Who gets a version's review card: the first of those who review it now
    (`bot.permissions.reviewers_now`: the reviewer, their cover while they are away, the Head
    of Service when neither may)."""
    return list(view.deciders[:1])


def _clean(text: str | None) -> str:
    return (text or "").strip()


def would_be(measure: MeasureInfo, period: Period, value: Decimal) -> tuple[Target | None, Ragg]:
    target = target_for(measure.targets, period, cumulative=measure.rule.cumulative)
    return target, ragg_status(value, target, measure.rule)


def needs_actions(
    council: CouncilInfo, measure: MeasureInfo, period: Period, value: Decimal
) -> Ragg | None:
    """The status that makes actions to improve required (the exception report, seed 002
    §6.1.8 and Appendix 1): Red, and Amber where the council's register asks for it."""
    _, status = would_be(measure, period, value)
    return status if status in council.exception_reports else None


def milestone_field(index: int) -> str:
    """The problem key (and form field) of a project's milestone, by its register order."""
    return f"milestone_{index}"


def project_reports(
    measure: MeasureInfo, states: Sequence[str | None] | None
) -> tuple[tuple[MilestoneReport, ...] | None, dict[str, str]]:
    """A project's milestone report from the states chosen for each milestone, or the
    problems by field: every milestone needs a state."""
    given = list(states or [])
    problems: dict[str, str] = {}
    reports: list[MilestoneReport] = []
    for index, milestone in enumerate(measure.milestones):
        chosen = _clean(given[index]) if index < len(given) else ""
        try:
            state = MilestoneState(chosen)
        except ValueError:
            problems[milestone_field(index)] = (
                f"Please say where '{milestone.title}' stands: not started, on track, at risk "
                "or done."
            )
            continue
        reports.append(MilestoneReport(milestone.title, milestone.due, state))
    if problems:
        return None, problems
    return tuple(reports), {}


def exception_words(council: CouncilInfo) -> str:
    """'Red' or 'Red or Amber'."""
    return " or ".join(s.word for s in (Ragg.RED, Ragg.AMBER) if s in council.exception_reports)


def parse_period(measure: MeasureInfo, text: str | None, today: date) -> Period:
    """A typed period for `measure`, or its latest ended one when none is given."""
    if not _clean(text):
        return Period.containing(measure.interval.kind, today).previous()
    period = Period.parse(str(text))
    if period.kind is not measure.interval.kind:
        # "2025-26 Q4" for a monthly measure means its last month, and so on.
        period = period.in_interval(measure.interval)
    return period


def _may_submit_now(
    session: Session, measure: MeasureInfo, period: Period, actor: str, today: date
) -> tuple[store.SubmitFacts, Verdict]:
    """Who may submit (PRODUCT §5), and only once the period has ended."""
    facts = store.submit_facts(session, measure, period, actor, today)
    verdict = may_submit(actor, measure, admins=facts.admins, absences=facts.absences, today=today)
    if not verdict.allowed:
        raise Refused(verdict.reason)
    if period.end >= today:
        raise Refused(
            f"{measure.ref} for {period} can be submitted once the period ends on "
            f"{period.end:%a %d %b %Y}."
        )
    return facts, verdict


def _already_approved(measure: MeasureInfo, period: Period) -> str:
    """People by name (seen walking the sandbox: "ask the reviewer" left the collector to
    find out who that is)."""
    who = f"{measure.reviewer_name} (the reviewer)" if measure.reviewer_name else "the reviewer"
    return (
        f"{measure.ref} for {period} is already approved. If it needs to change, ask {who} to "
        "reopen it."
    )


def submission_form(
    engine: Engine,
    council: CouncilInfo,
    *,
    ref: str,
    period_text: str | None,
    actor: str,
    today: date,
) -> SubmissionForm:
    """Everything the modal shows, after checking the person may submit (PRODUCT §5)."""
    with read_session(engine) as session:
        measure = store.measure(session, ref)
        period = parse_period(measure, period_text, today)
        facts, verdict = _may_submit_now(session, measure, period, actor, today)
        if facts.state is State.APPROVED:
            raise Refused(_already_approved(measure, period))
        recent = store.recent_values(session, measure, period, limit=4)
        previous = store.last_milestones(session, measure, period) if measure.is_project else None
        pending = store.latest_pending(session, measure, period, council)
        found = store.to_redo(session, measure, period, council) if pending is None else None
    redo = None
    if found is not None:
        last, reason, by, at = found
        decision = "rejected" if facts.state is State.REJECTED else "reopened"
        redo = Redo(last, decision, reason, by, at)
    deadline = council.calendar.deadline(period, measure.reporting_lag)
    target = target_for(measure.targets, period, cumulative=measure.rule.cumulative)
    notes = []
    if verdict.on_behalf:
        collector = measure.collector_name or "the data collector"
        notes.append(f"You are submitting on behalf of {collector}; this is recorded.")
    if today > deadline:
        notes.append(f"The deadline was {deadline:%a %d %b}; this submission will be marked late.")
    return SubmissionForm(
        measure,
        period,
        deadline,
        target,
        facts.state,
        recent,
        pending,
        verdict.on_behalf,
        notes,
        exception_words(council),
        redo,
        tuple(actions.listing(engine, ref=measure.ref)),
        today,
        council.project_amber_days,
        previous,
    )


def submit(
    engine: Engine,
    council: CouncilInfo,
    *,
    ref: str,
    period_text: str,
    value_text: str,
    overview: str | None,
    actions: str | None,
    evidence_url: str | None,
    actor: str,
    now: datetime,
    request_key: str | None = None,
    source: str = "slack",
    milestones: Sequence[str | None] | None = None,
) -> SubmitResult:
    """Record a new version for (measure, period): validated exactly as PRODUCT §5 says.
    `source`: the chat surface it came from (`slack`, `teams`), kept on the version.

    The value is a number with no more than the measure's decimals, 0–100 for a percentage;
    the performance overview is required; actions to improve are required when the value would
    be Red (the exception report, seed 002 Appendix 1). A pending version is superseded by the
    new one; an approved one must be reopened first. The same `request_key` twice (a retried
    request) records nothing new.

    A project (issue 14) is reported by `milestones`: a state for each of its milestones, in
    register order, instead of a value; its figure is the number done, and actions to improve
    are required when the milestones make it Red (or Amber, where the register asks).
    """
    today = now.date()
    with write_session(engine) as session:
        if request_key:
            existing = store.submission_by_request(session, request_key, council)
            if existing is not None:
                return SubmitResult(existing, repeated=True)
        measure = store.measure(session, ref)
        try:
            period = parse_period(measure, period_text, today)
        except PeriodError as error:
            raise Invalid({"period": str(error)}) from None
        _, verdict = _may_submit_now(session, measure, period, actor, today)
        problems: dict[str, str] = {}
        value: Decimal | None = None
        reports: tuple[MilestoneReport, ...] | None = None
        if measure.is_project:
            reports, found_problems = project_reports(measure, milestones)
            problems |= found_problems
            if reports is not None:
                value = Decimal(sum(1 for m in reports if m.state is MilestoneState.DONE))
        else:
            try:
                value = check_value(value_text, format=measure.format, decimals=measure.decimals)
            except ValueProblem as error:
                problems["value"] = str(error)
        overview_text, actions_text = _clean(overview), _clean(actions)
        if not overview_text:
            problems["overview"] = (
                "Please write a performance overview: what the figure shows and why."
            )
        if len(overview_text) > MAX_TEXT:
            problems["overview"] = f"Please keep the overview under {MAX_TEXT} characters."
        if len(actions_text) > MAX_TEXT:
            problems["actions"] = f"Please keep the actions under {MAX_TEXT} characters."
        if reports is not None and not actions_text:
            judged = project_ragg(
                reports,
                as_at=period.end,
                calendar=council.calendar,
                amber_days=council.project_amber_days,
            )
            if judged.status in council.exception_reports:
                problems["actions"] = (
                    f"These milestones make the project {judged.status.word} "
                    f"({judged.reason}), so the exception report needs actions to improve."
                )
        elif value is not None and not actions_text and not measure.is_project:
            status = needs_actions(council, measure, period, value)
            if status is not None:
                problems["actions"] = (
                    f"This figure is {status.word} against its target, so the "
                    "exception report needs actions to improve performance."
                )
        link = _clean(evidence_url)
        link_refused = link_problem(link)
        if link_refused:
            problems["evidence"] = link_refused
        if problems:
            raise Invalid(problems)
        assert value is not None
        deadline = council.calendar.deadline(period, measure.reporting_lag)
        locked = store.lock_period_value(session, measure, period, now)
        if locked.state == State.APPROVED:
            raise Refused(_already_approved(measure, period))
        previous = (
            store.view(session, locked.latest_submission_id, council)
            if locked.state == State.SUBMITTED and locked.latest_submission_id
            else None
        )
        try:
            submission_id = store.add_submission(
                session,
                measure=measure,
                period=period,
                locked=locked,
                value=value,
                overview=overview_text,
                actions=actions_text or None,
                evidence_url=link or None,
                actor=actor,
                on_behalf=verdict.on_behalf,
                late=today > deadline,
                now=now,
                request_key=request_key,
                source=source,
                milestones=[item.as_json() for item in reports] if reports is not None else None,
            )
        except IntegrityError:
            # The same request raced itself in another thread: the first one recorded it.
            session.rollback()
            if request_key:
                existing = store.submission_by_request(session, request_key, council)
                if existing is not None:
                    return SubmitResult(existing, repeated=True)
            raise
        result = store.view(session, submission_id, council)
        outbox_store.enqueue(session, after_submit(result, previous, actor, now), now)
    outbox.committed(engine)
    return SubmitResult(result, superseded=previous)


def after_submit(
    view: SubmissionView, previous: SubmissionView | None, actor: str, now: datetime
) -> list[outbox.Item]:
    """What a new version needs sent: its review cards, the replaced version's cards marked,
    the collector's reminders closed, thanks to the submitter and fresh home pages."""
    ref, period = view.measure.ref, view.period
    deciders = card_recipients(view)
    found = [
        outbox.review_card(
            submission=view.id,
            ref=ref,
            period=period,
            version=view.version,
            to=email,
            deadline=view.deadline,
            now=now,
        )
        for email in deciders
    ]
    if previous is not None:
        found.append(outbox.card_refresh(submission=previous.id, ref=ref, period=period, now=now))
    found.append(
        outbox.close_reminders(
            ref=ref, period=period, version=view.version, by=view.submitted_by_name, now=now
        )
    )
    found.append(
        outbox.notice(
            notice=outbox.SUBMITTED,
            submission=view.id,
            event=str(view.id),
            to=actor,
            ref=ref,
            period=period,
            now=now,
            reviewers=deciders,
        )
    )
    found += outbox.homes([actor, *deciders, view.measure.collector], now)
    return found


def decide(
    engine: Engine,
    council: CouncilInfo,
    *,
    submission_id: int,
    decision: Literal["approved", "rejected"],
    reason: str | None,
    actor: str,
    now: datetime,
) -> DecisionResult:
    """Approve or reject the exact version on the card (PRODUCT §5).

    Refused, saying why and who decided, for an older version, a second decision, or anyone
    not allowed; exactly one decision is recorded even when several arrive at once (the
    (measure, period) row is locked and a submission has at most one review).
    """
    today = now.date()
    with write_session(engine) as session:
        locked = store.lock_for_submission(session, submission_id, now)
        if locked is None:
            raise NotFound("That submission no longer exists.")
        current = store.view(session, submission_id, council)  # read under the lock
        if (
            current.decision is not None
            and current.decided_by == actor
            and current.decision == decision
        ):
            return DecisionResult(current, repeated=True)
        _check_decidable(session, current, actor, today, now, locked)
        reason_text = _clean(reason)
        if decision == "rejected" and not reason_text:
            raise Invalid({"reason": "Please say why, so the collector knows what to fix."})
        if len(reason_text) > MAX_TEXT:
            raise Invalid({"reason": f"Please keep the reason under {MAX_TEXT} characters."})
        try:
            decided_by_name = store.add_review(
                session,
                submission=current,
                decision=decision,
                reason=reason_text or None,
                actor=actor,
                now=now,
            )
        except IntegrityError:
            session.rollback()
            again = store.view(session, submission_id, council)
            raise AlreadyDecided(
                again.decision or decision,
                again.decided_by_name or "someone",
                (again.decided_at or now).astimezone(now.tzinfo),
            ) from None
        # the view as it now stands, without reading it a third time
        result = replace(
            current,
            decision=decision,
            decided_by=actor,
            decided_by_name=decided_by_name,
            decided_at=now.astimezone(UTC),  # as the database gives it back
            reason=reason_text or None,
        )
        if decision == "approved":
            actions.record_approved(session, result, now)  # the exception report's actions
        outbox_store.enqueue(session, after_decision(result, actor, now), now)
    outbox.committed(engine)
    return DecisionResult(result)


def after_decision(view: SubmissionView, actor: str, now: datetime) -> list[outbox.Item]:
    """What a decision needs sent: every copy of the card rewritten, the submitter and the
    collector told, home pages refreshed, and posted summaries corrected after a late
    approval."""
    ref, period = view.measure.ref, view.period
    found = [outbox.card_refresh(submission=view.id, ref=ref, period=period, now=now)]
    found += [
        outbox.notice(
            notice=outbox.DECIDED,
            submission=view.id,
            event=str(view.id),
            to=email,
            ref=ref,
            period=period,
            now=now,
        )
        for email in dict.fromkeys(e for e in (view.submitted_by, view.measure.collector) if e)
    ]
    found += outbox.homes([actor, view.submitted_by, view.measure.collector], now)
    if view.decision == State.APPROVED.value:
        found.append(
            outbox.correction(
                ref=ref, period=period, review=view.id, by=view.decided_by_name or actor, now=now
            )
        )
    return found


def _check_decidable(
    session: Session,
    current: SubmissionView,
    actor: str,
    today: date,
    now: datetime,
    locked: PeriodValue | None = None,
) -> None:
    """Raise why `actor` may not decide `current` now (`locked`: its (measure, period) row,
    when the caller holds it already)."""
    if current.decision is not None:
        raise AlreadyDecided(
            current.decision,
            current.decided_by_name or "someone",
            (current.decided_at or now).astimezone(now.tzinfo),  # stored UTC; told in local time
        )
    latest = (
        locked.latest_submission_id
        if locked is not None
        else store.latest_submission_id(session, current.measure, current.period)
    )
    if latest is not None and latest != current.id:
        newer = store.latest_submission(session, current.measure, current.period)
        assert newer is not None
        raise Superseded(current.version, newer.version, newer.submitted_by_name)
    away = store.absences(session, [current.measure.collector, current.measure.reviewer], today)
    verdict = may_decide(actor, current.measure, current.submitted_by, absences=away, today=today)
    if not verdict.allowed:
        raise Refused(verdict.reason)


def check_decidable(
    engine: Engine, council: CouncilInfo, *, submission_id: int, actor: str, now: datetime
) -> SubmissionView:
    """Raise what `decide` would refuse with, without writing (before opening a reject form)."""
    with read_session(engine) as session:
        current = store.view(session, submission_id, council)
        _check_decidable(session, current, actor, now.date(), now)
        return current


def reopen(
    engine: Engine,
    council: CouncilInfo,
    *,
    ref: str,
    period_text: str,
    reason: str | None,
    actor: str,
    now: datetime,
    submission_id: int | None = None,
) -> SubmissionView:
    """Reopen an approved figure, with a reason (reviewer, Head of Service or admin).

    With `submission_id` (from a card), only that approved version may be reopened.
    """
    with write_session(engine) as session:
        measure = store.measure(session, ref)
        period = parse_period(measure, period_text, now.date())
        admins = store.admins(session)
        verdict = may_reopen(actor, measure, admins=admins)
        if not verdict.allowed:
            raise Refused(verdict.reason)
        if not _clean(reason):
            raise Invalid({"reason": "Please say why the figure is being reopened."})
        locked = store.lock_period_value(session, measure, period, now)
        if locked.state != State.APPROVED or locked.approved_submission_id is None:
            raise Refused(
                f"{measure.ref} for {period} is not approved, so there is nothing to reopen."
            )
        if submission_id is not None and locked.approved_submission_id != submission_id:
            raise Refused(
                f"This card's figure for {measure.ref} {period} is no longer the approved one; "
                "it was reopened or replaced since."
            )
        store.mark_reopened(
            session, locked=locked, reason=_clean(reason), actor=actor, now=now, ref=measure.ref
        )
        reopened = store.view(session, locked.approved_submission_id, council)
        by = store.name_of(session, actor)
        outbox_store.enqueue(session, after_reopen(reopened, actor, by, _clean(reason), now), now)
    outbox.committed(engine)
    return reopened


def after_reopen(
    view: SubmissionView, actor: str, by: str, reason: str, now: datetime
) -> list[outbox.Item]:
    """What a reopening needs sent: the card says so, the collector (and the submitter) are
    asked to resubmit, home pages refreshed."""
    ref, period = view.measure.ref, view.period
    note = f"Reopened by {by} at {now:%H:%M on %a %d %b %Y}: {reason}"
    found = [outbox.card_refresh(submission=view.id, ref=ref, period=period, now=now, note=note)]
    event = f"{view.id}@{now.isoformat()}"
    found += [
        outbox.notice(
            notice=outbox.REOPENED,
            submission=view.id,
            event=event,
            to=email,
            ref=ref,
            period=period,
            now=now,
            by=actor,
            reason=reason,
        )
        for email in dict.fromkeys(e for e in (view.measure.collector, view.submitted_by) if e)
    ]
    found += outbox.homes([actor, view.measure.collector], now)
    return found


def check_reopenable(
    engine: Engine, council: CouncilInfo, *, submission_id: int, actor: str
) -> SubmissionView:
    """Raise what `reopen` would refuse with for this card, without writing."""
    with read_session(engine) as session:
        view = store.view(session, submission_id, council)
        verdict = may_reopen(actor, view.measure, admins=store.admins(session))
        if not verdict.allowed:
            raise Refused(verdict.reason)
        latest = store.approved_submission_id(session, view.measure, view.period)
        if latest != submission_id:
            raise Refused(
                f"This card's figure for {view.measure.ref} {view.period} is no longer the "
                "approved one; it was reopened or replaced since."
            )
        return view


def pending_view(engine: Engine, council: CouncilInfo, submission_id: int) -> SubmissionView:
    with read_session(engine) as session:
        return store.view(session, submission_id, council)


__all__ = [
    "AlreadyDecided",
    "DecisionResult",
    "Invalid",
    "NotFound",
    "Redo",
    "Refused",
    "SubmissionForm",
    "SubmissionView",
    "SubmitResult",
    "Superseded",
    "WorkflowError",
    "card_recipients",
    "check_decidable",
    "check_reopenable",
    "decide",
    "exception_words",
    "needs_actions",
    "reopen",
    "submission_form",
    "submit",
]
