"""Leave and cover as messages (PRODUCT §6, issue 13): what the cover is told, and the list of
someone's booked leave with its Cancel buttons."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.chat import intents
from bot.chat.model import Button, Code, Icon, Intent, Message, Note, Para, Strong, text
from bot.leave import BOOKED, CANCELLED, STARTS, Away

COVERING = "their reminders and review requests come to you, and you may submit or decide for them"


def span(away: Away) -> str:
    if away.starts == away.ends:
        return f"on {away.starts:%a %d %b %Y}"
    return f"from {away.starts:%a %d %b} to {away.ends:%a %d %b %Y}"


def cover_notice(kind: str, away: Away, today: date) -> Message:
    """To the cover: leave booked naming them, leave starting, leave cancelled."""
    who = away.person_name or "A colleague"
    if kind == BOOKED:
        when = "from today" if away.starts <= today else f"from {away.starts:%a %d %b}"
        words = text(
            Icon.COVER,
            " ",
            Strong(who),
            f" will be away {span(away)} and has named you as cover: {when}, {COVERING}.",
            " I will remind you when it starts." if away.starts > today else "",
        )
    elif kind == STARTS:
        words = text(
            Icon.LEAVE,
            " ",
            Strong(who),
            f" is away from today until {away.ends:%a %d %b %Y}, and you are covering: {COVERING}.",
        )
    elif kind == CANCELLED:
        words = text(
            Icon.INFO,
            " ",
            Strong(who),
            f" has cancelled their leave {span(away)}, so you are no longer covering for "
            "them then.",
        )
    else:
        raise ValueError(f"unknown leave notice {kind!r}")
    return Message.plain(words)


def cancel_button(away: Away) -> Button:
    return Button("Cancel", Intent(intents.CANCEL_LEAVE, str(away.id)))


def _line(away: Away, today: date) -> Para:
    cover = f", covered by {away.cover_name}" if away.cover_name else ", no cover named"
    if away.starts <= today:
        return Para(
            text(
                Icon.LEAVE,
                f" Away {span(away)}{cover} — under way; ",
                Code("/pmf back"),
                " when you return.",
            )
        )
    return Para(text(Icon.LEAVE, f" Away {span(away)}{cover}."), button=cancel_button(away))


def booked_list(booked: Sequence[Away], today: date) -> Message:
    """`/pmf away` with nothing after it: the leave booked, each with Cancel, and how to book."""
    how = Note(
        text(
            "To book leave: ",
            Code("/pmf away FROM TO @cover"),
            ", for example ",
            Code("/pmf away today 31 Jul @Sam Lee"),
            ". Dates like 2026-07-14, 14/07/2026, 14 Jul or today.",
        )
    )
    if not booked:
        return Message.of("You have no leave booked", Para(text("You have no leave booked.")), how)
    parts = [Para(text(Strong("Your leave")))]
    parts += [_line(away, today) for away in booked[:40]]
    return Message(f"{len(booked)} leave booked", (*parts, how))


def back_but_booked(booked: Sequence[Away], today: date) -> Message:
    """`/pmf back` when nothing is under way but leave is booked for later."""
    parts = [
        Para(text("You are not away now, so nothing has changed. You have leave booked for later:"))
    ]
    parts += [_line(away, today) for away in booked[:40]]
    return Message("You are not away now; you have leave booked for later", tuple(parts))


def cancelled(away: Away) -> Message:
    told = f" {away.cover_name} has been told." if away.cover_name else ""
    return Message.plain(text(Icon.DONE, f" Cancelled your leave {span(away)}.{told}"))
