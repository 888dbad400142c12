"""The `/pmf` slash command (PRODUCT §7): help, status, submit, due.

Every reply is ephemeral. The command is acknowledged at once; the work follows the ack.
"""

from __future__ import annotations

import difflib
import logging
import re
from collections.abc import Callable
from datetime import date
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk.errors import SlackApiError

from bot import leave, services, summaries
from bot.errors import NotFound
from bot.inbox import inbox
from bot.periods import Period, PeriodError, fy_label, fy_of
from bot.submissions import WorkflowError, submission_form
from handlers.slack import blocks, ids
from handlers.slack.blocks import context, section
from handlers.slack.context import Deps, Someone
from handlers.slack.summaries import post_summary, summary_messages
from storage import audit, summary_store
from storage.engine import write_session

log = logging.getLogger(__name__)

NOT_IN_REGISTER = (
    "You are not in the council's measure register, so you cannot {what}. You can still read "
    "status with `/pmf status`. If you should be in the register, ask the Performance & Policy "
    "Officer to add your e-mail address."
)


def register(app: App, deps: Deps) -> None:
    @app.command(ids.COMMAND)
    @deps.after_ack
    def handle_pmf(ack: Ack, command: dict[str, Any], respond: Respond) -> None:
        ack()
        words = (command.get("text") or "").split()
        verb = words[0].lower() if words else "help"
        rest = " ".join(words[1:])
        someone = deps.directory.who(command["user_id"])
        handler = COMMANDS.get(verb)
        if handler is None:
            close = difflib.get_close_matches(verb, list(COMMANDS), n=1)
            hint = f" Did you mean `/pmf {close[0]}`?" if close else ""
            respond(
                response_type="ephemeral",
                text=f"I don't know '{verb}'.{hint}",
                blocks=blocks.help_blocks(f":thinking_face: I don't know `{verb}`.{hint}"),
            )
            return
        handler(deps, someone, rest, command, respond)


def _help(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    respond(response_type="ephemeral", text="pmf-bot commands", blocks=blocks.help_blocks())


def period_suggestions(text: str, today_fy: int) -> list[str]:
    labels = []
    for fy in (today_fy - 1, today_fy):
        labels.append(fy_label(fy))
        labels += [f"{fy_label(fy)} Q{n}" for n in range(1, 5)]
        labels += [f"{fy_label(fy)} H{n}" for n in (1, 2)]
    return difflib.get_close_matches(text.strip(), labels, n=3, cutoff=0.4)


def split_ref_period(text: str) -> tuple[str | None, str | None]:
    """'SE1 2025-26 Q4' → ('SE1', '2025-26 Q4'); '2025-26 Q4' → (None, '2025-26 Q4')."""
    text = text.strip()
    if not text:
        return None, None
    try:
        Period.parse(text)
        return None, text
    except PeriodError:
        pass
    ref, _, period = text.partition(" ")
    try:
        Period.parse(ref)
    except PeriodError:
        return ref, period.strip() or None
    return None, text  # a malformed period after a good year ('2025-26 Q0') is still a period


def _period_problem(deps: Deps, error: PeriodError, text: str) -> tuple[str, list[dict[str, Any]]]:
    close = period_suggestions(text, fy_of(deps.now().date()))
    hint = (
        f"Did you mean {' or '.join(f'`{c}`' for c in close)}?"
        if close
        else ("Periods look like `2025-26`, `2025-26 Q1`, `2025-26 H2` or `2025-07`.")
    )
    return str(error), blocks.error_blocks(f"{error}.", hint)


def _status(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    ref, period_text = split_ref_period(rest)
    try:
        period = Period.parse(period_text) if period_text else None
    except PeriodError as error:
        text, shown = _period_problem(deps, error, period_text or "")
        respond(response_type="ephemeral", text=text, blocks=shown)
        return
    try:
        report = services.status(deps.engine, ref, period, today=deps.now().date())
    except NotFound as error:
        hint = "Try `/pmf status` for the whole council." if not error.suggestions else None
        respond(
            response_type="ephemeral", text=str(error), blocks=blocks.error_blocks(str(error), hint)
        )
        return
    respond(
        response_type="ephemeral",
        text=f"Status of {ref or 'the council'}",
        blocks=blocks.status_blocks(report, deps.zone),
    )


def _submit(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    if not someone.known or someone.email is None:
        respond(response_type="ephemeral", text=NOT_IN_REGISTER.format(what="submit figures"))
        return
    ref, _, period_text = rest.strip().partition(" ")
    if not ref:
        respond(
            response_type="ephemeral",
            text="Which measure? For example `/pmf submit SE1.1` "
            "or `/pmf submit SE1.1 2026-27 Q2`.",
        )
        return
    open_submission_modal(
        deps,
        someone.email,
        ref,
        period_text or None,
        command["trigger_id"],
        respond,
        channel=command.get("channel_id"),
    )


def open_submission_modal(
    deps: Deps,
    email: str,
    ref: str,
    period_text: str | None,
    trigger_id: str,
    respond: Callable[..., Any],
    channel: str | None = None,
    prefill: tuple[str, str] | None = None,
) -> None:
    """Open the modal, or explain why not (shared by the command and the buttons)."""
    try:
        form = submission_form(
            deps.engine,
            deps.council(),
            ref=ref,
            period_text=period_text,
            actor=email,
            today=deps.now().date(),
        )
    except PeriodError as error:
        text, shown = _period_problem(deps, error, period_text or "")
        respond(response_type="ephemeral", text=text, blocks=shown)
        return
    except (NotFound, WorkflowError) as error:
        respond(response_type="ephemeral", text=str(error), blocks=blocks.error_blocks(str(error)))
        return
    try:
        deps.client.views_open(
            trigger_id=trigger_id, view=blocks.submission_modal(form, channel, prefill)
        )
    except SlackApiError as error:
        log.warning("views.open failed: %s", error.response.get("error"))
        respond(
            response_type="ephemeral",
            text="Slack did not open the form in time. Please "
            f"try `/pmf submit {form.measure.ref} {form.period}` again.",
        )


def _due(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    if not someone.known or someone.email is None:
        respond(response_type="ephemeral", text=NOT_IN_REGISTER.format(what="have figures due"))
        return
    box = inbox(deps.engine, deps.council(), email=someone.email, today=deps.now().date())
    respond(
        response_type="ephemeral",
        text=f"{len(box.due)} due from you, {len(box.reviews)} to review",
        blocks=blocks.due_blocks(box.due, box.reviews, deps.zone)[: blocks.MAX_MESSAGE_BLOCKS],
    )


MENTION = re.compile(r"^<@([A-Z0-9]+)(?:\|[^>]*)?>$")


def _leave_days(words: list[str], today: date) -> list[date]:
    """The first two dates in `words`, where a date may take several words ('14 Jul 2026')."""
    found: list[date] = []
    start = 0
    while start < len(words) and len(found) < 2:
        for size in (3, 2, 1):
            if start + size > len(words):
                continue
            try:
                found.append(leave.parse_day(" ".join(words[start : start + size]), today))
            except leave.LeaveProblem:
                if size == 1:
                    raise
                continue
            start += size
            break
    return found


def _away(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    if not someone.known or someone.email is None:
        respond(response_type="ephemeral", text=NOT_IN_REGISTER.format(what="record leave"))
        return
    usage = (
        "Tell me the first and last day you are away, and who covers, for example "
        "`/pmf away 2026-07-14 2026-07-25 @Sam Lee`. " + leave.DATE_HINT
    )
    words = rest.split()
    cover_words = [w for w in words if w.startswith("<@") or "@" in w]
    dates = [w for w in words if w not in cover_words]
    if not dates:
        respond(response_type="ephemeral", text=usage)
        return
    today = deps.now().date()
    try:
        days = _leave_days(dates, today)
        if len(days) < 2 and dates[0].lower() not in ("today", "tomorrow"):
            respond(response_type="ephemeral", text=usage)
            return
        starts = days[0]
        ends = days[1] if len(days) > 1 else starts
        cover = _cover_email(deps, cover_words[0]) if cover_words else None
        away = leave.set_away(
            deps.engine, email=someone.email, starts=starts, ends=ends, cover=cover, now=deps.now()
        )
    except leave.LeaveProblem as error:
        respond(response_type="ephemeral", text=f":warning: {error}")
        return
    who = deps.directory.name_of(away.cover) if away.cover else None
    cover_text = (
        f"{who} will get your reminders and review requests, and may submit or decide for you."
        if who
        else "You have named no cover, so the Performance & Policy Officer will see your "
        "reminders in their digest. Add one with `/pmf away … @name`."
    )
    respond(
        response_type="ephemeral",
        text=f":palm_tree: Noted: you are away from {away.starts:%a %d %b} to "
        f"{away.ends:%a %d %b %Y}. {cover_text} Use `/pmf back` if you return early.",
    )


def _cover_email(deps: Deps, word: str) -> str:
    match = MENTION.match(word)
    if match:
        email = deps.directory.who(match.group(1)).email
        if email is None:
            raise leave.LeaveProblem(
                "The person you named is not in the council's register, "
                "so they cannot cover. Choose someone who is."
            )
        return email
    if "@" in word and "." in word.split("@")[-1]:
        return word.strip("<>").removeprefix("mailto:").split("|")[0].lower()
    raise leave.LeaveProblem(
        f"I could not tell who '{word}' is; mention them with @, such as @Sam Lee."
    )


def _back(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    if not someone.known or someone.email is None:
        respond(response_type="ephemeral", text=NOT_IN_REGISTER.format(what="record leave"))
        return
    ended = leave.come_back(deps.engine, email=someone.email, now=deps.now())
    text = (
        ":wave: Welcome back — your reminders and review requests come to you again."
        if ended
        else "You were not recorded as away, so nothing has changed."
    )
    respond(response_type="ephemeral", text=text)


CHANNEL = re.compile(r"^<#([A-Z0-9]+)(?:\|[^>]*)?>$")


def _summary(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    words = rest.split()
    channels = [w for w in words if w.startswith(("<#", "#"))]
    period_text = " ".join(w for w in words if w not in channels) or None
    today = deps.now().date()
    try:
        quarter = summaries.quarter_of(period_text, today)
    except PeriodError as error:
        text, shown = _period_problem(deps, error, period_text or "")
        respond(response_type="ephemeral", text=text, blocks=shown)
        return
    council = deps.council()
    whole = summaries.summary(deps.engine, council, quarter, today=today)
    if not channels:
        messages = summary_messages(whole, deps.zone)
        text, first = messages[0]
        hint = (
            f"Admins can post it with `/pmf summary {quarter} #channel`."
            if someone.is_admin
            else "The Performance & Policy Officer posts summaries to the channels."
        )
        note = context(
            f":eyes: Preview — only you can see this. {len(messages) - 1} thread "
            f"messages follow when it is posted. {hint}"
        )
        respond(
            response_type="ephemeral",
            text=text,
            blocks=[*first[: blocks.MAX_MESSAGE_BLOCKS - 1], note],
        )
        return
    if not someone.is_admin or someone.email is None:
        respond(
            response_type="ephemeral",
            text="Only the Performance & Policy Officer (an "
            "admin in the register) can post summaries to channels. You can preview it "
            f"with `/pmf summary {quarter}`.",
        )
        return
    match = CHANNEL.match(channels[0])
    channel = match.group(1) if match else channels[0]
    try:
        posted = post_summary(deps.client, whole, channel, deps.zone)
    except SlackApiError as error:
        reason = error.response.get("error")
        hint = (
            " Invite the bot to the channel first (`/invite @pmf-bot`)."
            if reason in ("not_in_channel", "channel_not_found")
            else ""
        )
        respond(
            response_type="ephemeral",
            text=f":warning: Slack would not post to {channels[0]} ({reason}).{hint}",
        )
        return
    with write_session(deps.engine) as session:
        summary_store.record_manual_post(
            session,
            quarter=quarter.label,
            target=channels[0],
            channel=posted.channel,
            ts=posted.ts,
            thread=posted.thread,
            now=deps.now(),
            by=someone.email,
        )
        audit.record(
            session,
            actor=someone.email,
            action="summary.post",
            entity="summary",
            entity_key=f"{quarter} {channels[0]}",
            at=deps.now(),
            after={"channel": posted.channel, "ts": posted.ts},
        )
        summaries.record_published(
            session, whole, by=someone.email, occasion=f"posted to {channels[0]}", at=deps.now()
        )
    respond(
        response_type="ephemeral",
        text=f":white_check_mark: Posted the {quarter} summary to <#{posted.channel}>.",
    )


def _signoff(
    deps: Deps, someone: Someone, rest: str, command: dict[str, Any], respond: Respond
) -> None:
    if not someone.known or someone.email is None:
        respond(response_type="ephemeral", text=NOT_IN_REGISTER.format(what="sign off"))
        return
    try:
        done = summaries.sign_off(
            deps.engine,
            deps.council(),
            email=someone.email,
            quarter_text=rest or None,
            now=deps.now(),
        )
    except summaries.SignOffRefused as error:
        lines = [
            f"• `{row.measure.ref}` {blocks.clip(row.measure.title, 80)} — {row.period}, "
            f"{row.state.words}"
            for row in error.outstanding[:40]
        ]
        shown = blocks.error_blocks(str(error))
        if lines:
            shown.append(section("*Still outstanding*\n" + "\n".join(lines)))
        respond(response_type="ephemeral", text=str(error), blocks=shown)
        return
    respond(
        response_type="ephemeral",
        text=f":white_check_mark: Signed off {done.quarter}: all {done.measures} of your "
        "measures are approved. Summaries now show your sign-off.",
    )


COMMANDS: dict[str, Callable[[Deps, Someone, str, dict[str, Any], Respond], None]] = {
    "help": _help,
    "status": _status,
    "submit": _submit,
    "due": _due,
    "away": _away,
    "back": _back,
    "summary": _summary,
    "signoff": _signoff,
}
