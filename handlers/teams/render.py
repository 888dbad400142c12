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

Cards are built from the typed models of Microsoft's Teams SDK (`microsoft_teams.cards`:
`AdaptiveCard`, `TextBlock`, `FactSet`, `TextInput`, `ExecuteAction`…) and written out the way
the SDK writes them on the wire (`dump`: camelCase aliases, unset properties left out). What
the SDK itself writes wrongly is mended here and said where (`$schema`, `maxLength`). The
envelopes around a card (the message activity, the invoke and dialog answers) are plain JSON:
they belong to the Bot Framework activity protocol, not to the card.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from microsoft_teams.cards.core import (
    Action,
    ActionSet,
    ActionStyle,
    AdaptiveCard,
    CardElement,
    Choice,
    ChoiceSetInput,
    Container,
    ExecuteAction,
    Fact,
    FactSet,
    SerializableObject,
    SubmitAction,
    SubmitActionData,
    TaskFetchSubmitActionData,
    TextBlock,
    TextInput,
)

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
    Icon.GREY: "⚪\ufe0f",  # emoji presentation: text fonts draw ⚪ as a thin ring
    Icon.NO_DATA: "➖\ufe0f",
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


def _text(value: Text, **style: Any) -> TextBlock:
    return TextBlock(text=fit(markdown(value)) or " ", wrap=True, **style)


# -- the SDK's models on the wire ------------------------------------------------------------------


def dump(found: SerializableObject) -> Json:
    """A card, element or action as JSON, written as the Teams SDK writes activities
    (`model_dump(by_alias=True, exclude_none=True)`: camelCase, unset properties left out)."""
    return found.model_dump(by_alias=True, exclude_none=True)


class _TextInput(TextInput):
    """`Input.Text` whose `maxLength` is a whole number: the SDK types it as a float and would
    write `2900.0`, which the schema (an integer) and strict hosts may refuse."""

    max_length: int | None = None


def _adaptive_card(items: list[CardElement], actions: list[Action] | None = None) -> AdaptiveCard:
    # `$schema` rides as an extra property: the SDK's `schema` field is written as "schema",
    # which no host reads (the Adaptive Card key is "$schema").
    return AdaptiveCard(version=VERSION, body=items, actions=actions, **{"$schema": SCHEMA})


def _data(**values: Any) -> SubmitActionData:
    """An action's `data`: the bot's own keys ride as extra properties (the SDK's extension
    mechanism: every model allows them), sent back untouched when the button is clicked."""
    return SubmitActionData(**values)


# -- blocks -------------------------------------------------------------------------------------

_STYLES: dict[Style, ActionStyle] = {Style.PRIMARY: "positive", Style.DANGER: "destructive"}


def button(item: Button) -> Action:
    title = clip(item.label, 60)
    action = item.intent.action
    style = _STYLES.get(item.style) if item.style is not None else None
    if action in DIALOG_BUTTONS:
        opens = dump(TaskFetchSubmitActionData())
        return SubmitAction(
            title=title,
            style=style,
            data=_data(msteams=opens, **{DATA_ACTION: action, DATA_VALUE: item.intent.value}),
        )
    return ExecuteAction(
        title=title,
        verb=action,
        style=style,
        data=_data(**{DATA_ACTION: action, DATA_VALUE: item.intent.value}),
    )


def _elements(part: Block) -> list[CardElement]:
    if isinstance(part, Heading):
        return [
            TextBlock(text=fit(escape(part.text), 300), wrap=True, weight="Bolder", size="Medium")
        ]
    if isinstance(part, Para):
        found: list[CardElement] = [_text(part.text)]
        if part.button is not None:
            found.append(ActionSet(actions=[button(part.button)]))
        return found
    if isinstance(part, Facts):
        return [
            FactSet(
                facts=[
                    Fact(title=fit(escape(label), 300), value=fit(markdown(value)) or " ")
                    for label, value in part.items
                ]
            )
        ]
    if isinstance(part, Note):
        return [_text(part.text, is_subtle=True, size="Small")]
    if isinstance(part, Actions):
        return [ActionSet(id=part.id, actions=[button(b) for b in part.buttons])]
    if isinstance(part, Divider):
        return [Container(separator=True, items=[])]
    raise TypeError(f"not a block: {part!r}")


def elements(part: Block) -> list[Json]:
    return [dump(found) for found in _elements(part)]


def body(parts: Iterable[Block]) -> list[CardElement]:
    found: list[CardElement] = []
    for part in parts:
        found += _elements(part)
    return found[:MAX_BODY]


def adaptive_card(shown: Message) -> AdaptiveCard:
    return _adaptive_card(body(shown.blocks) or [_text(("",))])


def card(shown: Message) -> Json:
    return dump(adaptive_card(shown))


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


def _input(item: Field, typed: str | None, error: str | None) -> list[CardElement]:
    value = typed if typed is not None else item.initial
    placeholder = clip(item.placeholder, 150) if item.placeholder else None
    found: CardElement
    if item.choices:
        found = ChoiceSetInput(
            id=item.name,
            label=clip(item.label, 200),
            style="compact",
            is_required=not item.optional,
            choices=[Choice(title=clip(label, 100), value=key) for key, label in item.choices],
            value=value if value in dict(item.choices) else None,
            error_message=None if item.optional else "Please choose one.",
            placeholder=placeholder,
        )
    else:
        found = _TextInput(
            id=item.name,
            label=clip(item.label, 200),
            is_multiline=item.multiline,
            max_length=item.max_length,
            is_required=not item.optional,
            value=value[: item.max_length] if value else None,
            error_message=None if item.optional else "Please fill this in.",
            placeholder=placeholder,
        )
    shown: list[CardElement] = [found]
    if item.hint:
        shown.append(_text((item.hint,), is_subtle=True, size="Small", spacing="None"))
    if error:
        shown.append(_text((Icon.WARNING, " ", error), color="Attention", spacing="Small"))
    return shown


def form_model(
    shown: Form,
    *,
    opened_by: tuple[str, str],
    typed: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
    dialog: bool,
) -> AdaptiveCard:
    """The form as a card: in a dialog (submitted with `task/submit`) or in the chat, where
    its button is an `Action.Execute` (verb FORM_VERB)."""
    fields: list[CardElement] = []
    for item in shown.fields:
        fields += _input(item, (typed or {}).get(item.name), (errors or {}).get(item.name))
    data = _data(**{DATA_FORM: shown.kind, DATA_META: dict(shown.meta), DATA_OPEN: list(opened_by)})
    title = clip(shown.submit, 40)
    submit: Action = (
        SubmitAction(title=title, data=data)
        if dialog
        else ExecuteAction(title=title, verb=FORM_VERB, data=data, style="positive")
    )
    heading: list[CardElement] = (
        [] if dialog else [TextBlock(text=escape(shown.title), weight="Bolder", wrap=True)]
    )
    return _adaptive_card([*heading, *body(shown.blocks), *fields], [submit])


def form_card(
    form: Form,
    *,
    opened_by: tuple[str, str],
    typed: Mapping[str, str | None] | None = None,
    errors: Mapping[str, str] | None = None,
    dialog: bool,
) -> Json:
    return dump(form_model(form, opened_by=opened_by, typed=typed, errors=errors, dialog=dialog))


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
