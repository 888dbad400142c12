"""Plain-text views for the terminal: status of the council, a priority, an aim or a measure.

Colour is never the only signal (PRODUCT §7): every status is also written as a word.
"""

from __future__ import annotations

from collections.abc import Iterable
from itertools import groupby

from bot.ragg import Committee, Direction, Ragg
from bot.status import StatusReport, StatusRow
from bot.summary import Summary

_ARROWS = {
    Direction.IMPROVING: "improving",
    Direction.DECLINING: "declining",
    Direction.SAME: "no change",
}
_ORDER = (Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY, Ragg.NONE)


def counts_line(rows: Iterable[StatusRow]) -> str:
    rows = list(rows)
    counts = {status: sum(1 for row in rows if row.status is status) for status in _ORDER}
    parts = [f"{status.word} {counts[status]}" for status in _ORDER]
    on = sum(1 for row in rows if row.committee is Committee.ON_TARGET)
    off = sum(1 for row in rows if row.committee is Committee.OFF_TARGET)
    missing = counts[Ragg.NONE]
    reported = on + off
    share = (
        f"{on} of {reported} on target ({round(on * 100 / reported)}%)"
        if reported
        else ("nothing reported yet")
    )
    return (
        " · ".join(parts)
        + f"\nCommittee view: {share}"
        + (f", {missing} missing" if missing else "")
    )


def direction_words(row: StatusRow) -> str:
    parts = []
    if row.direction:
        parts.append(f"{_ARROWS[row.direction]} on {row.period.previous()}")
    if row.direction_year:
        parts.append(f"{_ARROWS[row.direction_year]} on {row.period.year_earlier()}")
    return "; ".join(parts) or "no earlier value to compare"


def render_report(report: StatusReport) -> str:
    if report.scope.kind == "measure":
        return render_measure(report.rows[0])
    when = f"for {report.requested}" if report.requested else "for each measure's latest period"
    title = (
        report.council
        if report.scope.kind == "council"
        else (f"{report.scope.kind.capitalize()} {report.scope.code}")
    )
    lines = [f"{title} — status {when}", counts_line(report.rows), ""]
    if not report.rows:
        lines.append(
            "There are no measures in the register yet: run 'pmf-bot import register FILE'."
        )
    cells = {id(row): _cells(row) for row in report.rows}
    widths = [max((len(cells[id(row)][n]) for row in report.rows), default=0) for n in range(4)]
    for (priority, name), in_priority in groupby(
        report.rows, key=lambda row: (row.measure.priority, row.measure.priority_name)
    ):
        lines.append(f"{priority}  {name}")
        for (aim, aim_title), in_aim in groupby(
            in_priority, key=lambda row: (row.measure.aim, row.measure.aim_title)
        ):
            lines.append(f"  {aim}  {_clip(aim_title, 90)}")
            for row in in_aim:
                period, figure, target, status = cells[id(row)]
                lines.append(
                    f"    {row.measure.ref:<8} {_clip(row.measure.title, 48):<48}  "
                    f"{period:<{widths[0]}}  {figure:>{widths[1]}}  "
                    f"{target:<{widths[2]}}  {status:<{widths[3]}}  {row.state.words}"
                )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cells(row: StatusRow) -> tuple[str, str, str, str]:
    measure = row.measure
    figure = measure.format_value(row.value) if row.value is not None else "no value"
    return (
        row.period.label,
        figure,
        f"target {measure.format_target(row.target)}",
        row.status.word.upper(),
    )


def render_measure(row: StatusRow) -> str:
    measure = row.measure
    figure = measure.format_value(row.value) if row.value is not None else "no approved value"
    lines = [
        f"{measure.ref}  {measure.title}",
        f"Priority {measure.priority} {measure.priority_name} · aim {measure.aim}",
        f"Definition: {measure.definition}" if measure.definition else "",
        f"Period: {row.period} (ended {row.period.end:%a %d %b %Y}; "
        f"deadline {row.deadline:%a %d %b %Y})",
        f"Value: {figure}   Target: {measure.format_target(row.target)}",
        f"Status: {row.status.word.upper()} — {row.status.meaning}",
        f"Committee view: {row.committee.value.replace('_', ' ')}",
        f"Direction of travel: {direction_words(row)}",
        f"Workflow: {row.state.words}",
    ]
    if row.commentary:
        lines.append(f"Performance overview: {row.commentary}")
    if row.actions:
        lines.append(f"Actions to improve: {row.actions}")
    return "\n".join(line for line in lines if line) + "\n"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def render_summary(summary: Summary) -> str:
    """The quarter's RAGG summary for the terminal (the same content as the Slack post)."""
    overall = summary.overall
    lines = [
        f"{summary.council} — {summary.quarter} summary (Performance Board "
        f"{summary.board_date:%a %d %b %Y})",
        counts_line(summary.rows),
        "",
        "By priority:",
    ]
    for tally in summary.priorities:
        share = tally.on_target_share
        lines.append(
            f"  {tally.code:<4} {_clip(tally.name, 40):<40} "
            + " ".join(f"{status.word} {tally.counts[status]}" for status in _ORDER)
            + (f"   on target {share}%" if share is not None else "")
        )
    travel = overall.directions
    lines += [
        "",
        "Direction of travel on the previous quarter: "
        f"{travel[Direction.IMPROVING]} improving, {travel[Direction.DECLINING]} "
        f"declining, {travel[Direction.SAME]} no change.",
    ]
    if summary.reds:
        lines += ["", f"Red measures ({len(summary.reds)}):"]
        for row in summary.reds:
            measure = row.measure
            lines.append(
                f"  {measure.ref}  {measure.title} — {measure.format_value(row.value)} "
                f"against {measure.format_target(row.target)} ({row.period})"
            )
            lines.append(f"      Performance overview: {row.commentary or 'none recorded'}")
            lines.append(f"      Actions to improve: {row.actions or 'none recorded'}")
    if summary.unapproved:
        lines += ["", f"Not yet approved ({len(summary.unapproved)}):"]
        lines += [
            f"  {row.measure.ref}  {row.period} — {row.state.words}" for row in summary.unapproved
        ]
    if summary.signoffs:
        lines += ["", "Sign-off:"]
        lines += [
            f"  {state.name}: "
            + (f"signed off {state.signed_at:%d %b %Y %H:%M} UTC" if state.signed_at else "not yet")
            for state in summary.signoffs
        ]
    return "\n".join(lines) + "\n"
