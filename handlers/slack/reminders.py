"""Reminders in Slack: the messages, the sender, and closing a reminder once submitted.

Each reminder is a direct message tagged with its key in Slack message metadata, so that after
a crash the bot can find out whether it was already delivered rather than send it twice.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.periods import Period
from bot.reminder_service import DeliveryError, ReminderContent
from bot.reminders import Kind
from bot.submissions import pending_view
from handlers.slack import blocks, ids
from handlers.slack.blocks import Block, button, clip, context, day, section
from handlers.slack.context import Deps
from storage import reminder_store
from storage.engine import read_session, write_session
from storage.models import MessageRef

log = logging.getLogger(__name__)

METADATA_TYPE = "pmf_reminder"
REPLY_EXAMPLE = "87.5 Recycling rose after the garden waste round restarted"


def reminder_blocks(content: ReminderContent, deps: Deps) -> tuple[str, list[Block]]:
    """(notification text, blocks) for one reminder."""
    if content.kind is Kind.DIGEST:
        return _digest(content, deps)
    measure = content.measure
    assert measure is not None and content.period is not None
    name = f"*{measure.ref}* {clip(measure.title, 150)}"
    covering = (
        [
            context(
                f":busts_in_silhouette: You are covering for "
                f"{deps.directory.name_of(content.on_behalf_of)} while they are away."
            )
        ]
        if content.on_behalf_of
        else []
    )
    facts = blocks.fields(
        (
            "Last value",
            f"{content.last_value[0]}: {measure.format_value(content.last_value[1])}"
            if content.last_value
            else "none yet",
        ),
        ("Target", measure.format_target(content.target)),
    )
    if content.kind is Kind.ESCALATION:
        collector = deps.directory.name_of(measure.collector or "")
        text = (
            f"{measure.ref} {content.period} is overdue: it was due "
            f"{day(content.deadline) if content.deadline else ''}"
        )
        return text, [
            section(
                f":rotating_light: {name} — the figure for *{content.period}* was due "
                f"*{content.deadline_words}* and has not been submitted. Data collector: "
                f"{collector}."
            ),
            facts,
            context(
                "You are receiving this as Head of Service (framework §10.3: accountable "
                "for performance deadlines)."
            ),
            *covering,
        ]
    if content.kind is Kind.REVIEW:
        text = f"{measure.ref} {content.period} is waiting for your review"
        elements = [
            button("Approve", ids.APPROVE, str(content.pending_submission), "primary"),
            button("Reject", ids.REJECT, str(content.pending_submission), "danger"),
        ]
        return text, [
            section(
                f":hourglass_flowing_sand: {name} — version {content.version} for "
                f"*{content.period}* has been waiting for your review for two working days."
            ),
            facts,
            *covering,
            {"type": "actions", "elements": elements},
        ]
    when = content.deadline_words or ""
    text = f"Reminder: {measure.ref} {content.period} is due {when}"
    return text, [
        section(f":alarm_clock: {name} — the figure for *{content.period}* is due *{when}*."),
        facts,
        *covering,
        {
            "type": "actions",
            "elements": [
                button(
                    "Submit", ids.OPEN_SUBMIT, f"{measure.ref}|{content.period.label}", "primary"
                ),
            ],
        },
        context(
            f"Or reply in this thread with the figure and a sentence, for example "
            f"`{REPLY_EXAMPLE}`."
        ),
    ]


def _digest(content: ReminderContent, deps: Deps) -> tuple[str, list[Block]]:
    lines = [
        f"• `{ref}` {period} — {deps.directory.name_of(who)}, due {day(deadline)}"
        for ref, period, who, deadline in content.overdue
    ]
    result: list[Block] = [
        section(f":clipboard: *Missing-data digest* — {len(content.overdue)} figures overdue.")
    ]
    result += _chunks(lines or ["Nothing is overdue."])
    if content.uncovered:
        result.append(section("*Away with no cover* (their reminders could not be sent):"))
        result += _chunks(
            [
                f"• {deps.directory.name_of(who)} — `{ref}` {period}"
                for who, ref, period in content.uncovered
            ]
        )
    if content.undelivered:
        result.append(section("*Reminders not yet delivered* (still being retried):"))
        result += _chunks(
            [
                f"• {key.split('|')[0]} `{key.split('|')[1]}` to {to}: {error}"
                for key, to, error in content.undelivered
            ]
        )
    return f"Missing-data digest: {len(content.overdue)} overdue", result[:50]


def _chunks(lines: list[str]) -> list[Block]:
    found: list[Block] = []
    current = ""
    for line in lines:
        if len(current) + len(line) + 1 > 2800:
            found.append(section(current))
            current = ""
        current = f"{current}\n{line}" if current else line
    if current:
        found.append(section(current))
    return found[:40]


class SlackReminderSender:
    """Delivers reminder DMs. Uses its own client without automatic retries, so that rate
    limits and failures come back to the delivery loop, which owns the retrying."""

    def __init__(self, deps: Deps, client: WebClient | None = None) -> None:
        self.deps = deps
        token = deps.client.token
        self.client = client or WebClient(
            token=token, base_url=deps.client.base_url, timeout=10, retry_handlers=[]
        )

    def _channel(self, recipient: str) -> str:
        user_id = self.deps.directory.user_for(recipient)
        if user_id is None:
            raise DeliveryError(f"{recipient} is not found in Slack")
        return self.deps.directory.dm_channel(user_id)

    def find(self, key: str, recipient: str) -> tuple[str, str] | None:
        try:
            channel = self._channel(recipient)
            history = self.client.conversations_history(
                channel=channel, limit=100, include_all_metadata=True
            )
        except (SlackApiError, DeliveryError, OSError) as error:
            log.warning("could not check whether reminder %s arrived: %s", key, error)
            return None
        for message in history.get("messages") or []:
            payload = (message.get("metadata") or {}).get("event_payload") or {}
            if payload.get("key") == key:
                return channel, str(message["ts"])
        return None

    def send(self, key: str, content: ReminderContent) -> tuple[str, str]:
        card = None
        if content.kind is Kind.CARD and content.pending_submission is not None:
            # A review card that could not be delivered when it was submitted: the real card.
            card = pending_view(self.deps.engine, self.deps.council(), content.pending_submission)
            text, shown = blocks.review_card_text(card), blocks.review_card(card, self.deps.zone)
        else:
            text, shown = reminder_blocks(content, self.deps)
        try:
            channel = self._channel(content.recipient)
            answer = self.client.chat_postMessage(
                channel=channel,
                text=text,
                blocks=shown,
                metadata={"event_type": METADATA_TYPE, "event_payload": {"key": key}},
            )
        except SlackApiError as error:
            response = error.response
            if response.status_code == 429:
                wait = float(
                    response.headers.get("Retry-After", response.headers.get("retry-after", 1))
                )
                raise DeliveryError("rate limited", retry_after=wait) from None
            raise DeliveryError(
                f"Slack answered {response.status_code}: "
                f"{response.get('error') if response.data else ''}"
            ) from None
        except OSError as error:  # network down, connection refused, timeout
            raise DeliveryError(f"network error: {error}") from None
        channel, ts = str(answer["channel"]), str(answer["ts"])
        if card is not None:
            with write_session(self.deps.engine) as session:
                session.add(
                    MessageRef(
                        kind=ids.REVIEW_CARD,
                        key=f"{card.id}/{content.recipient}",
                        channel=channel,
                        ts=ts,
                        created_at=self.deps.now(),
                    )
                )
        return channel, ts


def close_reminders(deps: Deps, ref: str, period: Period, version: int, by: str) -> None:
    """Once a figure is submitted, its collector reminders say so instead of asking."""
    with read_session(deps.engine) as session:
        sent = reminder_store.sent_for(session, ref, period, [Kind.BEFORE, Kind.DEADLINE_DAY])
    note: list[dict[str, Any]] = [
        section(
            f":white_check_mark: *{ref}* {period} was submitted by {by} (version {version}). "
            "Thank you — nothing more is needed for this reminder."
        )
    ]
    for channel, ts in sent:
        try:
            deps.client.chat_update(
                channel=channel, ts=ts, blocks=note, text=f"{ref} {period} was submitted"
            )
        except SlackApiError as error:
            log.warning(
                "could not close reminder %s/%s: %s", channel, ts, error.response.get("error")
            )
