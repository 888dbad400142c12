"""Read queries that hand the core its plain data (a bounded number of queries each)."""

from __future__ import annotations

import threading
import weakref
from collections.abc import Collection, Iterable, Mapping
from datetime import date, time
from typing import Any

from sqlalchemy import Engine, bindparam
from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from bot.calendar import Region
from bot.chain import ApprovalChain
from bot.measures import MeasureInfo
from bot.periods import Interval, Period
from bot.projects import milestones_from_json, reports_from_json
from bot.ragg import Polarity, Ragg, Rule
from bot.ragg import Target as TargetValue
from bot.register import Format
from bot.reminders import Policy
from bot.status import DEFAULT_EXCEPTIONS, CouncilInfo, Recorded
from storage.engine import plain
from storage.models import (
    Aim,
    Council,
    Measure,
    PeriodValue,
    Person,
    Priority,
    Submission,
    Target,
)


def load_council(session: Session) -> CouncilInfo | None:
    council = session.exec(select(Council)).first()
    if council is None:
        return None
    return CouncilInfo(
        name=council.name,
        region=Region(council.region),
        closure_days=frozenset(date.fromisoformat(day) for day in council.closure_days),
        performance_board_weeks=council.performance_board_weeks,
        committee_dates={
            key: [date.fromisoformat(day) for day in days]
            for key, days in council.committee_dates.items()
        },
        channels=council.channels,
        reminders=policy_from(council.reminders or {}),
        exception_reports=frozenset(Ragg(status) for status in council.exception_reports)
        if council.exception_reports
        else DEFAULT_EXCEPTIONS,
        chain=ApprovalChain.from_stored(council.chain) if council.chain else None,
        project_amber_days=council.project_amber_days,
    )


def policy_from(stored: Mapping[str, Any]) -> Policy:
    if not stored:
        return Policy()
    hour, minute = (int(part) for part in str(stored.get("at", "09:00")).split(":"))
    return Policy(
        before=tuple(int(n) for n in stored.get("before", (5, 1))),
        deadline_day=bool(stored.get("deadline_day", True)),
        at=time(hour, minute),
        review_after=int(stored.get("review_after", 2)),
        escalate=bool(stored.get("escalate", True)),
        overdue_every=int(stored.get("overdue_every", 2)),
    )


# The register as the core sees it, per engine, with the council's register version it was
# read at. Every register import that changes anything bumps the version in the same
# transaction, so an unchanged version means an unchanged register: one tiny query instead of
# five large ones, however many decisions and submissions happen in between.
_CATALOGUE: weakref.WeakKeyDictionary[Engine, tuple[int, dict[str, MeasureInfo]]] = (
    weakref.WeakKeyDictionary()
)
# the same with retired measures too (imports, history), read the first time it is asked for
_EVERY: weakref.WeakKeyDictionary[Engine, tuple[int, dict[str, MeasureInfo]]] = (
    weakref.WeakKeyDictionary()
)
_CATALOGUE_LOCK = threading.Lock()


_REGISTER_VERSION = sa_select(col(Council.register_version))  # built once: asked on every read


def load_measures(
    session: Session, *, active_only: bool = True, refs: Collection[str] | None = None
) -> dict[str, MeasureInfo]:
    """Measures as the core sees them (all, or those in `refs`), keyed by ref, in register
    order; five queries whatever their number, or one when the register is unchanged since
    the last full read."""
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    # A write session binds an engine *with options* (SQLite's BEGIN IMMEDIATE): a new object
    # each time, so the cache is kept on the engine it was made from.
    while isinstance(getattr(engine, "_proxied", None), Engine):
        engine = engine._proxied  # type: ignore[attr-defined]
    version = plain(session, _REGISTER_VERSION).scalars().first() or 0
    with _CATALOGUE_LOCK:
        cached = _CATALOGUE.get(engine)
    if cached is None or cached[0] != version:
        catalogue = _load_measures(session, active_only=True, refs=None)
        with _CATALOGUE_LOCK:
            _CATALOGUE[engine] = (version, catalogue)
    else:
        catalogue = cached[1]
    if refs is None:
        if active_only:
            return dict(catalogue)
        with _CATALOGUE_LOCK:
            every = _EVERY.get(engine)
        if every is None or every[0] != version:
            every = (version, _load_measures(session, active_only=False, refs=None))
            with _CATALOGUE_LOCK:
                _EVERY[engine] = every
        return dict(every[1])
    if all(ref in catalogue for ref in refs):  # retired measures are not in the catalogue
        return {ref: info for ref, info in catalogue.items() if ref in refs}
    return _load_measures(session, active_only=active_only, refs=refs)


def _load_measures(
    session: Session, *, active_only: bool, refs: Collection[str] | None
) -> dict[str, MeasureInfo]:
    # plain rows, not ORM objects: a 10,000-measure register is 10,000 measures and 50,000
    # targets, and building an ORM object for each was most of the read
    everyone = session.execute(sa_select(col(Person.id), col(Person.email), col(Person.name))).all()
    people = {person.id: person.email for person in everyone}
    names = {person.id: person.name for person in everyone}
    aims = {aim.id: aim for aim in session.exec(select(Aim))}
    priorities = {priority.id: priority for priority in session.exec(select(Priority))}
    measure, target_table = Measure.__table__, Target.__table__  # type: ignore[attr-defined]
    query = sa_select(measure).order_by(measure.c.position)
    if active_only:
        query = query.where(measure.c.active.is_(True))
    target_query = sa_select(target_table)
    if refs is not None:
        query = query.where(measure.c.ref.in_(sorted(refs)))
        target_query = target_query.join(measure).where(measure.c.ref.in_(sorted(refs)))
    rows = list(session.execute(query))
    targets: dict[int, dict[Period, TargetValue]] = {}
    for target in session.execute(target_query):
        targets.setdefault(target.measure_id, {})[Period.parse(target.period)] = TargetValue(
            target.low, target.high
        )
    found: dict[str, MeasureInfo] = {}
    for row in rows:
        assert row.id is not None
        aim = aims[row.aim_id]
        found[row.ref] = MeasureInfo(
            ref=row.ref,
            title=row.title,
            priority=priorities[aim.priority_id].code,
            priority_name=priorities[aim.priority_id].name,
            aim_title=aim.title,
            baseline_period=row.baseline_period,
            baseline_value=row.baseline_value,
            benchmarking=row.benchmarking,
            data_source=row.data_source,
            confidence=row.confidence,
            aim=aim.code,
            interval=Interval(row.interval),
            reporting_lag=row.reporting_lag,
            format=Format(row.format),
            decimals=row.decimals,
            rule=Rule(
                polarity=Polarity(row.polarity),
                tolerance=row.tolerance,
                tolerance_abs=row.tolerance_abs,
                monitoring_only=row.monitoring_only,
                interval=Interval(row.interval),
                cumulative=row.cumulative,
            ),
            targets=targets.get(row.id, {}),
            committee=row.committee,
            units=row.units,
            units_one=row.units_one,
            definition=row.definition,
            collector=people.get(row.collector_id),
            cover=people.get(row.cover_id) if row.cover_id else None,
            reviewer=people.get(row.reviewer_id),
            head_of_service=people.get(row.head_of_service_id),
            head_of_service_name=names.get(row.head_of_service_id),
            collector_name=names.get(row.collector_id),
            reviewer_name=names.get(row.reviewer_id),
            purpose=row.purpose,
            worked_example=row.worked_example,
            quality_assurance=row.quality_assurance,
            strategic_lead_name=(
                names.get(row.strategic_lead_id) if row.strategic_lead_id else None
            ),
            kind=row.kind,
            milestones=milestones_from_json(row.milestones),
        )
    return found


REFS_IN_QUERY = 400  # more than this: read the period's rows for every measure and keep those


def load_recorded(
    session: Session, wanted: Mapping[str, Iterable[Period]]
) -> dict[tuple[str, Period], Recorded]:
    """What is recorded for the wanted (measure, period) pairs, with the approved commentary.

    One query, whatever the number of measures: the period labels wanted are few (a report
    looks at one period and its two comparisons per interval), so filter on those and keep the
    wanted pairs.
    """
    pairs = {(ref, period.label) for ref, periods in wanted.items() for period in periods}
    labels = sorted({label for _, label in pairs})
    if not labels:
        return {}
    query = (
        sa_select(
            col(Measure.ref),
            col(PeriodValue.period),
            col(PeriodValue.state),
            col(PeriodValue.approved_value),
            col(Submission.overview),
            col(Submission.actions),
            col(Submission.milestones),
        )
        .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
        .outerjoin(Submission, col(Submission.id) == col(PeriodValue.approved_submission_id))
        .where(col(PeriodValue.period).in_(labels))
    )
    if len(wanted) == 1:
        query = query.where(col(Measure.ref) == next(iter(wanted)))
    elif len(wanted) <= REFS_IN_QUERY:  # an aim or a priority: only its measures' rows
        query = query.where(col(Measure.ref).in_(sorted(wanted)))
    found: dict[tuple[str, Period], Recorded] = {}
    for ref, label, state, value, overview, actions, milestones in session.execute(query):
        if (ref, label) in pairs:
            found[(ref, Period.parse(label))] = Recorded(
                state, value, overview, actions, reports_from_json(milestones)
            )
    return found


def late_figures(session: Session, wanted: Iterable[tuple[str, Period]]) -> set[tuple[str, Period]]:
    """Of the wanted (measure, period) pairs, those whose approved figure was submitted after
    its deadline (flagged late in the committee paper)."""
    pairs = {(ref, period.label) for ref, period in wanted}
    labels = sorted({label for _, label in pairs})
    if not labels:
        return set()
    query = (
        sa_select(col(Measure.ref), col(PeriodValue.period))
        .join(Measure, col(Measure.id) == col(PeriodValue.measure_id))
        .join(Submission, col(Submission.id) == col(PeriodValue.approved_submission_id))
        .where(col(PeriodValue.period).in_(labels), col(Submission.late).is_(True))
    )
    return {
        (ref, Period.parse(label)) for ref, label in session.execute(query) if (ref, label) in pairs
    }


def person(session: Session, email: str) -> Person | None:
    return session.exec(select(Person).where(Person.email == email.strip().lower())).first()


_NAME_OF = sa_select(col(Person.name)).where(col(Person.email) == bindparam("email"))


def name_of(session: Session, email: str) -> str | None:
    """The name of the person with this e-mail, or None if none: a plain row from a
    prebuilt statement (the home page asks on every refresh)."""
    return plain(session, _NAME_OF, {"email": email.strip().lower()}).scalars().first()


_EVERY_NAME = sa_select(col(Person.email), col(Person.name))
_NAMES = _EVERY_NAME.where(col(Person.email).in_(bindparam("emails", expanding=True)))


def names(session: Session, emails: Iterable[str] | None = None) -> dict[str, str]:
    """E-mail → name, of these people (everyone when None): people are shown by name."""
    if emails is None:
        return {email: name for email, name in plain(session, _EVERY_NAME)}
    wanted = sorted({email for email in emails if email})
    if not wanted:
        return {}
    return {email: name for email, name in plain(session, _NAMES, {"emails": wanted})}
