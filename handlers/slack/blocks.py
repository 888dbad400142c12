"""Block Kit for every message, modal and App Home the bot shows (PRODUCT §7).

Colour is never the only signal: each status is an emoji *and* a word. Messages stay within
Block Kit's limits (50 blocks a message, 100 a modal or Home tab, 3000 characters a text).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from bot.inbox import Owed
from bot.measures import MeasureInfo
from bot.ragg import Committee, Direction, Ragg
from bot.status import StatusReport, StatusRow
from bot.submissions import SubmissionForm, SubmissionView
from bot.text import counts_line, direction_words, restated_words, state_words
from bot.workflow import State
from handlers.slack import ids

Block = dict[str, Any]
MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000

EMOJI = {
    Ragg.RED: ":red_circle:",
    Ragg.AMBER: ":large_orange_circle:",
    Ragg.GREEN: ":large_green_circle:",
    Ragg.GREY: ":white_circle:",
    Ragg.NONE: ":heavy_minus_sign:",
}
ARROWS = {
    Direction.IMPROVING: ":arrow_upper_right: improving",
    Direction.DECLINING: ":arrow_lower_right: declining",
    Direction.SAME: ":left_right_arrow: no change",
}


def clip(text: str, limit: int = MAX_TEXT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": clip(text, limit), "emoji": True}


def md(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": clip(text)}


def section(text: str, **extra: Any) -> Block:
    return {"type": "section", "text": md(text), **extra}


def fields(*pairs: tuple[str, str]) -> Block:
    return {"type": "section", "fields": [md(f"*{label}*\n{value}") for label, value in pairs][:10]}


def context(text: str) -> Block:
    return {"type": "context", "elements": [md(text)]}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, 150)}


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(text, 75),
        "action_id": action_id,
        "value": value[:2000],
    }
    if style:
        element["style"] = style
    return element


def divider() -> Block:
    return {"type": "divider"}


def badge(status: Ragg) -> str:
    """':large_orange_circle: *Amber*' — emoji and word together."""
    return f"{EMOJI[status]} *{status.word}*"


def when(moment: datetime, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M on %a %d %b %Y")


def day(value: date) -> str:
    return value.strftime("%a %d %b %Y")


def measure_value(measure: MeasureInfo, value: Decimal | None) -> str:
    return measure.format_value(value) if value is not None else "no approved value"


# -- help ---------------------------------------------------------------------------------------

HELP = [
    (
        "`/pmf status [REF] [PERIOD]`",
        "RAGG status of a measure (`SE1.1`), an aim (`SE1`), a "
        "priority (`SE`) or the whole council. _e.g._ `/pmf status SE1 2025-26 Q4`",
    ),
    (
        "`/pmf submit REF [PERIOD]`",
        "open the form to submit a figure and commentary. _e.g._ `/pmf submit SE1.1`",
    ),
    ("`/pmf due`", "what you still have to submit or review, with buttons"),
    (
        "`/pmf away FROM TO [@cover]`",
        "you are on leave: your reminders and reviews go to your "
        "cover. _e.g._ `/pmf away 14/07/2026 25/07/2026 @Sam Lee`",
    ),
    ("`/pmf back`", "you are back early"),
    (
        "`/pmf summary [PERIOD] [#channel]`",
        "preview the quarter's RAGG summary; admins can "
        "post it to a channel. _e.g._ `/pmf summary 2025-26 Q4`",
    ),
    (
        "`/pmf signoff PERIOD`",
        "Heads of Service: sign off your measures for a quarter once "
        "all are approved. _e.g._ `/pmf signoff 2025-26 Q4`",
    ),
    ("`/pmf help`", "this list"),
]


def help_blocks(intro: str | None = None) -> list[Block]:
    blocks: list[Block] = []
    if intro:
        blocks.append(section(intro))
    blocks.append(
        section("*What I can do*\n" + "\n".join(f"• {cmd} — {what}" for cmd, what in HELP))
    )
    blocks.append(context("Periods look like `2025-26`, `2025-26 Q1`, `2025-26 H2` or `2025-07`."))
    return blocks


def error_blocks(message: str, hint: str | None = None) -> list[Block]:
    blocks = [section(f":warning: {message}")]
    if hint:
        blocks.append(context(hint))
    return blocks


# -- status -------------------------------------------------------------------------------------


def _status_line(row: StatusRow) -> str:
    measure = row.measure
    figure = measure_value(measure, row.value)
    travel = f" · {ARROWS[row.direction]}" if row.direction else ""
    return (
        f"{badge(row.status)} `{measure.ref}` {clip(measure.title, 80)} — {figure} "
        f"(target {row.shown_target}){travel} · _{state_words(row)}_"
    )


def status_blocks(report: StatusReport, zone: ZoneInfo) -> list[Block]:
    if report.scope.kind == "measure":
        return measure_status_blocks(report.rows[0])
    title = (
        report.council
        if report.scope.kind == "council"
        else (f"{report.scope.kind.capitalize()} {report.scope.code}")
    )
    when_text = str(report.requested) if report.requested else "latest periods"
    blocks: list[Block] = [
        header(clip(f"{title} — {when_text}", 150)),
        section(counts_line(report.rows).replace("\n", "\n")),
    ]
    lines: list[str] = []
    for (code, name), rows in groupby(
        report.rows, key=lambda r: (r.measure.priority, r.measure.priority_name)
    ):
        if report.scope.kind != "aim":
            lines.append(f"*{code} {name}*")
        lines.extend(_status_line(row) for row in rows)
    blocks += _chunked_sections(lines, MAX_MESSAGE_BLOCKS - len(blocks) - 1, report)
    blocks.append(
        context(
            "Committee view: Amber and Grey count as on target. Only approved figures are shown."
        )
    )
    return blocks


def _chunked_sections(lines: list[str], room: int, report: StatusReport) -> list[Block]:
    sections: list[Block] = []
    current = ""
    shown = 0
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_TEXT - 100:
            if len(sections) + 1 >= room:
                break
            sections.append(section(current))
            current = line
        else:
            current = candidate
        shown += 1
    if current and len(sections) < room:
        sections.append(section(current))
    hidden = len(lines) - shown
    if hidden > 0:
        example = report.rows[0].measure.aim if report.rows else "SE1"
        sections = sections[: room - 1]
        sections.append(
            context(
                f"…and {hidden} more lines. Ask for one aim or priority to see "
                f"them all, e.g. `/pmf status {example}`."
            )
        )
    return sections


def measure_status_blocks(row: StatusRow) -> list[Block]:
    measure = row.measure
    committee = {
        Committee.ON_TARGET: "on target",
        Committee.OFF_TARGET: "off target",
        Committee.MISSING: "missing data",
    }[row.committee]
    blocks: list[Block] = [
        header(clip(f"{measure.ref} {measure.title}", 150)),
        fields(
            ("Period", f"{row.period} (deadline {day(row.deadline)})"),
            ("Status", f"{badge(row.status)} — {row.reason or row.status.meaning}"),
            ("Value", measure_value(measure, row.value)),
            ("Target", row.shown_target),
            ("Direction of travel", direction_words(row)),
            ("Workflow", row.state.words),
        ),
    ]
    if row.restated is not None:
        blocks.append(section(f":pencil2: {clip(restated_words(row), 2800)}"))
    if row.commentary:
        blocks.append(section(f"*Performance overview*\n{clip(row.commentary, 2800)}"))
    if row.actions:
        blocks.append(section(f"*Actions to improve performance*\n{clip(row.actions, 2800)}"))
    blocks.append(
        context(f"Committee view: {committee} · priority {measure.priority} · aim {measure.aim}")
    )
    return blocks


# -- submission modal ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ModalMeta:
    ref: str
    period: str
    channel: str | None = None

    def dump(self) -> str:
        return json.dumps({"ref": self.ref, "period": self.period, "channel": self.channel})

    @classmethod
    def load(cls, text: str) -> ModalMeta:
        """What `dump` wrote; ValueError when the text is anything else (a damaged form)."""
        try:
            data = json.loads(text or "{}")
        except RecursionError as error:
            raise ValueError("private_metadata is nested too deeply") from error
        if not isinstance(data, dict):
            raise ValueError("private_metadata is not an object")
        ref, period, channel = data.get("ref", ""), data.get("period", ""), data.get("channel")
        if not isinstance(ref, str) or not isinstance(period, str):
            raise ValueError("private_metadata names no measure and period")
        return cls(ref, period, channel if isinstance(channel, str) else None)


def _input(
    block_id: str,
    action_id: str,
    label: str,
    *,
    multiline: bool = False,
    optional: bool = False,
    initial: str | None = None,
    placeholder: str | None = None,
    hint: str | None = None,
    max_length: int = 2900,
) -> Block:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": action_id,
        "multiline": multiline,
        "max_length": max_length,
    }
    if initial:
        element["initial_value"] = initial[:max_length]
    if placeholder:
        element["placeholder"] = plain(placeholder, 150)
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, 2000),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, 2000)
    return block


def submission_modal(
    form: SubmissionForm, channel: str | None = None, prefill: tuple[str, str] | None = None
) -> dict[str, Any]:
    """The form; `prefill` is (value, overview) already given, e.g. in a reply to a reminder."""
    measure = form.measure
    recent = (
        ", ".join(f"{period}: {measure.format_value(value)}" for period, value in form.recent)
        or "none yet"
    )
    pending = form.pending
    value_initial = prefill[0] if prefill else (_plain_number(pending.value) if pending else None)
    overview_initial = prefill[1] if prefill else (pending.overview if pending else None)
    unit = {
        "percentage": "a percentage, 0 to 100",
        "currency": "an amount in pounds",
        "number": measure.units or "a number",
    }[measure.format.value]
    places = "whole number" if measure.decimals == 0 else f"up to {measure.decimals} decimal places"
    blocks: list[Block] = [
        header(clip(f"{measure.ref} {measure.title}", 150)),
        context(clip(measure.definition or "No definition recorded.", 2900)),
        fields(
            ("Period", str(form.period)),
            ("Deadline", day(form.deadline)),
            ("Target", measure.format_target(form.target)),
            ("Recent values", recent),
        ),
    ]
    for note in form.notes:
        blocks.append(context(f":information_source: {note}"))
    if pending is not None:
        blocks.append(
            context(
                f":pencil2: Version {pending.version} is waiting for review; "
                "submitting again replaces it."
            )
        )
    blocks += [
        _input(
            ids.VALUE_BLOCK,
            ids.VALUE_INPUT,
            f"Value ({unit})",
            initial=value_initial,
            placeholder="e.g. 87.5",
            hint=f"{places.capitalize()}.",
            max_length=40,
        ),
        _input(
            ids.OVERVIEW_BLOCK,
            ids.OVERVIEW_INPUT,
            "Performance overview",
            multiline=True,
            initial=overview_initial,
            placeholder="What the figure shows and why",
        ),
        _input(
            ids.ACTIONS_BLOCK,
            ids.ACTIONS_INPUT,
            "Actions to improve performance",
            multiline=True,
            optional=True,
            initial=pending.actions if pending else None,
            hint=f"Required when the figure is {form.actions_needed_for} (the exception report).",
        ),
        _input(
            ids.EVIDENCE_BLOCK,
            ids.EVIDENCE_INPUT,
            "Evidence link",
            optional=True,
            initial=pending.evidence_url if pending else None,
            placeholder="https://…",
            max_length=1000,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": ids.SUBMIT_VIEW,
        "private_metadata": ModalMeta(measure.ref, form.period.label, channel).dump(),
        "title": plain("Submit a figure", 24),
        "submit": plain("Submit", 24),
        "close": plain("Cancel", 24),
        "blocks": blocks[:MAX_VIEW_BLOCKS],
    }


def _plain_number(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def reject_modal(submission: SubmissionView, card_channel: str | None) -> dict[str, Any]:
    measure = submission.measure
    return {
        "type": "modal",
        "callback_id": ids.REJECT_VIEW,
        "private_metadata": json.dumps({"submission": submission.id, "channel": card_channel}),
        "title": plain("Reject a figure", 24),
        "submit": plain("Reject", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(
                f"*{measure.ref}* {clip(measure.title, 200)} — {submission.period}, "
                f"version {submission.version}: "
                f"{measure.format_value(submission.value)} from "
                f"{submission.submitted_by_name}"
            ),
            _input(
                ids.REASON_BLOCK,
                ids.REASON_INPUT,
                "Why is it rejected?",
                multiline=True,
                placeholder="What should the collector check or change?",
            ),
        ],
    }


# -- review cards and notices -------------------------------------------------------------------


def _submission_summary(view: SubmissionView, zone: ZoneInfo) -> list[Block]:
    measure = view.measure
    late = f" :hourglass: *late* (deadline {day(view.deadline)})" if view.late else ""
    behalf = " (on behalf of the collector)" if view.on_behalf else ""
    blocks: list[Block] = [
        header(clip(f"{measure.ref} {measure.title}", 150)),
        fields(
            ("Period", f"{view.period} · version {view.version}"),
            ("Value", measure.format_value(view.value)),
            ("Target", measure.format_target(view.target, view.value, view.ragg)),
            ("Status if approved", f"{badge(view.ragg)}"),
            ("Submitted by", f"{view.submitted_by_name}{behalf}"),
            ("Submitted", f"{when(view.submitted_at, zone)}{late}"),
        ),
        section(f"*Performance overview*\n{clip(view.overview, 2800)}"),
    ]
    if view.actions:
        blocks.append(section(f"*Actions to improve performance*\n{clip(view.actions, 2800)}"))
    if view.evidence_url:
        blocks.append(section(f"*Evidence*\n<{view.evidence_url}|{clip(view.evidence_url, 200)}>"))
    return blocks


def review_card(
    view: SubmissionView,
    zone: ZoneInfo,
    *,
    superseded_by: int | None = None,
    reopened: str | None = None,
) -> list[Block]:
    """The reviewer's card. `reopened` is the note to show once an approval is reopened."""
    blocks = _submission_summary(view, zone)
    if view.decision == "approved":
        blocks.append(
            context(
                f":white_check_mark: *Approved* by {view.decided_by_name} at "
                f"{when(view.decided_at or view.submitted_at, zone)}"
            )
        )
        if reopened:
            blocks.append(context(f":leftwards_arrow_with_hook: {clip(reopened, 2900)}"))
        else:
            blocks.append(
                {
                    "type": "actions",
                    "block_id": f"reopen_{view.id}",
                    "elements": [button("Reopen", ids.REOPEN, str(view.id))],
                }
            )
    elif view.decision == "rejected":
        blocks.append(
            context(
                f":x: *Rejected* by {view.decided_by_name} at "
                f"{when(view.decided_at or view.submitted_at, zone)}: "
                f"{clip(view.reason or '', 2500)}"
            )
        )
    elif superseded_by is not None:
        blocks.append(
            context(
                f":arrows_counterclockwise: Replaced by version {superseded_by}; "
                "review the newer card."
            )
        )
    else:
        blocks.append(
            {
                "type": "actions",
                "block_id": f"review_{view.id}",
                "elements": [
                    button("Approve", ids.APPROVE, str(view.id), "primary"),
                    button("Reject", ids.REJECT, str(view.id), "danger"),
                ],
            }
        )
    return blocks


def reopen_modal(submission: SubmissionView) -> dict[str, Any]:
    measure = submission.measure
    return {
        "type": "modal",
        "callback_id": ids.REOPEN_VIEW,
        "private_metadata": json.dumps({"submission": submission.id}),
        "title": plain("Reopen a figure", 24),
        "submit": plain("Reopen", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            section(
                f"*{measure.ref}* {clip(measure.title, 200)} — {submission.period}: "
                f"{measure.format_value(submission.value)}, approved by "
                f"{submission.decided_by_name}. Reopening withdraws it from status until a "
                "new version is approved."
            ),
            _input(
                ids.REASON_BLOCK,
                ids.REASON_INPUT,
                "Why is it being reopened?",
                multiline=True,
                placeholder="What has changed or needs checking?",
            ),
        ],
    }


def reopened_notice(view: SubmissionView, by: str, reason: str) -> list[Block]:
    measure = view.measure
    return [
        section(
            f":leftwards_arrow_with_hook: The approved figure for *{measure.ref}* "
            f"{clip(measure.title, 150)}, {view.period} ({measure.format_value(view.value)}), "
            f"was *reopened* by {by}."
        ),
        section(f"*Reason*\n{clip(reason, 2800)}"),
        {
            "type": "actions",
            "elements": [
                button("Resubmit", ids.RESUBMIT, f"{measure.ref}|{view.period.label}", "primary")
            ],
        },
    ]


def review_card_text(view: SubmissionView) -> str:
    state = {"approved": "approved", "rejected": "rejected"}.get(view.decision or "", "to review")
    return (
        f"{view.measure.ref} {view.period}: {view.measure.format_value(view.value)} "
        f"from {view.submitted_by_name} — {state}"
    )


def decision_notice(view: SubmissionView, zone: ZoneInfo) -> list[Block]:
    measure = view.measure
    if view.decision == "approved":
        return [
            section(
                f":white_check_mark: Your figure for *{measure.ref}* {clip(measure.title, 150)}, "
                f"{view.period} ({measure.format_value(view.value)}), was *approved* by "
                f"{view.decided_by_name} at {when(view.decided_at or view.submitted_at, zone)}. "
                f"Status: {badge(view.ragg)}."
            )
        ]
    return [
        section(
            f":x: Your figure for *{measure.ref}* {clip(measure.title, 150)}, {view.period} "
            f"({measure.format_value(view.value)}), was *rejected* by "
            f"{view.decided_by_name}."
        ),
        section(f"*Reason*\n{clip(view.reason or '', 2800)}"),
        {
            "type": "actions",
            "elements": [
                button("Resubmit", ids.RESUBMIT, f"{measure.ref}|{view.period.label}", "primary"),
            ],
        },
    ]


def submitted_notice(view: SubmissionView, reviewer_names: Sequence[str]) -> str:
    who = " or ".join(reviewer_names) or "the reviewer"
    late = " It is after the deadline, so it is marked late." if view.late else ""
    return (
        f":inbox_tray: Thank you — {view.measure.ref} {view.period} "
        f"({view.measure.format_value(view.value)}, version {view.version}) has gone to "
        f"{who} for review.{late}"
    )


# -- due list and App Home ----------------------------------------------------------------------


def due_blocks(
    due: Iterable[Owed], reviews: Iterable[SubmissionView], zone: ZoneInfo, *, limit: int = 20
) -> list[Block]:
    due, reviews = list(due), list(reviews)
    blocks: list[Block] = [section("*Due from you*")]
    if not due:
        blocks.append(context("Nothing to submit. :tada:"))
    for item in due[:limit]:
        overdue = " :rotating_light: *overdue*" if item.state is State.OVERDUE else ""
        blocks.append(
            section(
                f"`{item.measure.ref}` {clip(item.measure.title, 120)} — *{item.period}*, deadline "
                f"{day(item.deadline)}{overdue} · _{item.state.words}_",
                accessory=button(
                    "Submit", ids.OPEN_SUBMIT, f"{item.measure.ref}|{item.period.label}", "primary"
                ),
            )
        )
    if len(due) > limit:
        blocks.append(context(f"…and {len(due) - limit} more."))
    blocks.append(section("*Waiting for your review*"))
    if not reviews:
        blocks.append(context("Nothing to review."))
    for view in reviews[:limit]:
        blocks.append(
            section(
                f"`{view.measure.ref}` {view.period} v{view.version}: "
                f"{view.measure.format_value(view.value)} from {view.submitted_by_name} — "
                f"{badge(view.ragg)} if approved{' · late' if view.late else ''}"
            )
        )
        blocks.append(
            {
                "type": "actions",
                "block_id": f"home_review_{view.id}",
                "elements": [
                    button("Approve", ids.APPROVE, str(view.id), "primary"),
                    button("Reject", ids.REJECT, str(view.id), "danger"),
                ],
            }
        )
    if len(reviews) > limit:
        blocks.append(context(f"…and {len(reviews) - limit} more."))
    return blocks


def home_view(
    name: str | None,
    due: Sequence[Owed],
    reviews: Sequence[SubmissionView],
    decisions: Sequence[SubmissionView],
    zone: ZoneInfo,
    *,
    known: bool = True,
) -> dict[str, Any]:
    blocks: list[Block] = [header("Performance measures")]
    if not known:
        blocks.append(
            section(
                "You are not in the council's measure register, so there is nothing for you to "
                "submit or review. You can still read status with `/pmf status`. If you should be "
                "in the register, ask the Performance & Policy Officer to add your e-mail."
            )
        )
    else:
        blocks.append(context(f"Hello {name}. This page refreshes whenever you open it."))
        blocks += due_blocks(due, reviews, zone, limit=15)
        blocks.append(divider())
        blocks.append(section("*Recent decisions*"))
        if not decisions:
            blocks.append(context("No decisions yet."))
        for view in decisions[:10]:
            verb = "approved" if view.decision == "approved" else "rejected"
            blocks.append(
                context(
                    f"`{view.measure.ref}` {view.period} v{view.version} "
                    f"({view.measure.format_value(view.value)}) {verb} by "
                    f"{view.decided_by_name} at {when(view.decided_at or view.submitted_at, zone)}"
                )
            )
    blocks.append(
        {
            "type": "actions",
            "elements": [
                button("Refresh", ids.REFRESH_HOME, "refresh"),
            ],
        }
    )
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
