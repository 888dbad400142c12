"""The `/pmf` slash command (PRODUCT §7): its text goes to the chat-neutral conversation.

The answer is the acknowledgement itself (ephemeral), so it reaches the person at once; a
command that changes something (`away`, `back`, `signoff`) is committed before that. Forms open
and admins' summary posts go out just after the acknowledgement.

Slack waits 3 s for the acknowledgement and then shows the person an error. A command that only
reads (`conversation.READ_ONLY`: `help`, `status`, `due`, `summary`) and has no answer within
ANSWER_WITHIN (a machine
under load; at 10,000 measures, a register still being read for the first time) is
acknowledged with a holding line instead, and its answer follows through the command's
response URL.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Any

from slack_bolt import Ack, App, Respond

from bot.chat import conversation
from bot.chat.conversation import OpenForm, PostSummary, Reply
from handlers.slack import ids, render
from handlers.slack.context import Deps
from handlers.slack.interactions import show

log = logging.getLogger(__name__)

MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|[^>]*)?>")

ANSWER_WITHIN = 2.0  # seconds from the listener's start; Slack gives up at 3
HOLDING = "Looking that up is taking longer than usual. The answer will appear here in a moment."


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
        within = ANSWER_WITHIN if conversation.reads_only(words) else None
        acknowledgement = Acknowledgement(ack, within)
        try:
            someone = deps.directory.who(str(command.get("user_id") or ""))
            outcome = conversation.command(
                deps.core,
                someone,
                words,
                mentions=mentions_in(deps, words),
                channel=command.get("channel_id"),
            )
        except Exception:
            log.exception("/pmf %s could not be answered", words)
            if not acknowledgement.give(response_type="ephemeral", text=conversation.SORRY):
                respond(response_type="ephemeral", text=conversation.SORRY)
            return
        if isinstance(outcome, Reply):
            text, blocks = render.message(outcome.message)
            if acknowledgement.give(response_type="ephemeral", text=text, blocks=blocks):
                return
        else:
            acknowledgement.give()  # a form opens, or the summary is posted and the admin told
        if isinstance(outcome, (Reply, OpenForm, PostSummary)):
            show(deps, outcome, command, respond, command.get("trigger_id"))


class Acknowledgement:
    """Slack's acknowledgement of one command, given once: by the answer when it is ready in
    time, or else (`within` seconds, if given) by HOLDING, from a timer."""

    def __init__(self, ack: Ack, within: float | None) -> None:
        self._ack = ack
        self._lock = threading.Lock()
        self._given = False
        self._timer = threading.Timer(within, self._hold) if within is not None else None
        if self._timer is not None:
            self._timer.daemon = True
            self._timer.start()

    def _take(self) -> bool:
        with self._lock:
            taken, self._given = not self._given, True
            return taken

    def _hold(self) -> None:
        if self._take():
            log.info("a /pmf answer is slow: acknowledged with a holding line")
            self._ack(response_type="ephemeral", text=HOLDING)

    def give(self, **answer: Any) -> bool:
        """Acknowledge with `answer`; False when the holding line went first (the answer must
        then go to the response URL)."""
        if self._timer is not None:
            self._timer.cancel()
        if not self._take():
            return False
        self._ack(**answer)
        return True
