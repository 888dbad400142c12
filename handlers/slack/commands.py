"""The `/pmf` slash command (PRODUCT §7): its text goes to the chat-neutral conversation.

The answer is the acknowledgement itself (ephemeral), so it reaches the person at once; a
command that changes something (`away`, `back`, `signoff`) is committed before that. Forms open
and admins' summary posts go out just after the acknowledgement.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.chat import conversation
from bot.chat.conversation import OpenForm, PostSummary, Reply
from handlers.slack import ids, render
from handlers.slack.context import Deps
from handlers.slack.interactions import show

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")


def mentions_in(deps: Deps, words: str) -> dict[str, str | None]:
    """Each escaped mention (`<@U123|sam>`) in the text → that person's e-mail, or None when
    they are not in the register."""
    return {
        match.group(0): deps.directory.who(match.group(1)).email
        for match in MENTION.finditer(words)
    }


def register(app: App, deps: Deps) -> None:
    # Slack's client sends a command as typed (`/PMF help`); Bolt matches names exactly, so
    # match the name whatever its case.
    @app.command(re.compile(f"^{re.escape(ids.COMMAND)}$", re.IGNORECASE))
    def handle_pmf(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        words = str(command.get("text") or "")
        someone = deps.directory.who(str(command.get("user_id") or ""))
        try:
            outcome = conversation.command(
                deps.core,
                someone,
                words,
                mentions=mentions_in(deps, words),
                channel=command.get("channel_id"),
            )
        except Exception:
            log.exception("/pmf %s could not be answered", words)
            ack(response_type="ephemeral", text=conversation.SORRY)
            return
        if isinstance(outcome, Reply):
            text, blocks = render.message(outcome.message)
            ack(response_type="ephemeral", text=text, blocks=blocks)
            return
        ack()  # a form opens, or the summary is posted and the admin told how it went
        if isinstance(outcome, (OpenForm, PostSummary)):
            show(deps, outcome, command, respond, command.get("trigger_id"))
