"""Adaptive Cards (1.5) for the chat-neutral messages and forms of `bot.chat.model`.

The one place that writes Teams markup. Plain text is escaped for Adaptive Card markdown (a
backslash before every character markdown could read: `* _ [ ] ( ) # - + . ! < > \\` and the
backtick), so nothing an officer typed or the register holds becomes formatting, a list or a
disguised link; links are the bot's own (`bot.safe_text`: https only), with the real site
beside the label.

Buttons: a button that opens the submission form is an `Action.Submit` that opens a dialog
(task module, `task/fetch`); every other button is an `Action.Execute` whose `verb` is the
intent, so the bot answers with the card to show in its place (Universal Actions). A form
opened from an `Action.Execute` (a reason to reject) is shown in the card itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from bot.chat import intents
from bot.chat.model import (
    Actions,
    Block,
    Button,
    Code,
    Divider,
    Em,
    Facts,
    Field,
    Form,
    Heading,
    Icon,
    Link,
    Message,
    Note,
    Para,
    Strong,
    Style,
    Text,
    clip,
)

Json = dict[str, Any]

VERSION = "1.5"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
CARD = "application/vnd.microsoft.card.adaptive"
MAX_TEXT = 4000
MAX_BODY = 80  # elements in a card (Teams allows ~100 KB a message)
FORM_VERB = "pmf_form"  # an inline form's submit (`data.form` names which)
DATA_ACTION = "pmf_action"
DATA_VALUE = "pmf_value"
DATA_FROM = "pmf_from"  # a list's buttons say which list they are on, so a click redraws it
DATA_FORM = "pmf_form"
DATA_META = "pmf_meta"
DATA_OPEN = "pmf_open"  # [action, value] of what opened the form, to show it again

# Buttons whose form is large enough for a dialog (task module) rather than the card itself.
DIALOG_BUTTONS = frozenset({intents.OPEN_SUBMIT, intents.RESUBMIT, intents.REPLY_EDIT})

EMOJI = {
    Icon.RED: "🔴",
    Icon.AMBER: "🟠",
    Icon.GREEN: "🟢",
    Icon.GREY: "⚪",
    Icon.NO_DATA: "➖",
    Icon.IMPROVING: "↗️",
    Icon.DECLINING: "↘️",
    Icon.SAME: "↔️",
    Icon.WARNING: "⚠️",
    Icon.REFUSED: "⛔",
    Icon.DONE: "✅",
    Icon.REJECTED: "❌",
    Icon.INBOX: "📥",
    Icon.ALARM: "⏰",
    Icon.HOURGLASS: "⌛",
    Icon.WAITING: "⏳",
    Icon.OVERDUE: "🚨",
    Icon.CLIPBOARD: "📋",
    Icon.EDIT: "✏️",
    Icon.REOPENED: "↩️",
    Icon.LEAVE: "🌴",
    Icon.WELCOME: "👋",
    Icon.PREVIEW: "👀",
    Icon.INFO: "ℹ️",
    Icon.COVER: "👥",
    Icon.CELEBRATE: "🎉",
    Icon.MEMO: "📝",
    Icon.PUZZLED: "🤔",
    Icon.REPLACED: "🔄",
    Icon.LATE: "⌛",
    Icon.NO_TARGET: "❔",
}

# -- text ---------------------------------------------------------------------------------------

_MARKDOWN = re.compile(r"([\\`*_\[\]()#+\-.!<>|~{}])")
_NEWLINES = re.compile(r"(?:\r?\n)+")


def escape(words: str) -> str:
    """Plain words as Adaptive Card markdown shows them literally."""
    return _MARKDOWN.sub(r"\\\1", words)


def _link(link: Link) -> str:
    """`[label](https://…) (site)`: the address checked (`bot.safe_text`, so it holds no
    brackets or spaces), the label escaped, the real site beside it."""
    return f"[{escape(link.shown)}]({link.url}) ({escape(link.host)})"


def markdown(value: Text) -> str:
    """The text as Adaptive Card markdown. A line break becomes a blank line: Teams (and the
    Agents Playground) run a single newline into the line before; Microsoft's advice outside
    lists is `\\n\\n`."""
    out: list[str] = []
    for part in value:
        if isinstance(part, Icon):  # before str: an Icon is a str too
            out.append(EMOJI[part])
        elif isinstance(part, str):
            out.append(_NEWLINES.sub("\n\n", escape(part)))
        elif isinstance(part, Strong):
            out.append(f"**{escape(part.text)}**" if part.text.strip() else escape(part.text))
        elif isinstance(part, Em):
            out.append(f"_{escape(part.text)}_" if part.text.strip() else escape(part.text))
        elif isinstance(part, Code):
            out.append("**" + escape(typed(part.text).replace("\n", " ")) + "**")
        else:
            out.append(_link(part))
    return "".join(out)


def typed(command: str) -> str:
    """A command as it is typed in Teams: the `/pmf` grammar without the slash (`/pmf status
    SE1` → `status SE1`; PRODUCT §10). A leading `/pmf` still works there, but Teams offers
    the commands without it, so the bot suggests them that way."""
    head, _, rest = command.partition(" ")
    return rest if head.lower() == "/pmf" and rest else command


def fit(words: str, limit: int = MAX_TEXT) -> str:
    """Cut to `limit` without leaving a dangling backslash."""
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    if cut.endswith("\\") and not cut.endswith("\\\\"):
        cut = cut[:-1]
    return cut + "…"


def _text(value: Text, **style: Any) -> Json:
    return {"type": "TextBlock", "text": fit(markdown(value)) or " ", "wrap": True, **style}


# -- blocks -------------------------------------------------------------------------------------


def button(item: Button) -> Json:
    title = clip(item.label, 60)
    action = item.intent.action
    if action in DIALOG_BUTTONS:
        found: Json = {
            "type": "Action.Submit",
            "title": title,
            "data": {
                "msteams": {"type": "task/fetch"},
                DATA_ACTION: action,
                DATA_VALUE: item.intent.value,
            },
        }
    else:
        found = {
            "type": "Action.Execute",
            "title": title,
            "verb": action,
            "data": {DATA_ACTION: action, DATA_VALUE: item.intent.value},
        }
    if item.style is Style.PRIMARY:
        found["style"] = "positive"
    elif item.style is Style.DANGER:
        found["style"] = "destructive"
    return found


def elements(part: Block) -> list[Json]:
    if isinstance(part, Heading):
        return [
            {
                "type": "TextBlock",
                "text": fit(escape(part.text), 300),
                "wrap": True,
                "weight": "Bolder",
                "size": "Medium",
            }
        ]
    if isinstance(part, Para):
        found = [_text(part.text)]
        if part.button is not None:
            found.append({"type": "ActionSet", "actions": [button(part.button)]})
        return found
    if isinstance(part, Facts):
        return [
            {
                "type": "FactSet",
                "facts": [
                    {"title": fit(escape(label), 300), "value": fit(markdown(value)) or " "}
                    for label, value in part.items
                ],
            }
        ]
    if isinstance(part, Note):
        return [_text(part.text, isSubtle=True, size="Small")]
    if isinstance(part, Actions):
        found_set: Json = {"type": "ActionSet", "actions": [button(b) for b in part.buttons]}
        if part.id:
            found_set["id"] = part.id
        return [found_set]
    if isinstance(part, Divider):
        return [{"type": "Container", "separator": True, "items": []}]
    raise TypeError(f"not a block: {part!r}")


def body(parts: Iterable[Block]) -> list[Json]:
    found: list[Json] = []
    for part in parts:
        found += elements(part)
    return found[:MAX_BODY]


def card(shown: Message) -> Json:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": body(shown.blocks) or [_text(("",))],
    }


def listed(found: Json, origin: str) -> Json:
    """The card (or activity, or invoke answer) with every `Action.Execute` marked as being on
    the list `origin` (`due`, `home`): the click's answer then redraws that list, rather than
    putting one figure's card in the place of the whole list."""
    if isinstance(found, dict):
        if found.get("type") == "Action.Execute" and isinstance(found.get("data"), dict):
            found["data"][DATA_FROM] = origin
        for inner in found.values():
            listed(inner, origin)
    elif isinstance(found, list):
        for inner in found:
            listed(inner, origin)
    return found


def activity(shown: Message) -> Json:
    """A message activity carrying the card; `summary` is its notification text."""
    return {
        "type": "message",
        "summary": clip(shown.summary, 200),
        "attachments": [{"contentType": CARD, "content": card(shown)}],
    }


# -- forms --------------------------------------------------------------------------------------


def _input(item: Field, typed: str | None, error: str | None) -> list[Json]:
    value = typed if typed is not None else item.initial
    found: Json
    if item.choices:
        found = {
            "type": "Input.ChoiceSet",
            "id": item.name,
            "label": clip(item.label, 200),
            "style": "compact",
            "isRequired": not item.optional,
            "choices": [{"title": clip(label, 100), "value": key} for key, label in item.choices],
        }
        if value in dict(item.choices):
            found["value"] = value
        if not item.optional:
            found["errorMessage"] = "Please choose one."
    else:
        found = {
            "type": "Input.Text",
            "id": item.name,
            "label": clip(item.label, 200),
            "isMultiline": item.multiline,
            "maxLength": item.max_length,
            "isRequired": not item.optional,
        }
        if value:
            found["value"] = value[: item.max_length]
        if not item.optional:
            found["errorMessage"] = "Please fill this in."
    if item.placeholder:
        found["placeholder"] = clip(item.placeholder, 150)
    shown = [found]
    if item.hint:
        shown.append(_text((item.hint,), isSubtle=True, size="Small", spacing="None"))
    if error:
        shown.append(_text((Icon.WARNING, " ", error), color="Attention", spacing="Small"))
    return shown


def form_card(
    form: Form,
    *,
    opened_by: tuple[str, str],
    typed: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
    dialog: bool,
) -> Json:
    """The form as a card: in a dialog (submitted with `task/submit`) or in the chat, where
    its button is an `Action.Execute` (verb FORM_VERB)."""
    fields: list[Json] = []
    for item in form.fields:
        fields += _input(item, (typed or {}).get(item.name), (errors or {}).get(item.name))
    data = {DATA_FORM: form.kind, DATA_META: dict(form.meta), DATA_OPEN: list(opened_by)}
    submit: Json = (
        {"type": "Action.Submit", "title": clip(form.submit, 40), "data": data}
        if dialog
        else {
            "type": "Action.Execute",
            "title": clip(form.submit, 40),
            "verb": FORM_VERB,
            "data": data,
            "style": "positive",
        }
    )
    heading = (
        []
        if dialog
        else [{"type": "TextBlock", "text": escape(form.title), "weight": "Bolder", "wrap": True}]
    )
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": [*heading, *body(form.blocks), *fields],
        "actions": [submit],
    }


def dialog(form: Form, card_json: Json) -> Json:
    """A `task/fetch` or `task/submit` answer showing the form in a dialog."""
    return {
        "task": {
            "type": "continue",
            "value": {
                "title": clip(form.title, 60),
                "width": "medium",
                "height": "large",
                "card": {"contentType": CARD, "content": card_json},
            },
        }
    }


def form_data(data: Mapping[str, Any]) -> tuple[str, dict[str, Any], tuple[str, str] | None]:
    """(form kind, meta, what opened it) from a submitted form's data; empty when damaged."""
    kind = data.get(DATA_FORM)
    meta = data.get(DATA_META)
    opened = data.get(DATA_OPEN)
    found_open = (
        (str(opened[0]), str(opened[1])) if isinstance(opened, list) and len(opened) == 2 else None
    )
    return (
        str(kind) if isinstance(kind, str) else "",
        meta if isinstance(meta, dict) else {},
        found_open,
    )


def form_values(data: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for name in fields:
        value = data.get(name)
        found[name] = str(value) if isinstance(value, (str, int, float)) else None
    return found


def card_answer(shown: Message) -> Json:
    """An `adaptiveCard/action` answer: this card replaces the one clicked."""
    return {"statusCode": 200, "type": CARD, "value": card(shown)}


def form_answer(card_json: Json) -> Json:
    return {"statusCode": 200, "type": CARD, "value": card_json}


def text_answer(words: str) -> Json:
    """An `adaptiveCard/action` answer that leaves the card as it is and shows `words`."""
    return {
        "statusCode": 200,
        "type": "application/vnd.microsoft.activity.message",
        "value": clip(words, 1000),
    }
