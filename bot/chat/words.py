"""Small pieces every message uses: a RAGG badge, directions, dates and times."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from bot.chat.model import Icon, Inline, Strong, Text, clip, text
from bot.measures import MeasureInfo
from bot.projects import MilestoneStanding, MilestoneState
from bot.ragg import Committee, Direction, Ragg

RAGG_ICONS = {
    Ragg.RED: Icon.RED,
    Ragg.AMBER: Icon.AMBER,
    Ragg.GREEN: Icon.GREEN,
    Ragg.GREY: Icon.GREY,
    Ragg.NONE: Icon.NO_DATA,
}
DIRECTION_ICONS = {
    Direction.IMPROVING: Icon.IMPROVING,
    Direction.DECLINING: Icon.DECLINING,
    Direction.SAME: Icon.SAME,
}
DIRECTION_WORDS = {
    Direction.IMPROVING: "improving",
    Direction.DECLINING: "declining",
    Direction.SAME: "no change",
}
COMMITTEE_WORDS = {
    Committee.ON_TARGET: "on target",
    Committee.OFF_TARGET: "off target",
    Committee.MISSING: "missing data",
}


def badge(status: Ragg) -> Text:
    """Colour is never the only signal: the icon *and* the word."""
    return text(RAGG_ICONS[status], " ", Strong(status.word))


def arrow(direction: Direction) -> Text:
    return text(DIRECTION_ICONS[direction], " ", DIRECTION_WORDS[direction])


def when(moment: datetime, zone: ZoneInfo) -> str:
    """'14:05 on Thu 08 Oct 2026', in the council's zone."""
    return moment.astimezone(zone).strftime("%H:%M on %a %d %b %Y")


def day(value: date) -> str:
    return value.strftime("%a %d %b %Y")


def figure(measure: MeasureInfo, value: Decimal | None) -> str:
    return measure.format_value(value) if value is not None else "no approved value"


def plural(count: int, one: str, many: str | None = None) -> str:
    """'1 reminder', '2 reminders'."""
    return f"{count} {one if count == 1 else (many or one + 's')}"


STATE_ICONS = {
    MilestoneState.DONE: Icon.DONE,
    MilestoneState.ON_TRACK: Icon.GREEN,
    MilestoneState.AT_RISK: Icon.AMBER,
    MilestoneState.NOT_STARTED: Icon.GREY,
}


def milestone_lines(standings: Sequence[MilestoneStanding], as_at: date) -> Text:
    """'Milestones as at 31 Mar 2026' and a line per milestone: its state (late, counted in
    working days, when past its due date), its due date and its title."""
    lines: list[Inline] = [Strong(f"Milestones as at {day(as_at)}")]
    for item in standings:
        icon = Icon.LATE if item.late else STATE_ICONS[item.report.state]
        lines += [
            "\n",
            icon,
            " ",
            Strong(item.words),
            f" · due {day(item.report.due)} · ",
            clip(item.report.title, 300),
        ]
    return text(*lines)


def planned_milestones(measure: MeasureInfo) -> Text:
    """A project's milestones as planned, before any report is approved."""
    lines: list[Inline] = [Strong("Milestones")]
    for milestone in measure.milestones:
        lines += ["\n", f"Due {day(milestone.due)} · ", clip(milestone.title, 300)]
    return text(*lines)
