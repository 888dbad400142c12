"""A person's outstanding work as a message (`/pmf due`) and as their home page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.chat import intents
from bot.chat.cards import LONG, decision_buttons, evidence, measure_period, trend_line
from bot.chat.model import (
    Actions,
    Block,
    Button,
    Code,
    Divider,
    Em,
    Heading,
    Icon,
    Intent,
    Message,
    Note,
    Para,
    Strong,
    Style,
    clip,
    text,
)
from bot.chat.words import badge, day, when
from bot.inbox import Inbox, Late, Owed
from bot.submissions import SubmissionView
from bot.trend import Context
from bot.workflow import State

NOT_IN_REGISTER_HOME = text(
    "You are not in the council's measure register, so there is nothing for you to submit or "
    "review. You can still read status with ",
    Code("/pmf status"),
    ". If you should be in the register, ask the Performance & Policy Officer to add your e-mail.",
)


def _owed(item: Owed) -> Para:
    overdue = text(" ", Icon.OVERDUE, " ", Strong("overdue")) if item.state is State.OVERDUE else ()
    value = measure_period(item.measure.ref, item.period.label)
    return Para(
        text(
            Code(item.measure.ref),
            f" {clip(item.measure.title, 120)} — ",
            Strong(str(item.period)),
            f", deadline {day(item.deadline)}",
            # The flag says "overdue" once; other states say what they are.
            overdue or text(" · ", Em(item.state.words)),
        ),
        button=Button("Submit", Intent(intents.OPEN_SUBMIT, value), Style.PRIMARY),
    )


def review_parts(view: SubmissionView, found: Context | None) -> list[Block]:
    """A figure waiting for review as the card shows it — the figure against its targets,
    any unusual change, recent figures, the overview, the actions and the evidence — with
    Approve and Reject last, so a reviewer never decides on a line alone (issue 13)."""
    measure = view.measure
    lines = text(
        Code(measure.ref),
        f" {clip(measure.title, 120)} — ",
        Strong(f"{view.period}"),
        f", version {view.version}: ",
        Strong(measure.format_value(view.value)),
        (
            f" against a target of {measure.format_target(view.target, view.value, view.ragg)}"
            if view.target is not None
            else " (no target)"
        ),
        f" from {view.submitted_by_name} — ",
        badge(view.ragg),
        " if approved",
        text(" · ", Icon.LATE, " late") if view.late else (),
    )
    if found is not None and found.unusual:
        lines = text(
            lines,
            "\n",
            Icon.WARNING,
            " ",
            Strong("Unusual change — check the source"),
            f": {found.unusual}.",
        )
    if found is not None and found.earlier:
        lines = text(lines, "\n", Em("Recent figures:"), " ", trend_line(view, found))
    parts: list[Block] = [
        Para(lines),
        Para(text(Strong("Performance overview"), "\n", clip(view.overview, LONG))),
    ]
    if view.actions:
        parts.append(
            Para(text(Strong("Actions to improve performance"), "\n", clip(view.actions, LONG)))
        )
    if view.evidence_url:
        parts.append(Note(text("Evidence: ", evidence(view.evidence_url))))
    parts.append(decision_buttons(view.id, f"home_review_{view.id}"))
    return parts


def _late_parts(late: Sequence[Late] | None, limit: int) -> list[Block]:
    """For a Head of Service: what is overdue in their service from others, and from whom."""
    if late is None:
        return []
    parts: list[Block] = [Para(text(Strong("Overdue in your service")))]
    if not late:
        parts.append(Note(text("Nothing overdue in your service.")))
    lines = [
        text(
            Icon.OVERDUE,
            " ",
            Code(item.owed.measure.ref),
            f" {clip(item.owed.measure.title, 100)} — ",
            Strong(str(item.owed.period)),
            f" from {item.collector}, due {day(item.owed.deadline)}",
        )
        for item in late[:limit]
    ]
    if lines:
        parts.append(Para(text(*(text(line, "\n") for line in lines[:-1]), lines[-1])))
    if len(late) > limit:
        parts.append(Note(text(f"…and {len(late) - limit} more.")))
    if late:
        parts.append(
            Note(
                text(
                    "Their collectors are nudged every few working days until the Board date; "
                    "you were told once, the day after each deadline."
                )
            )
        )
    return parts


def due_parts(
    due: Sequence[Owed],
    reviews: Sequence[SubmissionView],
    *,
    limit: int = 20,
    contexts: Mapping[int, Context] | None = None,
    reviews_shown: int = 5,
    late: Sequence[Late] | None = None,
) -> list[Block]:
    parts: list[Block] = [Para(text(Strong("Due from you")))]
    if not due:
        parts.append(Note(text("Nothing to submit. ", Icon.CELEBRATE)))
    parts += [_owed(item) for item in due[:limit]]
    if len(due) > limit:
        parts.append(Note(text(f"…and {len(due) - limit} more.")))
    parts.append(Para(text(Strong("Waiting for your review"))))
    if not reviews:
        parts.append(Note(text("Nothing to review.")))
    for n, view in enumerate(reviews[:reviews_shown]):
        if n:
            parts.append(Divider())
        parts += review_parts(view, (contexts or {}).get(view.id))
    if len(reviews) > reviews_shown:
        parts.append(
            Note(
                text(
                    f"…and {len(reviews) - reviews_shown} more: each has its card, with "
                    "Approve and Reject, in your messages with the bot."
                )
            )
        )
    return parts + _late_parts(late, limit)


def due_message(box: Inbox, *, max_parts: int = 50) -> Message:
    # Each review's Approve and Reject come after its overview and actions, so cutting the
    # message to Slack's block limit never leaves buttons without what they decide on.
    shown = due_parts(
        box.due, box.reviews, limit=15, contexts=box.contexts, reviews_shown=4, late=box.late
    )[:max_parts]
    late = f", {len(box.late)} overdue in your service" if box.late else ""
    return Message(f"{len(box.due)} due from you, {len(box.reviews)} to review{late}", tuple(shown))


def home_page(box: Inbox | None, zone: ZoneInfo) -> Message:
    """The home page: due items, the review queue, recent decisions, and Refresh."""
    parts: list[Block] = [Heading("Performance measures")]
    if box is None or not box.known:
        parts.append(Para(NOT_IN_REGISTER_HOME))
    else:
        parts.append(Note(text(f"Hello {box.name}. This page refreshes whenever you open it.")))
        parts += due_parts(
            box.due, box.reviews, limit=10, contexts=box.contexts, reviews_shown=8, late=box.late
        )
        parts.append(Divider())
        parts.append(Para(text(Strong("Recent decisions"))))
        if not box.decisions:
            parts.append(Note(text("No decisions yet.")))
        for view in box.decisions[:10]:
            verb = "approved" if view.decision == "approved" else "rejected"
            parts.append(
                Note(
                    text(
                        Code(view.measure.ref),
                        f" {view.period} v{view.version} "
                        f"({view.measure.format_value(view.value)}) {verb} by "
                        f"{view.decided_by_name} at "
                        f"{when(view.decided_at or view.submitted_at, zone)}",
                    )
                )
            )
    parts.append(Actions((Button("Refresh", Intent(intents.REFRESH_HOME, "refresh")),)))
    return Message("Performance measures", tuple(parts[:100]))
