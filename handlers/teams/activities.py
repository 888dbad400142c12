"""Activities from Teams, routed by the Teams SDK's App (`register`) to the chat-neutral
conversation (PRODUCT §7, §10).

- a message in the personal chat is a command with the `/pmf` grammar, without the slash
  (`status SE1`, `submit SE1.1`, `due`…; a leading `/pmf` works too); the answer is posted
  back to the same conversation;
- `installationUpdate` and `conversationUpdate` store the conversation reference; an
  installation says welcome (once: Teams sends both for one install);
- `invoke` `adaptiveCard/action` is a card button (`Action.Execute`, its verb the intent): the
  answer is the card to show in its place — the review card as it now stands, a reason form,
  or a short message that leaves the card as it was;
- `invoke` `task/fetch` opens the submission form in a dialog, `task/submit` checks it: its
  problems go back on the form, nothing is stored until it is valid.

Every change is committed (with its outbox rows) inside the conversation, before the answer.
The SDK's handlers run on its event loop; all they do is hand the activity (as Bot Framework
JSON) to the sync functions below in a worker thread (`asyncio.to_thread`), so no database
work ever runs on the loop.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from pydantic import BaseModel

from bot.chat import channels as chat_channels
from bot.chat import conversation, intents
from bot.chat.conversation import Accepted, FormErrors, OpenForm, Outcome, PostSummary, Reply
from bot.chat.inbox import home_page
from bot.chat.model import Actions, Button, Icon, Intent, Message, Para, Strong, plain_of, text
from bot.delivery import DeliveryError, review_card_now
from bot.inbox import inbox
from handlers.teams import render
from handlers.teams.app import TeamsDeps
from handlers.teams.sdk import (
    ActivityContext,
    AdaptiveCardInvokeActivity,
    App,
    ConversationUpdateActivity,
    InstallUpdateActivity,
    InvokeResponse,
    MessageActivity,
    TaskFetchInvokeActivity,
    TaskSubmitInvokeActivity,
    as_json,
    invoke_answer,
)

log = logging.getLogger(__name__)

DUE, HOME = "due", "home"  # the lists whose buttons redraw them when clicked
AT = re.compile(r"<at>(.*?)</at>", re.DOTALL)


def register(app: App, deps: TeamsDeps) -> None:
    """The App's handlers. Each stores where the activity came from and hands it to the
    conversation, in a worker thread (`_turn`); an invoke's answer is the SDK's response."""

    @app.on_message
    async def message(ctx: ActivityContext[MessageActivity]) -> None:
        await asyncio.to_thread(_turn, deps, ctx.activity, _message)

    @app.on_installation_update
    async def installed(ctx: ActivityContext[InstallUpdateActivity]) -> None:
        await asyncio.to_thread(_turn, deps, ctx.activity, _welcome)

    @app.on_conversation_update
    async def joined(ctx: ActivityContext[ConversationUpdateActivity]) -> None:
        await asyncio.to_thread(_turn, deps, ctx.activity)  # a chat or a team's channel: stored

    @app.on_card_action
    async def card_action(ctx: ActivityContext[AdaptiveCardInvokeActivity]) -> InvokeResponse[Any]:
        answer = partial(_invoke, answer=_card_action)
        return invoke_answer(await asyncio.to_thread(_turn, deps, ctx.activity, answer))

    @app.on_dialog_open
    async def dialog_open(ctx: ActivityContext[TaskFetchInvokeActivity]) -> InvokeResponse[Any]:
        answer = partial(_invoke, answer=_dialog_open)
        return invoke_answer(await asyncio.to_thread(_turn, deps, ctx.activity, answer))

    @app.on_dialog_submit
    async def dialog_submit(ctx: ActivityContext[TaskSubmitInvokeActivity]) -> InvokeResponse[Any]:
        answer = partial(_invoke, answer=_dialog_submit)
        return invoke_answer(await asyncio.to_thread(_turn, deps, ctx.activity, answer))


def _turn(
    deps: TeamsDeps,
    model: BaseModel,
    then: Callable[[TeamsDeps, dict[str, Any]], Any] | None = None,
) -> Any:
    """One activity, off the event loop: as Bot Framework JSON, its conversation reference
    stored, then `then`."""
    activity = as_json(model)
    deps.people.remember(activity)
    return then(deps, activity) if then is not None else None


# -- messages ---------------------------------------------------------------------------------


def _words_and_mentions(deps: TeamsDeps, activity: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The command typed, without the bot's own @mention; other mentions → their e-mails."""
    words = str(activity.get("text") or "")
    bot_id = str((activity.get("recipient") or {}).get("id") or "")
    mentions: dict[str, str | None] = {}
    for entity in activity.get("entities") or []:
        if not isinstance(entity, dict) or entity.get("type") != "mention":
            continue
        token = str(entity.get("text") or "")
        named = entity.get("mentioned") or {}
        if not token:
            continue
        if named.get("id") == bot_id:
            words = words.replace(token, " ")
            continue
        someone = deps.people.who({**activity, "from": named})
        shown = "@" + AT.sub(r"\1", token).strip()
        mentions[shown] = someone.email
        words = words.replace(token, shown)
    return AT.sub(r"\1", words).strip(), mentions


def _message(deps: TeamsDeps, activity: dict[str, Any]) -> None:
    someone = deps.people.who(activity)
    words, mentions = _words_and_mentions(deps, activity)
    where = str((activity.get("conversation") or {}).get("id") or "")
    try:
        outcome = conversation.command(deps.core, someone, words, mentions=mentions, channel=where)
    except Exception:
        log.exception("a Teams command could not be answered")
        outcome = Reply(Message.plain(conversation.SORRY))
    if isinstance(outcome, PostSummary):
        _say(deps, activity, _post_summary(deps, outcome))
        return
    _say(deps, activity, _as_message(outcome), origin=DUE if _asks_due(words) else None)


def _post_summary(deps: TeamsDeps, outcome: PostSummary) -> Message:
    """An admin's `summary QUARTER <the channel's link>`: a Slack channel is refused here;
    a Teams channel is posted to by the core (`conversation.post_summary`), as in Slack."""
    if not chat_channels.TEAMS_CHANNEL.match(outcome.channel):
        return Message.plain(
            text(
                Icon.WARNING,
                f" {outcome.shown or outcome.channel} is a Slack channel: in Teams, give the "
                "Teams channel's link (Get link to channel), or post it from Slack.",
            )
        )
    return conversation.post_summary(
        deps.core,
        deps.transport,
        outcome,
        surface="teams",
        hint=lambda error: " Is the app added to that channel's team?",
    )


def _asks_due(words: str) -> bool:
    parts = render.typed(words.strip()).split()
    return bool(parts) and parts[0].lower() == "due"


def _as_message(outcome: Outcome) -> Message | None:
    if isinstance(outcome, Reply):
        return outcome.message
    if isinstance(outcome, OpenForm):
        opener = _opener(outcome)
        if opener is None:
            return outcome.fallback
        return Message.of(
            outcome.form.title,
            Para(text(Icon.EDIT, " ", Strong(outcome.form.title))),
            Actions((Button("Open the form", Intent(*opener)),)),
        )
    if isinstance(outcome, Accepted):
        return outcome.reply
    return None


def _opener(outcome: OpenForm) -> tuple[str, str] | None:
    """The button that opens this form again (a dialog must be asked for with a click)."""
    meta = outcome.form.meta
    if outcome.form.kind == intents.SUBMIT_FORM and meta.get("ref") and meta.get("period"):
        return intents.OPEN_SUBMIT, f"{meta['ref']}|{meta['period']}"
    return None


def _say(
    deps: TeamsDeps,
    activity: dict[str, Any],
    message: Message | None,
    *,
    origin: str | None = None,
) -> None:
    if message is None:
        return
    service_url = str(activity.get("serviceUrl") or "")
    where = str((activity.get("conversation") or {}).get("id") or "")
    shown = render.activity(message)
    if origin is not None:
        render.listed(shown, origin)
    try:
        deps.connector.send(service_url, where, shown, patient=True)
    except DeliveryError as error:
        log.warning("could not answer in Teams: %s", error)


def _welcome(deps: TeamsDeps, activity: dict[str, Any]) -> None:
    """Say hello once when the app is installed. Teams (and the Agents Playground) send both
    an `installationUpdate` (action `add`) and a `conversationUpdate` adding the bot for one
    install: the first greets, the second only stores the conversation."""
    installed = activity.get("type") == "installationUpdate" and activity.get("action") in (
        "add",
        "add-upgrade",
        None,
    )
    if not installed:
        return
    kind = (activity.get("conversation") or {}).get("conversationType") or "personal"
    if kind != "personal":
        return  # a team: its channels are stored for summaries; nobody to greet by name
    someone = deps.people.who(activity)
    intro = text(
        Icon.WELCOME,
        f" Hello{' ' + someone.name if someone.name else ''}. I collect and review the "
        "council's performance figures. Type ",
        Strong("due"),
        " to see what you have to do, or ",
        Strong("help"),
        " for everything I understand.",
    )
    _say(deps, activity, Message.plain(intro))


# -- invokes ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Click:
    """One invoke: the activity, who clicked, and the key that makes the click idempotent."""

    deps: TeamsDeps
    activity: dict[str, Any]
    someone: conversation.Someone
    key: str


def _invoke(
    deps: TeamsDeps,
    activity: dict[str, Any],
    *,
    answer: Callable[[Click, dict[str, Any]], Any],
) -> Any:
    """An invoke's answer: `answer` given the click and the invoke's `value`; a short apology
    if it fails."""
    value = activity.get("value") if isinstance(activity.get("value"), dict) else {}
    assert isinstance(value, dict)
    click = Click(deps, activity, deps.people.who(activity), f"teams:{activity.get('id') or ''}")
    try:
        return answer(click, value)
    except Exception:
        log.exception("a Teams invoke could not be handled")
        return render.text_answer(conversation.SORRY)


def _card_action(click: Click, value: dict[str, Any]) -> Any:
    """`adaptiveCard/action`: an Action.Execute button, its verb the intent."""
    action = value.get("action") if isinstance(value.get("action"), dict) else {}
    assert isinstance(action, dict)
    verb = str(action.get("verb") or "")
    return _execute(click.deps, click.activity, click.someone, verb, _data(action), click.key)


def _data(value: dict[str, Any]) -> dict[str, Any]:
    data = value.get("data")
    return data if isinstance(data, dict) else {}


def _where(activity: dict[str, Any]) -> str | None:
    return (activity.get("conversation") or {}).get("id")


def _execute(
    deps: TeamsDeps,
    activity: dict[str, Any],
    someone: conversation.Someone,
    verb: str,
    data: dict[str, Any],
    key: str,
) -> Any:
    if verb == render.FORM_VERB:
        return _inline_form(deps, activity, someone, data, key)
    if verb not in intents.BUTTONS:
        return render.text_answer("That button is no longer in use; please type due.")
    value = str(data.get(render.DATA_VALUE) or "")
    outcome = conversation.click(deps.core, someone, verb, value, channel=_where(activity))
    if isinstance(outcome, OpenForm):
        return render.form_answer(
            render.form_card(outcome.form, opened_by=(verb, value), dialog=False)
        )
    if isinstance(outcome, Reply):
        return render.text_answer(plain_of(_first_text(outcome.message)))
    origin = data.get(render.DATA_FROM)
    if verb == intents.REFRESH_HOME or origin == HOME:
        return render.listed(render.card_answer(_home(deps, someone)), HOME)
    if origin == DUE:
        listing = _due(deps, someone)
        sid = conversation.row_id(value)
        if sid is not None:  # what the click did, above the list as it now stands
            done = Para(text(Icon.DONE, " ", Strong(_card(deps, sid).summary)))
            listing = Message(listing.summary, (done, *listing.blocks))
        return render.listed(render.card_answer(listing), DUE)
    sid = conversation.row_id(value)
    if verb == intents.APPROVE and sid is not None:
        return render.card_answer(_card(deps, sid))
    message = _as_message(outcome)
    return render.card_answer(message) if message else render.text_answer("Done.")


def _first_text(message: Message) -> tuple[Any, ...]:
    for block in message.blocks:
        if isinstance(block, Para):
            return block.text
    return (message.summary,)


def _card(deps: TeamsDeps, submission_id: int) -> Message:
    core = deps.core
    return review_card_now(core.engine, core.council(), submission_id, core.zone)


def _due(deps: TeamsDeps, someone: conversation.Someone) -> Message:
    """The `due` list as it now stands (after a click on one of its buttons)."""
    outcome = conversation.command(deps.core, someone, "due")
    return _as_message(outcome) or Message.plain("Nothing is waiting for you.")


def _home(deps: TeamsDeps, someone: conversation.Someone) -> Message:
    core = deps.core
    box = (
        inbox(core.engine, core.council(), email=someone.email, today=core.today())
        if someone.email
        else None
    )
    return home_page(box, core.zone)


def _submitted_form(
    deps: TeamsDeps, someone: conversation.Someone, data: dict[str, Any], key: str
) -> tuple[Outcome, str, dict[str, Any], tuple[str, str] | None, dict[str, str | None]]:
    kind, meta, opened = render.form_data(data)
    values = render.form_values(data, conversation.FIELDS.get(kind, ()))
    outcome = conversation.form(deps.core, someone, kind, meta, values, request_key=key)
    return outcome, kind, meta, opened, values


def _form_again(
    deps: TeamsDeps,
    activity: dict[str, Any],
    someone: conversation.Someone,
    opened: tuple[str, str] | None,
    values: dict[str, str | None],
    errors: dict[str, str],
    *,
    dialog: bool,
) -> Any:
    """The form as it was opened, with what was typed and its problems shown."""
    again = (
        conversation.click(deps.core, someone, opened[0], opened[1], channel=_where(activity))
        if opened
        else None
    )
    if not isinstance(again, OpenForm):
        words = " ".join(errors.values()) or "This form can no longer be used."
        return (
            {"task": {"type": "message", "value": words}} if dialog else render.text_answer(words)
        )
    shown = render.form_card(
        again.form, opened_by=opened or ("", ""), typed=values, errors=errors, dialog=dialog
    )
    return render.dialog(again.form, shown) if dialog else render.form_answer(shown)


def _inline_form(
    deps: TeamsDeps,
    activity: dict[str, Any],
    someone: conversation.Someone,
    data: dict[str, Any],
    key: str,
) -> Any:
    outcome, kind, meta, opened, values = _submitted_form(deps, someone, data, key)
    if isinstance(outcome, FormErrors):
        return _form_again(
            deps, activity, someone, opened, values, dict(outcome.errors), dialog=False
        )
    sid = conversation.row_id(meta.get("submission"))
    if kind in (intents.REJECT_FORM, intents.REOPEN_FORM) and sid is not None:
        return render.card_answer(_card(deps, sid))
    message = _as_message(outcome)
    return render.card_answer(message) if message else render.text_answer("Done.")


def _dialog_open(click: Click, value: dict[str, Any]) -> Any:
    """`task/fetch`: open the form in a dialog."""
    deps, someone = click.deps, click.someone
    data = _data(value)
    action = str(data.get(render.DATA_ACTION) or "")
    picked = str(data.get(render.DATA_VALUE) or "")
    if action not in intents.BUTTONS:
        return {"task": {"type": "message", "value": "That button is no longer in use."}}
    outcome = conversation.click(deps.core, someone, action, picked, channel=_where(click.activity))
    if isinstance(outcome, OpenForm):
        shown = render.form_card(outcome.form, opened_by=(action, picked), dialog=True)
        return render.dialog(outcome.form, shown)
    message = _as_message(outcome)
    words = plain_of(_first_text(message)) if message else "Done."
    return {"task": {"type": "message", "value": words}}


def _dialog_submit(click: Click, value: dict[str, Any]) -> Any:
    """`task/submit`: check the dialog's form; its problems go back on it."""
    deps, activity, someone = click.deps, click.activity, click.someone
    outcome, _kind, _meta, opened, values = _submitted_form(deps, someone, _data(value), click.key)
    if isinstance(outcome, FormErrors):
        return _form_again(
            deps, activity, someone, opened, values, dict(outcome.errors), dialog=True
        )
    message = _as_message(outcome)
    if message is not None:
        _say(deps, activity, message)
    return None  # the dialog closes
