"""Block Kit for the chat-neutral messages, forms and home pages of `bot.chat.model`.

The one place that writes Slack markup. Plain text is escaped by Slack's own rule (`&`, `<`,
`>` as `&amp;`, `&lt;`, `&gt;`), so nothing an officer typed or a register holds can become a
mention (`<!channel>`, `<@U…>`) or a disguised link; links are the bot's own, https only, with
the real host beside the label. Messages stay within Block Kit's limits (50 blocks a message,
100 a modal or Home tab, 3000 characters a text, 10 fields of 2000 a section).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
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
    Text,
    clip,
)

Json = dict[str, Any]

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_TEXT = 3000
MAX_FIELD = 2000
MAX_FIELDS = 10
MAX_PRIVATE_METADATA = 3000

EMOJI = {
    Icon.RED: ":red_circle:",
    Icon.AMBER: ":large_orange_circle:",
    Icon.GREEN: ":large_green_circle:",
    Icon.GREY: ":white_circle:",
    Icon.NO_DATA: ":heavy_minus_sign:",
    Icon.IMPROVING: ":arrow_upper_right:",
    Icon.DECLINING: ":arrow_lower_right:",
    Icon.SAME: ":left_right_arrow:",
    Icon.WARNING: ":warning:",
    Icon.REFUSED: ":no_entry:",
    Icon.DONE: ":white_check_mark:",
    Icon.REJECTED: ":x:",
    Icon.INBOX: ":inbox_tray:",
    Icon.ALARM: ":alarm_clock:",
    Icon.HOURGLASS: ":hourglass:",
    Icon.WAITING: ":hourglass_flowing_sand:",
    Icon.OVERDUE: ":rotating_light:",
    Icon.CLIPBOARD: ":clipboard:",
    Icon.EDIT: ":pencil2:",
    Icon.REOPENED: ":leftwards_arrow_with_hook:",
    Icon.LEAVE: ":palm_tree:",
    Icon.WELCOME: ":wave:",
    Icon.PREVIEW: ":eyes:",
    Icon.INFO: ":information_source:",
    Icon.COVER: ":busts_in_silhouette:",
    Icon.CELEBRATE: ":tada:",
    Icon.MEMO: ":memo:",
    Icon.PUZZLED: ":thinking_face:",
    Icon.REPLACED: ":arrows_counterclockwise:",
    Icon.LATE: ":hourglass:",
    Icon.NO_TARGET: ":grey_question:",
}

# Slack ids for the chat-neutral intents (kept from the first Slack release, so cards already
# posted keep working).
PREFIX = "pmf_"


def action_id(action: str) -> str:
    return PREFIX + action


def intent_of(slack_action_id: str) -> str | None:
    """The intent named by a Slack action or callback id, or None if it is not ours."""
    name = slack_action_id.removeprefix(PREFIX)
    if slack_action_id.startswith(PREFIX) and name in (*intents.BUTTONS, *intents.FORMS):
        return name
    return None


def input_action_id(field_name: str) -> str:
    return f"{field_name}_input"


# -- text ---------------------------------------------------------------------------------------


def escape(words: str) -> str:
    """Slack's rule for text in mrkdwn (and in a message's `text`): & < > as entities."""
    return words.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _code(words: str) -> str:
    return "`" + escape(words.replace("`", "ʹ").replace("\n", " ")) + "`"


def _link(link: Link) -> str:
    """`<https://…|label> (site)`: the address checked (`bot.safe_text`), its `&` escaped as
    Slack asks, and the real site beside the label, so a label cannot pretend to go elsewhere."""
    return f"<{escape(link.url)}|{escape(link.shown)}> ({escape(link.host)})"


def mrkdwn(value: Text) -> str:
    """Slack mrkdwn for a chat-neutral text."""
    out: list[str] = []
    for part in value:
        if isinstance(part, Icon):  # before str: an Icon is a str too
            out.append(EMOJI[part])
        elif isinstance(part, str):
            out.append(escape(part))
        elif isinstance(part, Strong):
            out.append(f"*{escape(part.text)}*" if part.text.strip() else escape(part.text))
        elif isinstance(part, Em):
            out.append(f"_{escape(part.text)}_" if part.text.strip() else escape(part.text))
        elif isinstance(part, Code):
            out.append(_code(part.text))
        else:
            out.append(_link(part))
    return "".join(out)


def fit(words: str, limit: int = MAX_TEXT) -> str:
    """Rendered mrkdwn cut to `limit` characters without breaking an entity or a link."""
    if len(words) <= limit:
        return words
    cut = words[: limit - 1]
    amp, semi = cut.rfind("&"), cut.rfind(";")
    if amp > semi:
        cut = cut[:amp]
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    return cut + "…"


def notification(summary: str) -> str:
    """A message's `text` (notifications, screen readers): Slack parses it too."""
    return fit(escape(summary), MAX_TEXT)


def _plain(words: str, limit: int) -> Json:
    return {"type": "plain_text", "text": clip(words, limit) or " ", "emoji": True}


def _md(value: Text, limit: int = MAX_TEXT) -> Json:
    return _mrkdwn_object(fit(mrkdwn(value), limit) or " ")


def _mrkdwn_object(words: str) -> Json:
    """`verbatim`: Slack does not pre-process the text (bare addresses and #names made links,
    some bare mentions parsed); our own markup still works."""
    return {"type": "mrkdwn", "text": words, "verbatim": True}


_MARKUP = re.compile(r"<([^<>]*)>")


def from_message(words: str) -> str:
    """What a person typed, from the text of a Slack message event: Slack sends it escaped,
    with real mentions and links as markup; the words come back plain, to be stored once and
    escaped again wherever they are shown."""

    def plain(match: re.Match[str]) -> str:
        target, _, label = match.group(1).partition("|")
        if target.startswith(("@", "#")):
            return f"{target[0]}{label.removeprefix(target[0]) or target[1:]}"
        if target.startswith("!"):
            return label or f"@{target[1:].split('^')[0]}"
        target = target.removeprefix("mailto:")
        return target if not label or label == target else f"{label} ({target})"

    return (
        _MARKUP.sub(plain, words or "")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
    )


# -- blocks -------------------------------------------------------------------------------------


def button(item: Button) -> Json:
    element: Json = {
        "type": "button",
        "text": _plain(item.label, 75),
        "action_id": action_id(item.intent.action),
        "value": item.intent.value[:2000],
    }
    if item.style is not None:
        element["style"] = item.style.value
    return element


def block(part: Block) -> Json:
    if isinstance(part, Heading):
        return {"type": "header", "text": _plain(part.text, 150)}
    if isinstance(part, Para):
        found: Json = {"type": "section", "text": _md(part.text)}
        if part.button is not None:
            found["accessory"] = button(part.button)
        return found
    if isinstance(part, Facts):
        return {
            "type": "section",
            "fields": [
                _mrkdwn_object(fit(f"*{escape(label)}*\n{mrkdwn(value)}", MAX_FIELD))
                for label, value in part.items[:MAX_FIELDS]
            ],
        }
    if isinstance(part, Note):
        return {"type": "context", "elements": [_md(part.text)]}
    if isinstance(part, Actions):
        found = {"type": "actions", "elements": [button(b) for b in part.buttons[:25]]}
        if part.id:
            found["block_id"] = part.id
        return found
    if isinstance(part, Divider):
        return {"type": "divider"}
    raise TypeError(f"not a block: {part!r}")


def blocks(parts: Iterable[Block], limit: int = MAX_MESSAGE_BLOCKS) -> list[Json]:
    return [block(part) for part in parts][:limit]


def message(shown: Message) -> tuple[str, list[Json]]:
    """(text, blocks) for chat.postMessage / chat.update / respond. A one-paragraph message's
    text is that paragraph as mrkdwn (Slack shows it in notifications with its emoji)."""
    parts = shown.blocks
    if shown.brief and len(parts) == 1 and isinstance(parts[0], Para):
        return fit(mrkdwn(parts[0].text)), blocks(parts)
    return notification(shown.summary), blocks(parts)


def home(shown: Message) -> Json:
    """An App Home view."""
    return {"type": "home", "blocks": blocks(shown.blocks, MAX_VIEW_BLOCKS)}


# -- forms --------------------------------------------------------------------------------------


def _choice(value: str, label: str) -> Json:
    return {"text": _plain(label, 75), "value": value[:150]}


def _input(item: Field) -> Json:
    element: Json
    if item.choices:
        # A menu of the choices (Slack allows 100 options of 75 characters).
        element = {
            "type": "static_select",
            "action_id": input_action_id(item.name),
            "options": [_choice(value, label) for value, label in item.choices[:100]],
        }
        chosen = dict(item.choices)
        if item.initial in chosen:
            element["initial_option"] = _choice(item.initial, chosen[item.initial])
    else:
        element = {
            "type": "plain_text_input",
            "action_id": input_action_id(item.name),
            "multiline": item.multiline,
            "max_length": item.max_length,
        }
        if item.initial:
            element["initial_value"] = item.initial[: item.max_length]
    if item.placeholder:
        element["placeholder"] = _plain(item.placeholder, 150)
    found: Json = {
        "type": "input",
        "block_id": item.name,
        "label": _plain(item.label, 2000),
        "element": element,
        "optional": item.optional,
    }
    if item.hint:
        found["hint"] = _plain(item.hint, 2000)
    return found


def modal(form: Form) -> Json:
    """A modal view for `views.open`."""
    meta = json.dumps(dict(form.meta), separators=(",", ":"))
    if len(meta) > MAX_PRIVATE_METADATA:
        raise ValueError("form metadata is too long for Slack")
    return {
        "type": "modal",
        "callback_id": action_id(form.kind),
        "private_metadata": meta,
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit, 24),
        "close": _plain(form.close, 24),
        "blocks": [*blocks(form.blocks, MAX_VIEW_BLOCKS), *map(_input, form.fields)][
            :MAX_VIEW_BLOCKS
        ],
    }


def form_values(view: Json, fields: Sequence[str]) -> dict[str, str | None]:
    """What was typed in a submitted modal, by field name."""
    values = (view.get("state") or {}).get("values") or {}
    found: dict[str, str | None] = {}
    for name in fields:
        entry = (values.get(name) or {}).get(input_action_id(name)) or {}
        value = entry.get("value") if isinstance(entry, dict) else None
        chosen = entry.get("selected_option") if isinstance(entry, dict) else None
        if value is None and isinstance(chosen, dict):  # a menu: the option's value
            value = chosen.get("value")
        found[name] = str(value) if value is not None else None
    return found


def form_meta(view: Json) -> dict[str, Any]:
    """A submitted modal's metadata (empty if it is not ours or is damaged)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
    except (TypeError, ValueError, RecursionError):
        return {}
    return meta if isinstance(meta, dict) else {}
