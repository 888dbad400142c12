"""Messages as data: what the bot says, before any chat platform's format.

The core builds every message, card, form and home page out of these few parts; each surface
renders them (Block Kit for Slack, Adaptive Cards for Teams) and is the only place that knows
its markup. Text is *plain* unless a part says otherwise: an officer's commentary, a measure's
title or a person's name is always a plain `str`, and every renderer escapes plain text, so
typed text can never become a mention, a link or formatting (PRODUCT §9). The bot's own
emphasis, code, links and icons are separate inline parts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from bot.safe_text import web_link


class Icon(StrEnum):
    """A small picture beside words (never instead of them)."""

    RED = "red"
    AMBER = "amber"
    GREEN = "green"
    GREY = "grey"
    NO_DATA = "no_data"
    IMPROVING = "improving"
    DECLINING = "declining"
    SAME = "same"
    WARNING = "warning"
    REFUSED = "refused"
    DONE = "done"
    REJECTED = "rejected"
    INBOX = "inbox"
    ALARM = "alarm"
    HOURGLASS = "hourglass"
    WAITING = "waiting"
    OVERDUE = "overdue"
    CLIPBOARD = "clipboard"
    EDIT = "edit"
    REOPENED = "reopened"
    LEAVE = "leave"
    WELCOME = "welcome"
    PREVIEW = "preview"
    INFO = "info"
    COVER = "cover"
    CELEBRATE = "celebrate"
    MEMO = "memo"
    PUZZLED = "puzzled"
    REPLACED = "replaced"
    LATE = "late"
    NO_TARGET = "no_target"


@dataclass(frozen=True, slots=True)
class Strong:
    text: str


@dataclass(frozen=True, slots=True)
class Em:
    text: str


@dataclass(frozen=True, slots=True)
class Code:
    """A command or reference the reader may type, such as `/pmf status SE1`."""

    text: str


class UnsafeLink(ValueError):
    """A link the bot will not show as a link."""


@dataclass(frozen=True, slots=True)
class Link:
    """A web link the bot formats itself. Only `https` addresses without spaces or markup
    characters are allowed; renderers show the real host beside the label."""

    url: str
    label: str | None = None

    def __post_init__(self) -> None:
        if not is_safe_url(self.url):
            raise UnsafeLink(f"not a safe https address: {self.url!r}")

    @property
    def host(self) -> str:
        """The real site, as a browser resolves it (an international name in its xn-- form)."""
        checked = web_link(self.url)
        return checked.host if checked else ""

    @property
    def shown(self) -> str:
        """The label to show: the one given, else the site and path, shortened."""
        checked = web_link(self.url)
        return self.label or (checked.label if checked else self.url)


def is_safe_url(url: str) -> bool:
    """An https address with a host, and nothing a chat platform could read as markup: the
    rule every surface shares (`bot.safe_text`), also applied when a link is typed."""
    return web_link(url) is not None


Inline = str | Strong | Em | Code | Link | Icon
Text = tuple[Inline, ...]


def text(*parts: Inline | Iterable[Inline] | None) -> Text:
    """Join inline parts (nested sequences are flattened, None is skipped)."""
    found: list[Inline] = []
    for part in parts:
        if part is None:
            continue
        if isinstance(part, (str, Strong, Em, Code, Link, Icon)):
            found.append(part)
        else:
            found.extend(part)
    return tuple(found)


def plain_of(value: Text) -> str:
    """The words of a text without markup (notification text, terminals, tests)."""
    out: list[str] = []
    for part in value:
        if isinstance(part, Icon):  # before str: an Icon is a str too
            continue
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, Link):
            out.append(part.label or part.url)
        else:
            out.append(part.text)
    return "".join(out).strip()


def clip(words: str, limit: int) -> str:
    """At most `limit` characters, ending with … when cut."""
    return words if len(words) <= limit else words[: max(limit - 1, 0)] + "…"


# -- blocks -------------------------------------------------------------------------------------


class Style(StrEnum):
    PRIMARY = "primary"
    DANGER = "danger"


@dataclass(frozen=True, slots=True)
class Intent:
    """What a button asks the bot to do: an action name (`bot.chat.intents`) and its value.
    The value only names things (a submission, a measure and period); every rule is checked
    again on the server when the intent arrives."""

    action: str
    value: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    label: str
    intent: Intent
    style: Style | None = None


@dataclass(frozen=True, slots=True)
class Heading:
    text: str


@dataclass(frozen=True, slots=True)
class Para:
    text: Text
    button: Button | None = None  # one button beside the paragraph (a list item's action)


@dataclass(frozen=True, slots=True)
class Facts:
    """Label and value pairs, shown as a grid."""

    items: tuple[tuple[str, Text], ...]


@dataclass(frozen=True, slots=True)
class Note:
    """Small print under or between parts."""

    text: Text


@dataclass(frozen=True, slots=True)
class Actions:
    buttons: tuple[Button, ...]
    id: str | None = None  # a stable id for the row of buttons, unique in its message


@dataclass(frozen=True, slots=True)
class Divider:
    pass


Block = Heading | Para | Facts | Note | Actions | Divider


@dataclass(frozen=True)
class Message:
    """One message: `summary` is its plain notification text, `blocks` what is shown."""

    summary: str
    blocks: tuple[Block, ...] = ()
    brief: bool = False  # one paragraph that is its own notification text, icons and all

    @staticmethod
    def of(summary: str, *blocks: Block | None) -> Message:
        return Message(summary, tuple(b for b in blocks if b is not None))

    @staticmethod
    def plain(words: Text | str) -> Message:
        """A one-paragraph message, shown in notifications as it is."""
        body = (words,) if isinstance(words, str) else words
        return Message(plain_of(body), (Para(body),), brief=True)


# -- forms --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Field:
    """A text input on a form, named as the use case names its problems (value, overview…)."""

    name: str
    label: str
    multiline: bool = False
    optional: bool = False
    initial: str | None = None
    placeholder: str | None = None
    hint: str | None = None
    max_length: int = 2900
    # A choice of these (value, label) pairs instead of typing: a menu in Slack, a choice
    # set in Teams. `initial` then names the chosen value.
    choices: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Form:
    """A form the person fills in (a Slack modal, a Teams dialog): `kind` names what it is
    for, `meta` is carried with it untouched and comes back on submission."""

    kind: str
    title: str
    submit: str
    blocks: tuple[Block, ...]
    fields: tuple[Field, ...]
    meta: Mapping[str, Any] = field(default_factory=dict)
    close: str = "Cancel"
