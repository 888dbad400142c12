"""The committee paper (issue 10): what a Performance Board or scrutiny committee reads.

One paper per committee (the committees named on the register's measures), or for the whole
council. It holds a cover with the RAGG key in the framework's words (seed 002 §6.1.6–6.1.7)
and the committee's on-target share; then, per priority and aim, every measure with its owner
(the Head of Service, by name), polarity, annual and period targets, the figure, RAGG as colour
and word, direction of travel, the last five quarters, the confidence level of its data (seed
002 Appendix 2), late and restated flags and its commentary; and an exception report for every
Red measure (and Amber where the register asks for it) with every Appendix 1 field.

This module gathers the figures (`load_paper`) and words both forms share; `bot.export` writes
the workbook and the page. Every quarter of the trend is "as at" that quarter (PRODUCT §4):
a half-yearly measure has no figure at Q1 and Q3, an annual one only at Q4.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from bot.errors import NotFound
from bot.measures import MeasureInfo, singular, target_places
from bot.periods import Period, PeriodKind
from bot.ragg import DEFAULT_TOLERANCE, Direction, Polarity, Ragg, Target, target_for
from bot.register import Format
from bot.status import StatusRow
from bot.summary import Summary, build_summary
from bot.text import restated_words
from bot.workflow import State

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.actions import ActionView
    from bot.status import CouncilInfo

TREND_QUARTERS = 5
WHOLE_COUNCIL = "All committees"

# The RAGG key, in the framework's words (seed 002 §6.1.6–6.1.7), for members.
KEY = (
    (Ragg.RED, "More than 5% below target: under-performing, urgent action required."),
    (Ragg.AMBER, "Within 5% of target: borderline performance, on watch."),
    (Ragg.GREEN, "On or above target."),
    (
        Ragg.GREY,
        "Monitoring only, or not yet reported: annual and half-yearly measures between their "
        "outturns, and measures with no target set.",
    ),
    (Ragg.NONE, "No approved figure yet: listed as missing data, not counted either way."),
)
KEY_NOTE = (
    "Where lower is better (for example days taken), Red and Amber mean above target by those "
    "margins. When reporting to committees, Amber and Grey measures count as on target and "
    "Red as off target; a measure with no target set counts as missing data."
)
CONFIDENCE_KEY = (
    ("Green", "collected from a system"),
    ("Amber", "collected by hand, for example in a spreadsheet"),
    ("Red", "project-based"),
)
_POLARITY = {
    Polarity.HIGHER: "Higher is better",
    Polarity.LOWER: "Lower is better",
    Polarity.RANGE: "Within the range is best",
}
_DIRECTION = {
    Direction.IMPROVING: "Improving",
    Direction.DECLINING: "Declining",
    Direction.SAME: "No change",
}


@dataclass(frozen=True)
class TrendPoint:
    """One quarter of a measure's trend: its row as at that quarter (None: not in the
    register then)."""

    quarter: Period
    row: StatusRow | None

    @property
    def value(self) -> Decimal | None:
        return None if self.row is None else self.row.value

    @property
    def words(self) -> str:
        if self.row is None:
            return "—"
        if self.row.state is State.NOT_DUE:
            return "not due"
        if self.row.measure.is_project and self.row.value is not None:
            # A project's quarter is its RAGG by milestones, with how many are done.
            return f"{self.row.status.word}: {self.row.value:f} of {self._milestones} done"
        return self.row.shown_value

    @property
    def _milestones(self) -> int:
        return len(self.row.measure.milestones) if self.row is not None else 0

    @property
    def figure(self) -> str:
        """As `words`, without the measure's unit (a table's unit is said once)."""
        if self.row is None or self.row.state is State.NOT_DUE:
            return self.words
        if self.row.measure.is_project and self.row.value is not None:
            return f"{self.row.value:f}/{self._milestones} done"
        return unitless(self.row.measure).format_value(self.row.value)


@dataclass(frozen=True)
class Paper:
    summary: Summary  # the committee's measures only
    committee: str | None  # None: the whole council
    produced: date
    quarters: tuple[Period, ...]  # the last five, oldest first
    history: Mapping[str, tuple[TrendPoint, ...]] = field(default_factory=dict)
    late: frozenset[str] = frozenset()  # refs whose figure was submitted after its deadline
    # the tracked actions from the previous quarter's exception reports (issue 14), in
    # register order, with their progress as it stands on `produced`
    actions: tuple[ActionView, ...] = ()

    @property
    def actions_from(self) -> Period:
        """The quarter whose exception reports the paper follows up."""
        return self.summary.quarter.previous()

    @property
    def audience(self) -> str:
        return WHOLE_COUNCIL if self.committee is None else f"{self.committee} Committee"

    @property
    def title(self) -> str:
        return f"{self.summary.council} — Performance Board {self.summary.quarter}"

    def trend(self, row: StatusRow) -> tuple[TrendPoint, ...]:
        found = self.history.get(row.measure.ref)
        if found:
            return found
        return tuple(
            TrendPoint(q, row if q == self.summary.quarter else None) for q in self.quarters
        )

    def sections(self) -> list[tuple[str, list[tuple[str, list[StatusRow]]]]]:
        """Priorities, each with its aims and their measures, in register order."""
        priorities: dict[str, dict[str, list[StatusRow]]] = {}
        for row in self.summary.rows:
            measure = row.measure
            priority = f"{measure.priority} {measure.priority_name}".strip()
            aim = f"{measure.aim} {measure.aim_title}".strip()
            priorities.setdefault(priority, {}).setdefault(aim, []).append(row)
        return [(name, list(aims.items())) for name, aims in priorities.items()]

    @property
    def other_tolerances(self) -> bool:
        """Whether any measure is judged with a tolerance other than the framework's 5 %."""
        return any(
            row.measure.rule.tolerance != DEFAULT_TOLERANCE
            or row.measure.rule.tolerance_abs is not None
            for row in self.summary.rows
        )


# ---------------------------------------------------------------------------- words


def unitless(measure: MeasureInfo) -> MeasureInfo:
    """The measure with its figures written without a unit ('105.0', not '105.0 kg per
    household'), for narrow columns that say the unit once."""
    return replace(measure, units=None, units_one=None)


def unit_words(measure: MeasureInfo) -> str | None:
    """'Figures in kg per household', or None when figures carry their own sign (%, £)."""
    if measure.is_project:
        return None
    return f"Figures in {measure.units}" if measure.units else None


def polarity_words(measure: MeasureInfo) -> str:
    if measure.is_project:
        return "Project: RAGG by its milestones"
    return _POLARITY[measure.polarity]


def owner(measure: MeasureInfo) -> str:
    """The Head of Service by name; never an e-mail address."""
    if measure.head_of_service_name:
        return measure.head_of_service_name
    return "Not named" if not measure.head_of_service else "Head of Service (name not known)"


def annual_target(row: StatusRow) -> Target | None:
    measure = row.measure
    return target_for(
        measure.targets, row.period.financial_year, cumulative=measure.rule.cumulative
    )


PROJECT_TARGET = "milestones on time"  # a project's "target" (issue 14)


def annual_target_words(row: StatusRow, *, units: bool = True) -> str:
    if row.measure.is_project:
        return PROJECT_TARGET
    target = annual_target(row)
    if target is None:
        return "monitoring only" if row.measure.rule.monitoring_only else "no target set"
    measure = row.measure if units else unitless(row.measure)
    return measure.format_target(target)


def target_words(row: StatusRow, *, units: bool = True) -> str:
    if row.measure.is_project:
        return PROJECT_TARGET
    if row.target is None:
        return "monitoring only" if row.measure.rule.monitoring_only else "no target set"
    if units:
        return row.shown_target
    return unitless(row.measure).format_target(row.target, row.value, row.status)


def value_words(row: StatusRow, *, units: bool = True) -> str:
    measure = row.measure if units else unitless(row.measure)
    return measure.format_value(row.value)


def direction_words(row: StatusRow) -> str:
    """'Improving on 2025-26 Q3; declining on 2024-25 Q4', or why there is none."""
    if row.state is State.NOT_DUE:
        return "—"
    if row.measure.is_project:
        return "See its milestones" if row.milestones else "—"
    parts = []
    if row.direction is not None:
        parts.append(f"{_DIRECTION[row.direction]} on {row.compared_with}")
    year_ago = row.period.year_earlier()
    if row.direction_year is not None and year_ago != row.compared_with:
        parts.append(f"{_DIRECTION[row.direction_year].lower()} on {year_ago}")
    if not parts:
        return "No earlier figure to compare" if row.value is not None else "—"
    return "; ".join(parts)


def confidence_words(measure: MeasureInfo) -> str:
    if measure.is_project and not measure.confidence_words:
        return "—"
    return measure.confidence_words or "Not stated"


def milestones_words(row: StatusRow) -> str:
    """A project's milestones as at the period's end, one per line: 'Done — due 30 Jun 2025 —
    Heat pump design approved'; as planned when no report is approved yet."""
    if row.milestones is not None:
        return "\n".join(
            f"{item.words} — due {item.report.due:%d %b %Y} — {item.report.title}"
            for item in row.milestones
        )
    return "\n".join(
        f"Due {milestone.due:%d %b %Y} — {milestone.title}" for milestone in row.measure.milestones
    )


def flags(row: StatusRow, late: bool) -> list[str]:
    """Late and restated flags, and why a measure is Grey or has missing data."""
    found = []
    if late:
        found.append("Late: submitted after its deadline")
    if row.restated is not None:
        found.append(restated_words(row))
    if row.reason:
        found.append(row.reason[:1].upper() + row.reason[1:])
    elif row.status is Ragg.NONE:
        found.append(f"No approved figure yet ({row.state.words})")
    return found


def commentary_words(row: StatusRow) -> str:
    if row.commentary:
        return row.commentary
    if row.state is State.NOT_DUE:
        return "No figure due this quarter."
    return "No commentary recorded."


def on_target_words(summary: Summary, *, share: bool = True) -> str:
    """'86% on target: 18 of 21 reported measures; 1 measure has missing data.' (without
    the leading share when it is shown apart)."""
    overall = summary.overall
    reported = overall.on_target + overall.off_target
    found = overall.on_target_share
    missing = overall.missing
    tail = ""
    if missing:
        tail = f"; {missing} {'measure has' if missing == 1 else 'measures have'} missing data"
    if found is None:
        return f"No measure has a reported figure yet{tail}."
    lead = f"{found}% on target" if share else "on target"
    return (
        f"{lead}: {overall.on_target} of {reported} reported "
        f"{'measure' if reported == 1 else 'measures'}{tail}."
    )


ACTIONS_HEADING = "Actions from last quarter"


def actions_intro(paper: Paper) -> str:
    """What the actions table is, or that there is none to follow up."""
    earlier = paper.actions_from
    if not paper.actions:
        return (
            f"No actions to improve performance were recorded in the {earlier} exception "
            "reports of these measures."
        )
    count = len(paper.actions)
    return (
        f"{count} {'action' if count == 1 else 'actions'} to improve performance from the "
        f"{earlier} exception reports, with progress as at {paper.produced.day} "
        f"{paper.produced:%B %Y}."
    )


def action_progress(action: ActionView, today: date) -> str:
    """'Dropped: the reason', 'On track — overdue (due 31 Mar 2026)', 'Done'."""
    words = action.words[:1].upper() + action.words[1:]
    if action.note:
        words += f": {action.note}"
    if action.overdue(today):
        words += " — overdue"
    return words


def action_owner(action: ActionView) -> str:
    return action.owner_name or "Not named"


def labels_ending_in(quarter: Period) -> set[str]:
    """The labels of every period that ends in `quarter`: its months, itself, and the half or
    year that ends with it."""
    ends = {Period.containing(PeriodKind.MONTH, quarter.end).shifted(-n).end for n in range(3)}
    return {
        found.label
        for kind in PeriodKind
        for end in ends
        if (found := Period.containing(kind, end)).end == end
    }


def follow_up(engine: Engine, summary: Summary) -> tuple[ActionView, ...]:
    """The tracked actions of the summary's measures set in the previous quarter's exception
    reports, open or closed, in the paper's order."""
    from bot import actions

    order = {row.measure.ref: number for number, row in enumerate(summary.rows)}
    labels = labels_ending_in(summary.quarter.previous())
    found = [
        action
        for action in actions.listing(engine, include_closed=True, periods=labels)
        if action.ref in order
    ]
    found.sort(key=lambda a: (order[a.ref], Period.parse(a.period).end, a.due, a.id))
    return tuple(found)


# ---------------------------------------------------------------------------- figures as numbers


def excel_number(measure: MeasureInfo, value: Decimal) -> Decimal:
    """A figure as the workbook holds it: a percentage as a fraction (47.5 → 0.475), so that
    Excel's percent format shows 47.5%."""
    if measure.format is Format.PERCENTAGE:
        return value / 100
    return value


def excel_format(measure: MeasureInfo, places: int | None = None) -> str:
    """The Excel number format that shows a figure as the paper writes it."""
    decimals = measure.decimals if places is None else places
    digits = "0" + ("." + "0" * decimals if decimals else "")
    if measure.format is Format.PERCENTAGE:
        return f"{digits}%"
    grouped = "#,##" + digits
    if measure.format is Format.CURRENCY:
        return f'"£"{grouped};-"£"{grouped}'
    units = _format_text(measure.units or "")
    if not units:
        return grouped
    one = _format_text(measure.units_one or singular(measure.units or ""))
    if decimals == 0 and one and one != units:
        return f'[=1]{grouped} "{one}";{grouped} "{units}"'
    return f'{grouped} "{units}"'


def _format_text(text: str) -> str:
    """Register words made safe inside a quoted Excel number-format literal."""
    return "".join(c for c in text if c not in '"\\').strip()


def target_places_for(row: StatusRow) -> int:
    if row.target is None:
        return row.measure.decimals
    return target_places(row.target, row.value, row.status, row.measure.decimals)


# ---------------------------------------------------------------------------- committees


def committees(measures: Iterable[MeasureInfo]) -> list[str]:
    """The committees named in the register, in the order first met."""
    seen: dict[str, str] = {}
    for measure in measures:
        name = (measure.committee or "").strip()
        if name and name.lower() not in seen:
            seen[name.lower()] = name
    return list(seen.values())


def choose_committee(known: Sequence[str], wanted: str | None) -> str | None:
    """The register's spelling of `wanted` (compared ignoring case and spaces), None for the
    whole council; NotFound naming the register's committees otherwise."""
    if wanted is None or not wanted.strip():
        return None
    key = "".join(wanted.split()).lower()
    for name in known:
        if "".join(name.split()).lower() == key:
            return name
    listed = ", ".join(known) if known else "none: no measure names a committee"
    raise NotFound(
        f"There is no committee called '{wanted.strip()}' in the register. "
        f"Its committees are: {listed}."
    )


def for_committee(whole: Summary, committee: str | None) -> Summary:
    """The summary restricted to one committee's measures (all of them for None)."""
    if committee is None:
        return whole
    rows = [row for row in whole.rows if (row.measure.committee or "").strip() == committee]
    heads = {row.measure.head_of_service for row in rows}
    from bot.status import Scope, StatusReport

    report = StatusReport(
        whole.council, Scope("council", None, [row.measure for row in rows]), whole.quarter, rows
    )
    built = build_summary(
        report,
        whole.quarter,
        whole.board_date,
        [state for state in whole.signoffs if state.head_of_service in heads],
        exception_statuses=whole.exception_statuses,
        published=whole.published,
    )
    return replace(
        built,
        overall=replace(built.overall, name=f"{committee} Committee"),
        approval=whole.approval,
    )


# ---------------------------------------------------------------------------- gathering


def load_paper(
    engine: Engine,
    council: CouncilInfo,
    quarter: Period,
    *,
    committee: str | None,
    today: date,
    as_published: bool = False,
) -> Paper:
    """The paper for `committee` (None: the whole council) as at `quarter`.

    With `as_published`, each quarter shows the figures as last published for it (the
    requested one must have been; earlier ones fall back to the figures as they stand when
    they were never published). Raises NotFound for an unknown committee and
    `summaries.NotPublished` when the quarter was never published.
    """
    from bot import services, summaries
    from storage import queries
    from storage.engine import read_session

    chosen = choose_committee(committees(services.measures(engine).values()), committee)
    if as_published:
        whole = summaries.as_published(engine, council, quarter)
    else:
        whole = summaries.summary(engine, council, quarter, today=today)
    summary = for_committee(whole, chosen)
    quarters = tuple(quarter.shifted(-n) for n in range(TREND_QUARTERS - 1, -1, -1))
    by_quarter: dict[Period, dict[str, StatusRow]] = {}
    for earlier in quarters[:-1]:
        rows: list[StatusRow] | None = None
        if as_published:
            try:
                rows = summaries.as_published(engine, council, earlier).rows
            except summaries.NotPublished:
                rows = None
        if rows is None:
            rows = services.status(engine, None, earlier, today=today).rows
        by_quarter[earlier] = {row.measure.ref: row for row in rows}
    by_quarter[quarter] = {row.measure.ref: row for row in summary.rows}
    history = {
        row.measure.ref: tuple(TrendPoint(q, by_quarter[q].get(row.measure.ref)) for q in quarters)
        for row in summary.rows
    }
    wanted = [(row.measure.ref, row.period) for row in summary.rows if row.value is not None]
    with read_session(engine) as session:
        late = queries.late_figures(session, wanted)
    return Paper(
        summary=summary,
        committee=chosen,
        produced=today,
        quarters=quarters,
        history=history,
        late=frozenset(ref for ref, _ in late),
        actions=follow_up(engine, summary),
    )


def simple_paper(summary: Summary, produced: date) -> Paper:
    """A paper of a summary alone (no history loaded): each trend holds only the quarter."""
    quarter = summary.quarter
    quarters = tuple(quarter.shifted(-n) for n in range(TREND_QUARTERS - 1, -1, -1))
    return Paper(summary=summary, committee=None, produced=produced, quarters=quarters)
