"""Use cases for the command line (and, later, the chat surface): import, status, calendar.

Each takes the engine and the moment it runs (`now`, `today`) as arguments; nothing here
reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import Engine

from bot.actuals import parse_actuals
from bot.errors import InputRejected, LocatedError
from bot.periods import Period, periods_of_year
from bot.register import load_register
from bot.status import CouncilInfo, StatusReport, build_report, resolve_scope, wanted_periods
from storage import queries
from storage.engine import read_session, write_session
from storage.register_store import (
    ActualsReport,
    ImportReport,
    active_refs,
    apply_register,
    store_actuals,
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
    spec = load_register(path)
    report = ImportReport()
    try:
        with write_session(engine) as session:
            if not retire_missing:
                listed = {measure.ref for _, _, measure in spec.measures()}
                left_out = sorted(active_refs(session) - listed)
                if left_out:
                    raise InputRejected([_would_retire(path.name, left_out, listed)], "register")
            report = apply_register(
                session=session, spec=spec, actor=actor, at=now, source=path.name
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
    """Store historical values as approved, with an audit event naming the importer."""
    with read_session(engine) as session:
        measures = queries.load_measures(session, active_only=False)
    if not measures:
        raise InputRejected(
            [
                LocatedError(
                    path.name, None, None, "the register is empty: import the register first"
                )
            ],
            "actuals file",
        )
    actuals = parse_actuals(path, measures, today)
    with write_session(engine) as session:
        return store_actuals(
            session=session, actuals=actuals, actor=actor, at=now, source=path.name
        )


def council_info(engine: Engine) -> CouncilInfo:
    with read_session(engine) as session:
        return queries.load_council(session) or CouncilInfo(name="The council")


def status(engine: Engine, ref: str | None, period: Period | None, *, today: date) -> StatusReport:
    """Status of a measure, aim, priority or the whole council (PRODUCT §4, §8)."""
    with read_session(engine) as session:
        council = queries.load_council(session) or CouncilInfo(name="The council")
        measures = queries.load_measures(session)
        scope = resolve_scope(measures, ref)
        recorded = queries.load_recorded(session, wanted_periods(scope.measures, period, today))
    return build_report(council, scope, period, recorded, today=today)


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
