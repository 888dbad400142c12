"""Submitting by replying to a reminder in its direct-message thread (PRODUCT §6).

`87.5 Recycling rose after the garden waste round restarted` → the bot reads the value and
the commentary, checks them exactly as the modal does, and answers with what it understood
and Confirm / Edit buttons; nothing is recorded until Confirm. A reply it cannot read gets a
short hint with an example.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot.errors import NotFound
from bot.measures import ValueProblem, check_value
from bot.periods import PeriodError
from bot.reminders import Kind
from bot.submissions import Invalid, WorkflowError, submission_form, submit, would_be
from handlers.slack import blocks, ids
from handlers.slack.blocks import button, section
from handlers.slack.commands import NOT_IN_REGISTER, open_submission_modal
from handlers.slack.context import Deps
from handlers.slack.interactions import after_submit, tell
from handlers.slack.reminders import REPLY_EXAMPLE
from storage import reminder_store
from storage.engine import read_session

log = logging.getLogger(__name__)

FIGURE_FIRST = re.compile(r"^\s*([-+]?£?[\d,]*\.?\d+%?)(?:\s*[-–—:,]\s*|\s+|$)(.*)$", re.DOTALL)
MAX_BUTTON_VALUE = 1900
MAX_REPLY_KEY = 100  # "channel:ts" of the reply; the submission's request_key holds 120


def read_reply(text: str) -> tuple[str, str] | None:
    """(figure as typed, commentary), or None when the reply does not start with a figure."""
    match = FIGURE_FIRST.match(text or "")
    if not match:
        return None
    return match.group(1), match.group(2).strip()


def register(app: App, deps: Deps) -> None:
    def say_in_thread(
        event: dict[str, Any], text: str, shown: list[dict[str, Any]] | None = None
    ) -> None:
        try:
            deps.client.chat_postMessage(
                channel=event["channel"],
                text=text,
                blocks=shown,
                thread_ts=event.get("thread_ts") or event["ts"],
            )
        except SlackApiError as error:
            log.warning("could not answer a reply: %s", error.response.get("error"))

    @app.event("message")
    @deps.after_ack
    def direct_message(event: dict[str, Any]) -> None:
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        thread = event.get("thread_ts")
        hint = (
            f"To submit a figure by message, reply in the thread of its reminder with the "
            f"figure first, for example `{REPLY_EXAMPLE}` — or use `/pmf submit REF`."
        )
        if not thread or thread == event.get("ts"):
            say_in_thread(event, hint)
            return
        with read_session(deps.engine) as session:
            reminder = reminder_store.by_thread(session, event["channel"], thread)
        if (
            reminder is None
            or reminder.kind not in (Kind.BEFORE, Kind.DEADLINE_DAY)
            or reminder.ref is None
            or reminder.period is None
        ):
            say_in_thread(event, hint)
            return
        someone = deps.directory.who(event["user"])
        if someone.email is None:
            say_in_thread(event, NOT_IN_REGISTER.format(what="submit figures"))
            return
        ref, period = reminder.ref, reminder.period
        read = read_reply(event.get("text", ""))
        if read is None:
            say_in_thread(
                event,
                f"I could not find a figure at the start of that. Reply with "
                f"the figure first, then a sentence, for example "
                f"`{REPLY_EXAMPLE}`.",
            )
            return
        figure, overview = read
        try:
            form = submission_form(
                deps.engine,
                deps.council(),
                ref=ref,
                period_text=period.label,
                actor=someone.email,
                today=deps.now().date(),
            )
            value = check_value(figure, format=form.measure.format, decimals=form.measure.decimals)
        except (WorkflowError, NotFound, PeriodError, ValueProblem) as error:
            say_in_thread(event, f":warning: {error}")
            return
        measure = form.measure
        payload = json.dumps(
            {
                "r": ref,
                "p": period.label,
                "v": figure,
                "o": overview,
                "k": f"{event['channel']}:{event['ts']}",
            }
        )
        edit = button(
            "Edit",
            ids.REPLY_EDIT,
            json.dumps({"r": ref, "p": period.label, "v": figure, "o": overview[:1500]}),
        )
        problems = []
        if not overview:
            problems.append("a sentence of commentary after the figure")
        _, status = would_be(measure, period, value)
        if status.value == "red":
            problems.append("actions to improve performance, because the figure is Red")
        if len(payload) > MAX_BUTTON_VALUE:
            problems.append("a shorter commentary (or use Edit for the full form)")
        understood = (
            f"I read *{measure.format_value(value)}* for *{ref}* {period}"
            + (f", with the overview: “{blocks.clip(overview, 1500)}”" if overview else "")
            + "."
        )
        if problems:
            say_in_thread(
                event,
                understood,
                [
                    section(
                        f"{understood}\n:warning: It still needs {' and '.join(problems)}. "
                        "Click Edit to finish it in the form."
                    ),
                    {"type": "actions", "elements": [edit]},
                ],
            )
            return
        say_in_thread(
            event,
            understood,
            [
                section(f"{understood} Submit it for review?"),
                {
                    "type": "actions",
                    "elements": [button("Confirm", ids.REPLY_CONFIRM, payload, "primary"), edit],
                },
            ],
        )

    @app.action(ids.REPLY_CONFIRM)
    @deps.after_ack
    def confirm(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        someone = deps.directory.who(body["user"]["id"])
        try:
            data = json.loads(action.get("value") or "{}")
            ref, period, figure = str(data["r"]), str(data["p"]), str(data["v"])
            overview, key = str(data.get("o", "")), str(data["k"])
            if len(key) > MAX_REPLY_KEY:
                raise ValueError("the reply it names is too long to be Slack's")
        except (ValueError, KeyError, TypeError, RecursionError) as error:
            log.warning("a Confirm button came back damaged: %r", error)
            tell(deps, body, respond, "That button is damaged; please use `/pmf submit`.")
            return
        if someone.email is None:
            tell(deps, body, respond, NOT_IN_REGISTER.format(what="submit figures"))
            return
        try:
            result = submit(
                deps.engine,
                deps.council(),
                ref=ref,
                period_text=period,
                value_text=figure,
                overview=overview,
                actions=None,
                evidence_url=None,
                actor=someone.email,
                now=deps.now(),
                request_key=f"reply:{key}",
            )
        except Invalid as error:
            tell(deps, body, respond, f":warning: {error} Click Edit to finish it in the form.")
            return
        except (WorkflowError, NotFound, PeriodError) as error:
            tell(deps, body, respond, f":no_entry: {error}")
            return
        view = result.submission
        respond(
            replace_original=True,
            text=f"Submitted {view.measure.ref} {view.period}",
            blocks=[
                section(
                    f":white_check_mark: Submitted *{view.measure.ref}* "
                    f"{view.period}: {view.measure.format_value(view.value)} "
                    f"(version {view.version})."
                )
            ],
        )
        after_submit(deps, result, someone.email)

    @app.action(ids.REPLY_EDIT)
    @deps.after_ack
    def edit(ack: Ack, body: dict[str, Any], action: dict[str, Any], respond: Respond) -> None:
        ack()
        someone = deps.directory.who(body["user"]["id"])
        try:
            data = json.loads(action.get("value") or "{}")
            ref, period = str(data["r"]), str(data["p"])
            prefill = (str(data.get("v", "")), str(data.get("o", "")))
        except (ValueError, KeyError, TypeError, AttributeError, RecursionError) as error:
            log.warning("an Edit button came back damaged: %r", error)
            tell(deps, body, respond, "That button is damaged; please use `/pmf submit`.")
            return
        if someone.email is None:
            tell(deps, body, respond, NOT_IN_REGISTER.format(what="submit figures"))
            return
        open_submission_modal(
            deps,
            someone.email,
            ref,
            period,
            body["trigger_id"],
            lambda **kw: tell(deps, body, respond, kw.get("text", "")),
            prefill=prefill,
        )
