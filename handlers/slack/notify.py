"""Telling people things in Slack: review cards (updated in place), notices, App Home.

Slack errors are caught here and reported back to the caller as plain words, so a listener
can tell the person what did not reach whom; nothing already recorded is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlmodel import col, select

from bot.inbox import inbox
from bot.reminders import Kind, Reminder
from bot.services import CARD_KEPT
from bot.submissions import SubmissionView, card_recipients
from handlers.slack import blocks, ids
from handlers.slack.context import Deps
from storage import reminder_store
from storage.engine import read_session, write_session
from storage.models import MessageRef

log = logging.getLogger(__name__)


def _card_key(submission_id: int, email: str) -> str:
    return f"{submission_id}/{email}"


class Notifier:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    @property
    def client(self) -> Any:
        return self.deps.client

    def dm(
        self, email: str, text: str, blocks_: Sequence[dict[str, Any]] | None = None
    ) -> tuple[str, str] | None:
        """Send a direct message; returns (channel, ts), or None if it could not be sent."""
        user_id = self.deps.directory.user_for(email)
        if user_id is None:
            return None
        try:
            channel = self.deps.directory.dm_channel(user_id)
            answer = self.client.chat_postMessage(
                channel=channel, text=text, blocks=list(blocks_) if blocks_ else None
            )
        except SlackApiError as error:
            log.warning("could not message %s: %s", email, error.response.get("error"))
            return None
        return str(answer["channel"]), str(answer["ts"])

    def send_review_card(self, view: SubmissionView) -> list[str]:
        """Post the card for a new version; returns the e-mails it could not reach now.

        A card that cannot be delivered now is not lost: it goes into the outbox, and the
        scheduler's ticks retry it (and the admins' digest lists it) until it arrives.
        """
        missed = []
        zone = self.deps.zone
        for email in card_recipients(view):
            sent = self.dm(email, blocks.review_card_text(view), blocks.review_card(view, zone))
            if sent is None:
                missed.append(email)
                continue
            with write_session(self.deps.engine) as session:
                session.add(
                    MessageRef(
                        kind=ids.REVIEW_CARD,
                        key=_card_key(view.id, email),
                        channel=sent[0],
                        ts=sent[1],
                        created_at=self.deps.now(),
                    )
                )
        if missed:
            now = self.deps.now()
            queued = [
                Reminder(
                    Kind.CARD,
                    view.measure.ref,
                    view.period,
                    email,
                    now,
                    now + CARD_KEPT,
                    view.deadline,
                    version=view.version,
                )
                for email in missed
            ]
            with write_session(self.deps.engine) as session:
                reminder_store.enqueue(session, queued, now)
        return missed

    def update_review_cards(
        self,
        view: SubmissionView,
        *,
        superseded_by: int | None = None,
        reopened: str | None = None,
    ) -> None:
        """Rewrite every card of this version in place (decided, or replaced by a newer one)."""
        with read_session(self.deps.engine) as session:
            refs = list(
                session.exec(
                    select(MessageRef).where(
                        MessageRef.kind == ids.REVIEW_CARD,
                        col(MessageRef.key).startswith(f"{view.id}/"),
                    )
                )
            )
        card = blocks.review_card(
            view, self.deps.zone, superseded_by=superseded_by, reopened=reopened
        )
        for ref in refs:
            try:
                self.client.chat_update(
                    channel=ref.channel, ts=ref.ts, blocks=card, text=blocks.review_card_text(view)
                )
            except SlackApiError as error:
                log.warning(
                    "could not update review card %s: %s", ref.key, error.response.get("error")
                )

    def refresh_home(self, emails: Iterable[str | None]) -> None:
        council = self.deps.council()
        today = self.deps.now().date()
        for email in dict.fromkeys(e for e in emails if e):
            user_id = self.deps.directory.user_for(email)
            if user_id is None:
                continue
            box = inbox(self.deps.engine, council, email=email, today=today)
            self.publish_home(user_id, box.known, box.name, box)

    def publish_home(self, user_id: str, known: bool, name: str | None, box: Any) -> None:
        due, reviews, decisions = (box.due, box.reviews, box.decisions) if box else ([], [], [])
        view = blocks.home_view(name, due, reviews, decisions, self.deps.zone, known=known)
        try:
            self.client.views_publish(user_id=user_id, view=view)
        except SlackApiError as error:
            log.warning(
                "could not publish App Home for %s: %s", user_id, error.response.get("error")
            )
