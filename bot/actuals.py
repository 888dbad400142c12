"""Historical and bulk values ("actuals") from CSV or XLSX (PRODUCT §3, §4).

Columns `ref, period, value, commentary`, and optionally `actions` and `evidence`. For a project
(issue 14) `value` holds each milestone's state in register order, separated by semicolons
("done; on track; at risk; not started"); its figure is the number done. Every row is
checked against its measure exactly as a submission would be; any problem rejects the whole
file, with every problem located.

Review cannot be skipped (seed 002 §10.5): only figures for periods whose Performance Board
date has passed are history, stored as approved. A row for a later period is a submission from
the person importing, and goes to its reviewer like one made in chat (`sort_actuals`).
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.actions import SEPARATOR, Planned, as_words, check
from bot.errors import InputRejected, LocatedError
from bot.measures import Format, MeasureInfo, ValueProblem, check_value
from bot.periods import Period, PeriodError, PeriodKind
from bot.permissions import Absence, may_submit
from bot.projects import MilestoneReport, MilestoneState, project_ragg
from bot.ragg import ragg_status, target_for
from bot.register import check_file, read_csv_rows, read_xlsx_rows
from bot.status import CouncilInfo

COLUMNS = ("ref", "period", "value", "commentary", "actions", "evidence")
MAX_TEXT = 2900  # as in a submission: a Block Kit text is at most 3000 characters
_KIND_EXAMPLE = {
    "month": "a month such as 2025-07",
    "quarter": "a quarter such as 2025-26 Q1",
    "half": "a half-year such as 2025-26 H1",
    "year": "a year such as 2025-26",
}


@dataclass(frozen=True, slots=True)
class Actual:
    ref: str
    period: Period
    value: Decimal
    commentary: str
    where: str  # "row 7"
    actions: str = ""
    evidence: str = ""
    on_behalf: bool = False  # imported by an admin for a measure that is not theirs
    planned: tuple[Planned, ...] = ()  # the actions, one per line, to track (bot.actions)
    milestones: tuple[MilestoneReport, ...] | None = None  # a project's report

    def behalf(self, on_behalf: bool) -> Actual:
        """This row with `on_behalf` set: `dataclasses.replace(self, on_behalf=…)` without its
        generic cost (an admin's import of a big history sets it on every row)."""
        return Actual(
            self.ref,
            self.period,
            self.value,
            self.commentary,
            self.where,
            self.actions,
            self.evidence,
            on_behalf,
            self.planned,
            self.milestones,
        )


_STATE_WORDS = {state.words.lower(): state for state in MilestoneState} | {
    state.value: state for state in MilestoneState
}


def milestone_states(text: str, measure: MeasureInfo) -> tuple[MilestoneReport, ...]:
    """A project's milestone states from 'done; on track; at risk; not started' (register
    order); ValueProblem, in words for the officer, when they do not fit."""
    words = [part.strip().lower() for part in text.split(";")]
    if len(words) != len(measure.milestones):
        raise ValueProblem(
            f"{measure.ref} has {len(measure.milestones)} milestones, so give "
            f"{len(measure.milestones)} states separated by semicolons, in register order "
            f"(found {len(words) if text.strip() else 0})"
        )
    reports = []
    for milestone, word in zip(measure.milestones, words, strict=True):
        state = _STATE_WORDS.get(word.replace("_", " ")) or _STATE_WORDS.get(word)
        if state is None:
            raise ValueProblem(
                f"'{word}' for '{milestone.title}' is not a milestone state; use not started, "
                "on track, at risk or done"
            )
        reports.append(MilestoneReport(milestone.title, milestone.due, state))
    return tuple(reports)


def read_rows(path: Path) -> tuple[str, list[list[Any]]]:
    """The file's rows and the prefix for locations ("" or "sheet actuals, "). Size-capped
    like a register file."""
    what = "actuals file"
    check_file(path, what)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "", read_csv_rows(path, what)
    if suffix == ".xlsx":
        title, rows = read_xlsx_rows(path, ("actuals", "values"), what)
        return f"sheet {title}, ", rows
    raise InputRejected([LocatedError(path.name, None, None, "use a .csv or .xlsx file")], what)


def parse_actuals(
    path: Path,
    measures: Mapping[str, MeasureInfo],
    today: date,
    people: Mapping[str, str] | None = None,
    names: Mapping[str, str] | None = None,
) -> list[Actual]:
    """Read and check an actuals file; raise `InputRejected` listing every problem.

    The `actions` column holds the exception report's actions, one per line, each tracked
    (bot.actions): `what will be done | owner's e-mail | due date | progress`, the last three
    optional. `people` maps register names and e-mails (lower case) to e-mails; every owner
    must be one of them. The exception report keeps the actions in words, people by name
    (`names`: e-mail to name): 'Chase consultees (owner: Sam Lee, due 30 Jun 2026)'."""
    prefix, rows = read_rows(path)
    file = path.name
    errors: list[LocatedError] = []

    def problem(where: str | None, field: str | None, message: str) -> None:
        errors.append(LocatedError(file, where, field, message))

    if not rows:
        raise InputRejected([LocatedError(file, None, None, "the file is empty")], "actuals file")
    header = [str(cell or "").strip().lower() for cell in rows[0]]
    missing = [name for name in COLUMNS[:3] if name not in header]
    if missing:
        problem(
            f"{prefix}row 1",
            None,
            f"the header must name the columns {', '.join(COLUMNS[:3])} (and may name "
            f"{', '.join(COLUMNS[3:])}); missing: {', '.join(missing)}",
        )
        raise InputRejected(errors, "actuals file")
    column = {name: header.index(name) for name in COLUMNS if name in header}
    body = rows[1:]
    # Column by column (a big file is 100,000 rows): each column's cells read in one pass, and
    # what many rows share worked out once per distinct text: a measure's period kind, a
    # period label's meaning, a figure as typed for a measure's format.
    text_only = path.suffix.lower() == ".csv"  # a CSV's cells are all text

    def cells_of(name: str) -> list[str]:
        index = column.get(name)
        if index is None:
            return [""] * len(body)
        if text_only:
            return [row[index].strip() if index < len(row) else "" for row in body]
        return [_cell(row, index) for row in body]

    kinds: dict[str, PeriodKind] = {}
    # a period as typed → the period, its label, and whether it has not ended by `today`
    periods: dict[str, tuple[Period, str, bool]] = {}
    figures: dict[tuple[str, Format, int], Decimal] = {}
    seen: dict[tuple[str, str], str] = {}  # (ref, period label) → where it was given
    found: list[Actual] = []
    for number, (ref_cell, period_cell, value_cell, commentary, actions, evidence) in enumerate(
        zip(*(cells_of(name) for name in COLUMNS), strict=True), start=2
    ):
        if not (ref_cell or period_cell or value_cell or commentary or actions or evidence):
            continue
        where = f"{prefix}row {number}"
        if not ref_cell:
            problem(where, "ref", "is empty: give the measure's ref, such as SE1.2")
            continue
        ref = ref_cell.upper()
        measure = measures.get(ref)
        if measure is None:
            close = difflib.get_close_matches(ref, list(measures), n=3, cutoff=0.6)
            hint = f"; did you mean {' or '.join(close)}?" if close else "; check the register"
            problem(where, "ref", f"there is no measure '{ref_cell}'{hint}")
            continue
        known = periods.get(period_cell)
        if known is None:
            try:
                period = Period.parse(period_cell)
            except PeriodError as error:
                problem(where, "period", str(error))
                continue
            known = periods[period_cell] = (period, period.label, period.end >= today)
        period, label, open_yet = known
        kind = kinds.get(ref)
        if kind is None:
            kind = kinds[ref] = measure.interval.kind
        if period.kind is not kind:
            problem(
                where,
                "period",
                f"{ref} is collected {measure.interval.value}, so the "
                f"period must be {_KIND_EXAMPLE[kind.value]}, "
                f"not {period}",
            )
            continue
        if open_yet:
            problem(
                where,
                "period",
                f"{period} has not ended yet (it ends "
                f"{period.end:%d %b %Y}); only finished periods can have actuals",
            )
            continue
        milestones = None
        try:
            if measure.is_project:
                milestones = milestone_states(value_cell, measure)
                value = Decimal(sum(1 for m in milestones if m.state is MilestoneState.DONE))
            else:
                typed = (value_cell, measure.format, measure.decimals)
                known_value = figures.get(typed)
                if known_value is None:
                    known_value = figures[typed] = check_value(
                        value_cell, format=measure.format, decimals=measure.decimals
                    )
                value = known_value
        except ValueProblem as error:
            problem(where, "value", str(error))
            continue
        key = (ref, label)
        if key in seen:
            problem(where, None, f"{ref} {period} is already given at {seen[key]}; keep one row")
            continue
        text_problem = False
        for name, text in (
            ("commentary", commentary),
            ("actions", actions),
            ("evidence", evidence),
        ):
            if len(text) > MAX_TEXT:
                problem(where, name, f"is too long: keep it under {MAX_TEXT} characters")
                text_problem = True
        if evidence and not evidence.lower().startswith(("https://", "http://")):
            problem(where, "evidence", "must be a web address starting https://")
            text_problem = True
        planned: list[Planned] = []
        if actions and not text_problem:
            planned, wrong = check(actions, people or {}, today)
            for message in wrong:
                problem(where, "actions", message)
                text_problem = True
            if SEPARATOR in actions:
                actions = "\n".join(as_words(action, names or {}) for action in planned)
        if text_problem:
            continue
        seen[key] = where
        found.append(
            Actual(
                ref,
                period,
                value,
                commentary,
                where,
                actions,
                evidence,
                False,
                tuple(planned),
                milestones,
            )
        )
    if errors:
        raise InputRejected(errors, "actuals file")
    if not found:
        raise InputRejected(
            [LocatedError(file, None, None, "the file has no values in it")], "actuals file"
        )
    return found


@dataclass(frozen=True)
class Sorted:
    """An actuals file sorted by the rule that review cannot be skipped."""

    history: list[Actual]  # the period's Performance Board date has passed: approved
    for_review: list[Actual]  # still open: a submission from the importer, sent for review


def board_date(council: CouncilInfo, period: Period) -> date:
    """The Performance Board date at which a period's figure is published: that of the
    quarter the period ends in."""
    quarter = Period.containing(PeriodKind.QUARTER, period.end)
    return council.calendar.performance_board_date(quarter, council.performance_board_weeks)


def sort_actuals(
    actuals: list[Actual],
    measures: Mapping[str, MeasureInfo],
    council: CouncilInfo,
    *,
    file: str,
    importer: str,
    admins: frozenset[str],
    absences: Mapping[str, list[Absence]],
    today: date,
) -> Sorted:
    """History or review, for each row; raise `InputRejected` listing every problem.

    The importer must be allowed to submit the measure's figures, as in chat: its collector,
    their cover while away, or an admin (recorded as on behalf of the collector). A row for a
    period still open (its Performance Board date not yet passed on `today`) is a submission
    from the importer and goes to review; one that is Red (or Amber, where the council asks
    for exception reports on Amber) needs actions to improve, as the submission form does.
    """
    errors: list[LocatedError] = []
    history: list[Actual] = []
    for_review: list[Actual] = []
    verdicts: dict[str, Any] = {}  # per measure, and boards per period: a file has many rows
    boards: dict[Period, date] = {}
    for actual in actuals:
        measure = measures[actual.ref]
        verdict = verdicts.get(actual.ref)
        if verdict is None:
            verdict = verdicts[actual.ref] = may_submit(
                importer, measure, admins=admins, absences=absences, today=today
            )
        if not verdict.allowed:
            errors.append(
                LocatedError(
                    file,
                    actual.where,
                    "ref",
                    f"{importer} may not import figures for {actual.ref}: only its data "
                    "collector, their cover while they are away, or an admin can",
                )
            )
            continue
        if verdict.on_behalf != actual.on_behalf:
            actual = actual.behalf(verdict.on_behalf)
        board = boards.get(actual.period)
        if board is None:
            board = boards[actual.period] = board_date(council, actual.period)
        if today > board:
            history.append(actual)
            continue
        if measure.is_project:
            judged = project_ragg(
                actual.milestones or (),
                as_at=actual.period.end,
                calendar=council.calendar,
                amber_days=council.project_amber_days,
            )
            if judged.status in council.exception_reports and not actual.actions.strip():
                errors.append(
                    LocatedError(
                        file,
                        actual.where,
                        "actions",
                        f"{actual.ref} {actual.period} is {judged.status.word} by its "
                        f"milestones ({judged.reason}) and still open for review (its "
                        f"Performance Board is on {board:%a %d %b %Y}), so the exception "
                        "report needs actions to improve performance: fill in the 'actions' "
                        "column",
                    )
                )
                continue
            for_review.append(actual)
            continue
        target = target_for(measure.targets, actual.period, cumulative=measure.rule.cumulative)
        status = ragg_status(actual.value, target, measure.rule)
        if status in council.exception_reports and not actual.actions.strip():
            errors.append(
                LocatedError(
                    file,
                    actual.where,
                    "actions",
                    f"{actual.ref} {actual.period} is {status.word} against its target and "
                    f"still open for review (its Performance Board is on {board:%a %d %b %Y}), "
                    "so the exception report needs actions to improve performance: fill in "
                    "the 'actions' column",
                )
            )
            continue
        for_review.append(actual)
    if errors:
        raise InputRejected(errors, "actuals file")
    return Sorted(history, for_review)


def _cell(row: list[Any], index: int) -> str:
    if index >= len(row) or row[index] is None:
        return ""
    value = row[index]
    if type(value) is str:  # a CSV's every cell
        return value.strip()
    if isinstance(value, float):
        value = repr(value) if not value.is_integer() else int(value)
    if isinstance(value, date):
        # Spreadsheets turn "2025-07" into a date; a month label is what was meant.
        return f"{value.year:04d}-{value.month:02d}"
    return str(value).strip()
