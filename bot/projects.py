"""Projects beside measures: milestones, their states, and the project's RAGG (issue 14; seed 002
§6.1.6 "measures or projects", seed 004 §5–6 milestones).

A project has milestones (a title and a due date), not a number. Each quarter its collector says
where each milestone stands; the project's RAGG follows the register's stated rule:

- **Green**: every milestone done or on track;
- **Amber**: a milestone at risk before its due date, or late by up to N working days;
- **Red**: a milestone late by more than N working days, or at risk on or after its due date;
- **Grey**: not started this year (no milestone started, done or late).

A milestone is *late* when it is not done and its due date is before the date the report is as
at (the end of the period reported); how late is counted in the council's working days
(weekends, bank holidays and closure days do not count). Pure: nothing here reads the clock.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

from bot.calendar import WorkingCalendar
from bot.ragg import Ragg

DEFAULT_AMBER_DAYS = 10  # "up to N working days late" is Amber; the register may change N
MAX_MILESTONES = 20  # a project's form lists each milestone; keep it readable
KIND_MEASURE = "measure"
KIND_PROJECT = "project"


class MilestoneState(StrEnum):
    """What the collector reports for a milestone. "Late" is not chosen: it follows from the due
    date."""

    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    AT_RISK = "at_risk"
    DONE = "done"

    @property
    def words(self) -> str:
        return _WORDS[self]


_WORDS = {
    MilestoneState.NOT_STARTED: "Not started",
    MilestoneState.ON_TRACK: "On track",
    MilestoneState.AT_RISK: "At risk",
    MilestoneState.DONE: "Done",
}


@dataclass(frozen=True)
class Milestone:
    """A milestone as the register gives it."""

    title: str
    due: date

    def as_json(self) -> dict[str, str]:
        return {"title": self.title, "due": self.due.isoformat()}


@dataclass(frozen=True)
class MilestoneReport:
    """A milestone with the state its collector reported."""

    title: str
    due: date
    state: MilestoneState

    def as_json(self) -> dict[str, str]:
        return {"title": self.title, "due": self.due.isoformat(), "state": self.state.value}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> MilestoneReport:
        return cls(
            title=str(data["title"]),
            due=date.fromisoformat(str(data["due"])),
            state=MilestoneState(str(data["state"])),
        )


def milestones_from_json(data: Any) -> tuple[Milestone, ...]:
    if not data:
        return ()
    return tuple(
        Milestone(str(item["title"]), date.fromisoformat(str(item["due"]))) for item in data
    )


def reports_from_json(data: Any) -> tuple[MilestoneReport, ...] | None:
    if data is None:
        return None
    return tuple(MilestoneReport.from_json(item) for item in data)


@dataclass(frozen=True)
class MilestoneStanding:
    """A reported milestone as at a date: its state, and how many working days late it is."""

    report: MilestoneReport
    days_late: int | None  # None: not late (done, or not yet due)

    @property
    def late(self) -> bool:
        return self.days_late is not None

    @property
    def words(self) -> str:
        """'Done', 'On track', 'At risk', or 'Late — 3 working days' (and at risk, if so)."""
        if self.days_late is None:
            return self.report.state.words
        days = _days(self.days_late)
        if self.report.state is MilestoneState.AT_RISK:
            return f"Late — {days}, at risk"
        return f"Late — {days}"


def _days(count: int) -> str:
    return f"{count} working day{'' if count == 1 else 's'}"


@dataclass(frozen=True)
class ProjectRagg:
    """A project's RAGG with the reason, in words people read."""

    status: Ragg
    reason: str
    standings: tuple[MilestoneStanding, ...]

    @property
    def done(self) -> int:
        return sum(1 for item in self.standings if item.report.state is MilestoneState.DONE)


def standing(report: MilestoneReport, as_at: date, calendar: WorkingCalendar) -> MilestoneStanding:
    if report.state is MilestoneState.DONE or report.due >= as_at:
        return MilestoneStanding(report, None)
    return MilestoneStanding(report, calendar.working_days_between(report.due, as_at))


def project_ragg(
    reports: Sequence[MilestoneReport],
    *,
    as_at: date,
    calendar: WorkingCalendar,
    amber_days: int = DEFAULT_AMBER_DAYS,
) -> ProjectRagg:
    """The project's RAGG as at `as_at` under the register's rule (issue 14; the rule is in
    this module's docstring). A milestone due on `as_at` itself is not late yet; one at risk on
    its due date is Red. A milestone past its due date by no working day at all (due on a
    Friday, as at the Sunday) is late by 0 working days: Amber."""
    standings = tuple(standing(report, as_at, calendar) for report in reports)
    if not standings:
        return ProjectRagg(Ragg.GREY, "no milestones", standings)
    red: list[str] = []
    amber: list[str] = []
    for item in standings:
        title = item.report.title
        at_risk = item.report.state is MilestoneState.AT_RISK
        late = (
            f"{title} is {_days(item.days_late)} late{' and at risk' if at_risk else ''}"
            if item.days_late is not None
            else None
        )
        if late is not None and item.days_late is not None and item.days_late > amber_days:
            red.append(late)
        elif at_risk and item.report.due <= as_at:
            red.append(late or f"{title} is at risk at its due date")
        elif late is not None:
            amber.append(late)
        elif at_risk:
            amber.append(f"{title} is at risk")
    if red:
        return ProjectRagg(Ragg.RED, "; ".join(red), standings)
    if amber:
        return ProjectRagg(Ragg.AMBER, "; ".join(amber), standings)
    if all(item.report.state is MilestoneState.NOT_STARTED for item in standings):
        return ProjectRagg(Ragg.GREY, "not started this year", standings)
    done = sum(1 for item in standings if item.report.state is MilestoneState.DONE)
    return ProjectRagg(
        Ragg.GREEN, f"milestones on track ({done} of {len(standings)} done)", standings
    )


def rule_words(amber_days: int) -> str:
    """The rule as the register states it, for the paper's key and the README."""
    days = f"{amber_days} working day{'' if amber_days == 1 else 's'}"
    return (
        "Green: milestones done or on track. "
        f"Amber: a milestone at risk, or up to {days} late. "
        f"Red: a milestone more than {days} late, or at risk at its due date. "
        "Grey: not started this year."
    )
