"""Plain-text views for the terminal: status of the council, a priority, an aim or a measure.

Colour is never the only signal (PRODUCT §7): every status is also written as a word.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import groupby

from bot.ragg import Direction, Ragg
from bot.status import StatusReport, StatusRow
from bot.summary import Summary, tally
from bot.workflow import State

_ARROWS = {
    Direction.IMPROVING: "improving",
    Direction.DECLINING: "declining",
    Direction.SAME: "no change",
}
_ORDER = (Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY, Ragg.NONE)


def counts_line(rows: Iterable[StatusRow]) -> str:
    counted = tally("", "", list(rows))
    parts = [f"{status.word} {counted.counts[status]}" for status in _ORDER]
    reported = counted.on_target + counted.off_target
    share = (
        f"{counted.on_target} of {reported} on target ({counted.on_target_share}%)"
        if reported
        else ("nothing reported yet")
    )
    missing = counted.missing
    return (
        " · ".join(parts)
        + f"\nCommittee view: {share}"
        + (f", {missing} missing" if missing else "")
    )


def direction_words(row: StatusRow) -> str:
    parts = []
    if row.measure.rule.cumulative:
        # Year to date: both directions compare with the same period a year earlier.
        if row.direction_year:
            parts.append(
                f"{_ARROWS[row.direction_year]} on {row.period.year_earlier()} "
                "(year to date, same period last year)"
            )
        return "; ".join(parts) or "no value for the same period last year to compare"
    if row.direction:
        parts.append(f"{_ARROWS[row.direction]} on {row.period.previous()}")
    if row.direction_year:
        parts.append(f"{_ARROWS[row.direction_year]} on {row.period.year_earlier()}")
    return "; ".join(parts) or "no earlier value to compare"


def restated_words(row: StatusRow) -> str:
    """'Restated since publication on 21 Jul 2025: …' or ''."""
    found = row.restated
    if found is None:
        return ""
    was = row.measure.format_value(found.published_value)
    if found.published_value is None:
        was = "no value"
    return (
        f"Restated since publication on {_utc(found.published_at)}: published as {was} "
        f"({found.published_status.word}); {found.why} — {found.by}, {_utc(found.at)}"
    )


def _utc(moment: datetime) -> str:
    """Stored times are UTC (PRODUCT §2); say so rather than guess the local zone."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return f"{moment:%d %b %Y %H:%M} UTC"


def state_words(row: StatusRow) -> str:
    """The workflow state, with why a row is Grey or missing data, and any restatement."""
    words = row.state.words
    if row.reason:
        words += f" — {row.reason}"
    if row.restated is not None:
        words += " — restated since publication"
    return words


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
                    f"{target:<{widths[2]}}  {status:<{widths[3]}}  {state_words(row)}"
                )
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _cells(row: StatusRow) -> tuple[str, str, str, str]:
    measure = row.measure
    figure = measure.format_value(row.value) if row.value is not None else "no value"
    return (
        row.period.label,
        figure,
        f"target {row.shown_target}"
        if row.target is not None
        else ("milestones" if measure.is_project else "no target"),
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
        f"Value: {figure}   Target: {row.shown_target}",
        f"Status: {row.status.word.upper()} — {row.reason or row.status.meaning}",
        f"Committee view: {row.committee.value.replace('_', ' ')}",
        "" if measure.is_project else f"Direction of travel: {direction_words(row)}",
        f"Workflow: {row.state.words}",
        f"Data confidence: {measure.confidence_words}" if measure.confidence_words else "",
        restated_words(row),
    ]
    if measure.is_project:
        lines += milestone_lines(row)
    if row.commentary:
        lines.append(f"Performance overview: {row.commentary}")
    if row.actions:
        lines.append(f"Actions to improve: {row.actions}")
    return "\n".join(line for line in lines if line) + "\n"


def milestone_lines(row: StatusRow) -> list[str]:
    """A project's milestones: as reported and approved for the period, else as planned."""
    if row.milestones is not None:
        lines = [f"Milestones as at {row.period.end:%d %b %Y}:"]
        width = max((len(item.words) for item in row.milestones), default=0)
        lines += [
            f"  {item.words:<{width}}  due {item.report.due:%d %b %Y}  {item.report.title}"
            for item in row.milestones
        ]
        return lines
    return ["Milestones:"] + [
        f"  due {milestone.due:%d %b %Y}  {milestone.title}" for milestone in row.measure.milestones
    ]


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
    for priority in summary.priorities:
        share = priority.on_target_share
        lines.append(
            f"  {priority.code:<4} {_clip(priority.name, 40):<40} "
            + " ".join(f"{status.word} {priority.counts[status]}" for status in _ORDER)
            + (f"   on target {share}%" if share is not None else "")
        )
    travel = overall.directions
    lines += [
        "",
        "Direction of travel (on the previous period; year-to-date measures on the same "
        f"period last year): {travel[Direction.IMPROVING]} improving, "
        f"{travel[Direction.DECLINING]} declining, {travel[Direction.SAME]} no change.",
    ]
    not_due = [row for row in summary.rows if row.state is State.NOT_DUE and row.reason]
    if not_due:
        lines += ["", f"Not due this quarter ({len(not_due)}):"]
        by_reason: dict[str, list[str]] = {}
        for row in not_due:
            by_reason.setdefault(row.reason or "", []).append(row.measure.ref)
        lines += [f"  {', '.join(refs)} — {reason}" for reason, refs in by_reason.items()]
    if summary.exceptions:
        lines += ["", f"{summary.exception_words} measures ({len(summary.exceptions)}):"]
        for row in summary.exceptions:
            measure = row.measure
            lines.append(
                f"  {measure.ref}  {measure.title} — {row.status.word}, {row.against_words} "
                f"({row.period})"
            )
            lines.append(f"      Performance overview: {row.commentary or 'none recorded'}")
            lines.append(f"      Actions to improve: {row.actions or 'none recorded'}")
    if summary.unapproved:
        lines += ["", f"Not yet approved ({len(summary.unapproved)}):"]
        lines += [
            f"  {row.measure.ref}  {row.period} — {row.state.words}" for row in summary.unapproved
        ]
    if summary.no_target:
        lines += ["", f"Missing data — no target ({len(summary.no_target)}):"]
        lines += [
            f"  {row.measure.ref}  {row.period} — {row.shown_value}, {row.reason}"
            for row in summary.no_target
        ]
    if summary.published is not None:
        published = summary.published
        lines += [
            "",
            f"Published {_utc(published.at)} by {published.by} ({published.occasion}).",
        ]
    if summary.restated:
        lines += ["", f"Restated since publication ({len(summary.restated)}):"]
        for row in summary.restated:
            lines.append(
                f"  {row.measure.ref}  {row.period} — {row.shown_value}, {row.status.word}"
            )
            lines.append(f"      {restated_words(row)}")
    if summary.signoffs:
        lines += ["", "Sign-off:"]
        lines += [
            f"  {state.name}: "
            + (f"signed off {state.signed_at:%d %b %Y %H:%M} UTC" if state.signed_at else "not yet")
            for state in summary.signoffs
        ]
    return "\n".join(lines) + "\n"
