"""Buttons and forms (PRODUCT §5, §7): every `pmf_…` click and modal, in two listeners.

Nothing a button carries is trusted: its value only names a measure or a submission, and the
conversation checks who may do what, against which version. A click that changes data
(Approve) and a submitted form (a figure, a reason) are committed — with the outbox rows for
the cards, notices and home pages that follow — before Slack is acknowledged; a form's problems
go back on its fields in the acknowledgement itself.
"""

from __future__ import annotations

import logging
import re
import uuid
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.chat import conversation, intents
from bot.chat.conversation import (
    Accepted,
    FormErrors,
    OpenForm,
    Outcome,
    PostSummary,
    Reply,
    Someone,
)
from bot.chat.model import Message
from bot.delivery import DeliveryError
from handlers.slack import render
from handlers.slack.context import Deps

log = logging.getLogger(__name__)

OURS = re.compile(r"^pmf_")


def tell(deps: Deps, body: dict[str, Any], respond: Respond | None, message: Message) -> None:
    """Answer the person who clicked: in place where Slack allows it (a response URL), else
    by direct message."""
    words, blocks = render.message(message)
    if respond is not None and deps.is_slack_url(body.get("response_url")):
        respond(text=words, blocks=blocks, response_type="ephemeral", replace_original=False)
        return
    user_id = (body.get("user") or {}).get("id")
    if not user_id:
        return
    someone = deps.directory.who(user_id)
    try:
        if someone.email:
            deps.transport.post(someone.email, message, f"tell|{uuid.uuid4().hex}")
        else:
            channel = deps.client.conversations_open(users=user_id)["channel"]["id"]
            deps.client.chat_postMessage(channel=channel, text=words, blocks=blocks)
    except Exception as error:
        log.warning("could not tell %s: %s", user_id, error)


def show(
    deps: Deps,
    outcome: Outcome,
    body: dict[str, Any],
    respond: Respond | None,
    trigger_id: str | None,
) -> None:
    """Carry out what the conversation asked for, after the acknowledgement."""
    if isinstance(outcome, Reply):
        tell(deps, body, respond, outcome.message)
    elif isinstance(outcome, OpenForm):
        try:
            if not trigger_id:
                raise ValueError("no trigger id")
            deps.client.views_open(trigger_id=trigger_id, view=render.modal(outcome.form))
        except Exception as error:
            log.warning("views.open failed: %s", error)
            tell(deps, body, respond, outcome.fallback)
    elif isinstance(outcome, Accepted) and outcome.reply is not None:
        if respond is not None and deps.is_slack_url(body.get("response_url")):
            words, blocks = render.message(outcome.reply)
            respond(replace_original=True, text=words, blocks=blocks)
        else:
            tell(deps, body, respond, outcome.reply)
    elif isinstance(outcome, PostSummary):
        post_summary(deps, outcome, body, respond)


def post_summary(
    deps: Deps, outcome: PostSummary, body: dict[str, Any], respond: Respond | None
) -> None:
    """An admin's `/pmf summary QUARTER #channel`, posted by the conversation; how it went."""
    told = conversation.post_summary(
        deps.core, deps.transport, outcome, surface="slack", hint=_invite_first
    )
    tell(deps, body, respond, told)


def _invite_first(error: DeliveryError) -> str:
    if "not_in_channel" in str(error) or "channel_not_found" in str(error):
        return " Invite the bot to the channel first (/invite @pmf-bot)."
    return ""


def register(app: App, deps: Deps) -> None:
    @app.action(OURS)
    def clicked(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        intent = render.intent_of(str(action.get("action_id", "")))
        user_id = str((body.get("user") or {}).get("id") or "")
        if intent is None or not user_id:
            ack()
            return
        someone: Someone = deps.directory.who(user_id)
        channel = (body.get("channel") or {}).get("id")
        try:
            outcome = conversation.click(
                deps.core, someone, intent, str(action.get("value") or ""), channel=channel
            )
        except Exception:
            log.exception("a click could not be handled")
            ack()
            tell(deps, body, respond, Message.plain(conversation.SORRY))
            return
        ack()
        if intent == intents.REFRESH_HOME:
            publish_home(deps, someone)
            return
        show(deps, outcome, body, respond, body.get("trigger_id"))

    @app.view(OURS)
    def submitted(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        kind = render.intent_of(str(view.get("callback_id", "")))
        user_id = str((body.get("user") or {}).get("id") or "")
        if kind is None or not user_id:
            ack()
            return
        someone = deps.directory.who(user_id)
        fields = conversation.FIELDS.get(kind, ())
        try:
            outcome = conversation.form(
                deps.core,
                someone,
                kind,
                render.form_meta(view),
                render.form_values(view, fields),
                request_key=f"view:{view.get('id')}",
            )
        except Exception:
            log.exception("a form could not be handled")
            first = fields[0] if fields else intents.VALUE
            ack(response_action="errors", errors={first: conversation.SORRY})
            return
        if isinstance(outcome, FormErrors):
            ack(response_action="errors", errors=dict(outcome.errors))
            return
        ack()
        if isinstance(outcome, Accepted) and outcome.reply is not None:
            tell(deps, body, None, outcome.reply)


def publish_home(deps: Deps, someone: Someone) -> None:
    """Show a person their home page now (they opened it, or pressed Refresh)."""
    from bot.chat.inbox import home_page
    from bot.inbox import inbox

    box = (
        inbox(deps.engine, deps.council(), email=someone.email, today=deps.now().date())
        if someone.email
        else None
    )
    try:
        deps.client.views_publish(
            user_id=someone.user_id, view=render.home(home_page(box, deps.zone))
        )
    except Exception as error:
        log.warning("could not publish App Home for %s: %s", someone.user_id, error)
