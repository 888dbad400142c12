"""Use cases for the command line (and, later, the chat surface): import, status, calendar.

Each takes the engine and the moment it runs (`now`, `today`) as arguments; nothing here
reads the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine
from sqlmodel import Session, select

from bot import actions, outbox
from bot.actuals import Actual, parse_actuals, sort_actuals
from bot.errors import InputRejected, LocatedError
from bot.measures import MeasureInfo
from bot.periods import Period, PeriodKind, periods_of_year
from bot.published import RESTATING, Change, restatements
from bot.register import check_file, load_register
from bot.reminders import Kind
from bot.status import (
    CouncilInfo,
    Publication,
    StatusReport,
    build_report,
    resolve_scope,
    wanted_periods,
    with_restatements,
)
from bot.submissions import after_submit, card_recipients
from bot.workflow import State
from storage import outbox_store, queries, summary_store, workflow_store
from storage.engine import read_session, write_session
from storage.models import Person
from storage.register_store import (
    ActualsReport,
    ImportReport,
    active_refs,
    apply_register,
    log_unchanged_import,
    store_actuals,
    unchanged_import,
)


class DryRun(Exception):
    """Raised inside a dry-run import to roll everything back after the work is done."""


def import_register(
    engine: Engine,
    path: Path,
    *,
    actor: str,
    now: datetime,
    dry_run: bool = False,
    retire_missing: bool = False,
) -> ImportReport:
    """Validate a register file and apply it all-or-nothing (PRODUCT §3).

    A measure the database has but the file leaves out is retired only when the importer says
    so (`retire_missing`): a file cut short, filtered in a spreadsheet or holding only its
    header would otherwise retire measures without anyone meaning to.
    """
    check_file(path, "register")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    with read_session(engine) as session:
        measures = unchanged_import(session, digest)
    if measures is not None:  # the very file last imported, and nothing changed since
        with write_session(engine) as session:
            measures = unchanged_import(session, digest)
            if measures is not None:
                if dry_run:
                    return ImportReport(unchanged=measures)
                return log_unchanged_import(
                    session,
                    actor=actor,
                    at=now,
                    source=path.name,
                    digest=digest,
                    measures=measures,
                )
    spec = load_register(path)
    report = ImportReport()
    try:
        with write_session(engine) as session:
            if not retire_missing:
                listed = {measure.ref for _, _, measure in spec.measures()}
                # A CSV or XLSX register holds measures only; its projects are left alone.
                found = active_refs(session, projects=spec.council is not None)
                left_out = sorted(found - listed)
                if left_out:
                    raise InputRejected([_would_retire(path.name, left_out, listed)], "register")
            report = apply_register(
                session=session, spec=spec, actor=actor, at=now, source=path.name, digest=digest
            )
            if dry_run:
                raise DryRun
    except DryRun:
        pass
    return report


def _would_retire(file: str, left_out: list[str], listed: set[str]) -> LocatedError:
    count = len(left_out)
    if not listed:
        what = (
            f"the file lists no measures, so importing it would retire all {count} measures "
            "in the database"
        )
    else:
        names = ", ".join(left_out[:10]) + (f" and {count - 10} more" if count > 10 else "")
        noun = "measure is" if count == 1 else "measures are"
        what = f"{count} {noun} in the database but not in this file ({names})"
    return LocatedError(
        file,
        None,
        None,
        f"{what}. If they should no longer be reported, import it again with --retire-missing "
        "(retired measures keep their history and come back when imported again); otherwise "
        "add them to the file",
    )


def import_actuals(
    engine: Engine, path: Path, *, actor: str, now: datetime, today: date
) -> ActualsReport:
    """Load values from a file without skipping review (PRODUCT §3–4, seed 002 §10.5).

    `actor` is the person importing, by their e-mail in the register. Periods whose
    Performance Board date has passed (on `today`) are history, stored as approved with an
    audit event naming the importer. A row for a later period becomes a submission from the
    importer, exactly as if made in chat: it must carry actions when Red (or Amber, where the
    council asks), it may not replace an approved figure, and its review card is queued in the
    outbox, which the running bot delivers. Admins may import for any measure, recorded as
    on behalf of the collector. All or nothing: any problem refuses the whole file.
    """
    file = path.name
    actor = actor.strip().lower()
    with read_session(engine) as session:
        measures = queries.load_measures(session, active_only=False)
        council = queries.load_council(session) or CouncilInfo(name="The council")
        importer = queries.person(session, actor)
        admins = workflow_store.admins(session)
        away = workflow_store.absences(session, None, today)
        everyone = list(session.exec(select(Person)))
    people = actions.people_keys(everyone)
    names = {person.email: person.name for person in everyone}
    if not measures:
        raise InputRejected(
            [LocatedError(file, None, None, "the register is empty: import the register first")],
            "actuals file",
        )
    actuals = parse_actuals(path, measures, today, people, names)
    if importer is None:
        raise InputRejected(
            [
                LocatedError(
                    file,
                    None,
                    None,
                    f"'{actor}' is not a person in the register. Whoever imports figures is "
                    "named by their e-mail as the register gives it (with --by), so that "
                    "figures still open for review are their submissions",
                )
            ],
            "actuals file",
        )
    found = sort_actuals(
        actuals,
        measures,
        council,
        file=file,
        importer=actor,
        admins=admins,
        absences=away,
        today=today,
    )
    with write_session(engine) as session:
        report = store_actuals(
            session=session, actuals=found.history, actor=actor, at=now, source=file
        )
        _submit_for_review(
            session, found.for_review, measures, council, actor, now, report, file=file
        )
    return report


def _submit_for_review(
    session: Session,
    rows: list[Actual],
    measures: Mapping[str, MeasureInfo],
    council: CouncilInfo,
    actor: str,
    now: datetime,
    report: ActualsReport,
    *,
    file: str,
) -> None:
    """Each open-period row as a new submission version from `actor`: its review card, the
    replaced version's cards, the collector's reminders and home pages go to the outbox, as a
    chat submission's do, for the running bot to send."""
    today = now.date()
    errors: list[LocatedError] = []
    following: list[outbox.Item] = []
    names = queries.names(session)
    for row in rows:
        measure = measures[row.ref]
        locked = workflow_store.lock_period_value(session, measure, row.period, now)
        if locked.state == State.APPROVED.value and locked.latest_submission_id is not None:
            if locked.approved_value == row.value:
                report.unchanged += 1
                continue
            errors.append(
                LocatedError(
                    file,
                    row.where,
                    "value",
                    f"{row.ref} {row.period} is already approved at "
                    f"{measure.format_value(locked.approved_value)}; to change it, ask its "
                    "reviewer to reopen it first",
                )
            )
            continue
        pending = None
        if locked.state == State.SUBMITTED.value and locked.latest_submission_id is not None:
            pending = workflow_store.view(session, locked.latest_submission_id, council)
            if (pending.value, pending.overview) == (row.value, row.commentary) and (
                row.milestones is None
                or [item.report for item in pending.milestones or ()] == list(row.milestones)
            ):
                report.pending_unchanged += 1
                continue
        deadline = council.calendar.deadline(row.period, measure.reporting_lag)
        submission_id = workflow_store.add_submission(
            session,
            measure=measure,
            period=row.period,
            locked=locked,
            value=row.value,
            overview=row.commentary,
            actions=row.actions or None,
            evidence_url=row.evidence or None,
            actor=actor,
            on_behalf=row.on_behalf,
            late=today > deadline,
            now=now,
            request_key=None,
            source="import",
            milestones=[item.as_json() for item in row.milestones]
            if row.milestones is not None
            else None,
        )
        view = workflow_store.view(session, submission_id, council)
        recipients = card_recipients(view)
        report.for_review[f"{row.ref} {row.period}"] = [
            names.get(email, email) for email in recipients
        ]
        following += [
            item
            for item in after_submit(view, pending, actor, now)
            if item.kind is not Kind.NOTICE  # the importer reads the import's own report
        ]
    if errors:
        raise InputRejected(errors, "actuals file")
    outbox_store.enqueue(session, following, now)


def admins(engine: Engine) -> list[str]:
    """The register's admins (Performance & Policy Officers), by e-mail."""
    with read_session(engine) as session:
        return sorted(workflow_store.admins(session))


def measures(engine: Engine) -> dict[str, MeasureInfo]:
    """Every measure still reported, in register order."""
    with read_session(engine) as session:
        return queries.load_measures(session)


def council_info(engine: Engine) -> CouncilInfo:
    with read_session(engine) as session:
        return queries.load_council(session) or CouncilInfo(name="The council")


def status(engine: Engine, ref: str | None, period: Period | None, *, today: date) -> StatusReport:
    """Status of a measure, aim, priority or the whole council (PRODUCT §4, §8).

    As at a quarter whose figures were published, figures changed since are marked restated,
    with who, when and why.
    """
    with read_session(engine) as session:
        council = queries.load_council(session) or CouncilInfo(name="The council")
        measures = queries.load_measures(session)
        scope = resolve_scope(measures, ref)
        recorded = queries.load_recorded(session, wanted_periods(scope.measures, period, today))
        report = build_report(council, scope, period, recorded, today=today)
        if period is not None and Period.containing(PeriodKind.QUARTER, period.end).end == (
            period.end
        ):
            report = _mark_restated(
                session, report, Period.containing(PeriodKind.QUARTER, period.end)
            )
    return report


def _mark_restated(session: Session, report: StatusReport, quarter: Period) -> StatusReport:
    stored = summary_store.latest_published(session, quarter.label)
    if stored is None:
        return report
    keys = [f"{row.measure.ref} {row.period}" for row in report.rows]
    events = summary_store.changes_since(session, keys, stored.published_at, RESTATING)
    names = queries.names(session, [stored.published_by, *(event.actor for event in events)])
    changes = [
        Change(
            key=event.entity_key,
            action=event.action,
            by=names.get(event.actor, event.actor),
            at=event.at,
            reason=(event.after or {}).get("reason") if isinstance(event.after, dict) else None,
        )
        for event in events
    ]
    published = Publication(
        stored.published_at, names.get(stored.published_by, stored.published_by), stored.occasion
    )
    return with_restatements(
        report, published, restatements(stored.published_at, stored.rows, changes)
    )


@dataclass(frozen=True)
class CalendarEntry:
    ref: str
    period: Period
    deadline: date

    def as_json(self) -> dict[str, str]:
        return {
            "ref": self.ref,
            "period": self.period.label,
            "period_end": self.period.end.isoformat(),
            "deadline": self.deadline.isoformat(),
        }


def calendar(engine: Engine, fy: int) -> tuple[CouncilInfo, list[CalendarEntry]]:
    """Every measure's periods in financial year `fy`, with period ends and deadlines."""
    with read_session(engine) as session:
        council = queries.load_council(session) or CouncilInfo(name="The council")
        measures = queries.load_measures(session)
    working = council.calendar
    entries = [
        CalendarEntry(measure.ref, period, working.deadline(period, measure.reporting_lag))
        for measure in measures.values()
        for period in periods_of_year(measure.interval, fy)
    ]
    entries.sort(key=lambda entry: (entry.deadline, entry.ref))
    return council, entries
