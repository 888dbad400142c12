"""Messages for tracked actions (bot.actions): `/pmf actions`, the progress buttons, the drop
form, the overdue notice and the list shown on the submission form."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.actions import AT_RISK, DONE, ON_TRACK, ActionView
from bot.chat import intents
from bot.chat.model import (
    Actions,
    Block,
    Button,
    Code,
    Field,
    Form,
    Heading,
    Icon,
    Inline,
    Intent,
    Message,
    Note,
    Para,
    Strong,
    Style,
    Text,
    clip,
    text,
)
from bot.chat.words import day

MAX_LISTED = 15  # a message keeps well inside the chat platforms' limits


def line(action: ActionView, today: date) -> Text:
    late = text(" ", Icon.OVERDUE, " ", Strong("overdue")) if action.overdue(today) else ()
    return text(
        Code(action.ref),
        f" {clip(action.title, 80)} ({action.period}): ",
        clip(action.text, 600),
        f"\nOwner {action.owner_name} · due {day(action.due)} · ",
        Strong(action.words),
        late,
        f" — {clip(action.note, 300)}" if action.note else "",
    )


def progress_buttons(action: ActionView) -> Actions:
    def value(progress: str) -> str:
        return f"{action.id}|{progress}"

    choices = [
        Button("On track", Intent(intents.ACTION_PROGRESS, value(ON_TRACK))),
        Button("At risk", Intent(intents.ACTION_PROGRESS, value(AT_RISK))),
        Button("Done", Intent(intents.ACTION_PROGRESS, value(DONE)), Style.PRIMARY),
        Button("Drop…", Intent(intents.ACTION_DROP, str(action.id))),
    ]
    return Actions(tuple(choices), id=f"action_{action.id}")


def listing(
    found: Sequence[ActionView], today: date, *, title: str, editable: Sequence[int] = ()
) -> Message:
    """`/pmf actions`: each open action with its owner, due date and progress, and buttons to
    update those the person may update."""
    if not found:
        return Message.plain(
            text(Icon.DONE, f" {title}: none open. Actions come from approved exception reports.")
        )
    parts: list[Block] = [Heading(title)]
    for action in found[:MAX_LISTED]:
        parts.append(Para(line(action, today)))
        if action.id in editable:
            parts.append(progress_buttons(action))
    if len(found) > MAX_LISTED:
        parts.append(
            Note(
                text(
                    f"{len(found) - MAX_LISTED} more; name a measure: ", Code("/pmf actions SE1.1")
                )
            )
        )
    overdue = sum(1 for a in found if a.overdue(today))
    summary = f"{title}: {len(found)} open" + (f", {overdue} overdue" if overdue else "")
    return Message(summary, tuple(parts))


def updated(action: ActionView) -> Message:
    return Message.plain(
        text(
            Icon.DONE,
            f" {action.ref} action now {action.words}: ",
            clip(action.text, 300),
        )
    )


def drop_form(action: ActionView, channel: str | None = None) -> Form:
    return Form(
        kind=intents.ACTION_DROP_FORM,
        title="Drop an action",
        submit="Drop",
        blocks=(Para(text(Code(action.ref), " ", clip(action.text, 600))),),
        fields=(
            Field(
                intents.REASON,
                "Why is it dropped?",
                multiline=True,
                placeholder="What replaces it, or why it is no longer needed",
            ),
        ),
        meta={"action": action.id, "channel": channel},
    )


def overdue_notice(action: ActionView, today: date) -> Message:
    return Message(
        f"An action on {action.ref} is past its due date",
        (
            Para(
                text(
                    Icon.ALARM,
                    f" This action from the {action.period} exception report was due "
                    f"{day(action.due)}. Is it done, on track or at risk?",
                )
            ),
            Para(line(action, today)),
            progress_buttons(action),
        ),
    )


def on_the_form(found: Sequence[ActionView], today: date) -> Para | None:
    """The measure's open actions, listed on the submission form (to update with the
    buttons in /pmf actions)."""
    if not found:
        return None
    parts: list[Inline] = [Strong("Open actions from earlier reports")]
    for action in found[:8]:
        late = " (overdue)" if action.overdue(today) else ""
        parts += [
            "\n• ",
            clip(action.text, 200),
            f" — {action.owner_name}, due {day(action.due)}, {action.words}{late}",
        ]
    parts += ["\nUpdate their progress with ", Code(f"/pmf actions {found[0].ref}"), "."]
    return Para(tuple(parts))
