"""What every listener needs: settings, database, clock, the people directory and notifier."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlmodel import col, select

from bot import services
from bot.settings import Settings
from bot.status import CouncilInfo
from handlers.slack.gate import is_slack_url
from storage.engine import read_session, write_session
from storage.models import InboundEvent, Person

log = logging.getLogger(__name__)

UNKNOWN_RECHECK = timedelta(hours=1)
NOT_IN_SLACK = {"users_not_found", "user_not_found", "account_inactive"}


@dataclass(frozen=True)
class Someone:
    """The person behind a Slack user: in the register (`email` set) or not."""

    user_id: str
    email: str | None
    name: str | None
    is_admin: bool = False

    @property
    def known(self) -> bool:
        return self.email is not None


class Directory:
    """Slack users ↔ register people (PRODUCT §1), cached in memory and on `person`.

    People are named by e-mail in the register; `users.lookupByEmail` finds their Slack user
    and the answer is stored. An incoming user not yet known is looked up once with
    `users.info` (their e-mail) and matched. An e-mail Slack does not know is a logged warning
    and is asked again only after an hour.
    """

    def __init__(self, engine: Engine, client: WebClient, clock: Callable[[], datetime]) -> None:
        self.engine, self.client, self.clock = engine, client, clock
        self._lock = threading.Lock()
        self._people: dict[str, tuple[Someone, float]] = {}
        self._dms: dict[str, str] = {}

    def who(self, user_id: str) -> Someone:
        with self._lock:
            cached = self._people.get(user_id)
        if cached and (cached[0].known or time.monotonic() - cached[1] < 60):
            return cached[0]
        someone = self._resolve(user_id)
        with self._lock:
            self._people[user_id] = (someone, time.monotonic())
        return someone

    def _resolve(self, user_id: str) -> Someone:
        with read_session(self.engine) as session:
            person = session.exec(select(Person).where(Person.slack_user_id == user_id)).first()
        if person is not None:
            return Someone(user_id, person.email, person.name, person.is_admin)
        try:
            profile = self.client.users_info(user=user_id)["user"]["profile"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return Someone(user_id, None, None)
        email = str(profile.get("email") or "").strip().lower()
        if not email:
            return Someone(user_id, None, None)
        with write_session(self.engine) as session:
            person = session.exec(select(Person).where(Person.email == email)).first()
            if person is None:
                return Someone(user_id, None, profile.get("real_name"))
            person.slack_user_id = user_id
            person.slack_checked_at = self.clock()
            session.add(person)
            return Someone(user_id, person.email, person.name, person.is_admin)

    def user_for(self, email: str) -> str | None:
        """The Slack user id for a register e-mail (users.lookupByEmail, cached)."""
        with read_session(self.engine) as session:
            person = session.exec(select(Person).where(Person.email == email)).first()
        if person is None:
            return None
        if person.slack_user_id:
            return person.slack_user_id
        now = self.clock()
        if person.slack_checked_at and now - person.slack_checked_at < UNKNOWN_RECHECK:
            return None
        user_id: str | None = None
        try:
            user_id = self.client.users_lookupByEmail(email=email)["user"]["id"]
        except SlackApiError as error:
            reason = error.response.get("error")
            if reason not in NOT_IN_SLACK:
                # Rate limited or Slack unwell: not an answer about the person; ask next time.
                log.warning("could not look up %s in Slack just now (%s)", email, reason)
                return None
            log.warning("%s is in the register but not found in Slack (%s)", email, reason)
        with write_session(self.engine) as session:
            stored = session.exec(select(Person).where(Person.email == email)).one()
            stored.slack_user_id = user_id
            stored.slack_checked_at = now
            session.add(stored)
        return user_id

    def name_of(self, email: str) -> str:
        with read_session(self.engine) as session:
            name = session.exec(select(Person.name).where(Person.email == email)).first()
        return name or email

    def warm_up(self) -> int:
        """Resolve everyone in the register not yet resolved; returns how many were found."""
        with read_session(self.engine) as session:
            emails = list(
                session.exec(select(Person.email).where(col(Person.slack_user_id).is_(None)))
            )
        return sum(1 for email in emails if self.user_for(email))

    def dm_channel(self, user_id: str) -> str:
        with self._lock:
            known = self._dms.get(user_id)
        if known:
            return known
        channel = str(self.client.conversations_open(users=user_id)["channel"]["id"])
        with self._lock:
            self._dms[user_id] = channel
        return channel


def _ack_done(*_args: Any, **_kwargs: Any) -> None:
    """Stands in for `ack` once the request has been acknowledged."""


@dataclass
class Deps:
    settings: Settings
    engine: Engine
    client: WebClient
    clock: Callable[[], datetime]
    directory: Directory
    work: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=4, thread_name_prefix="pmf-work")
    )

    def later(self, task: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run `action` after the answer to Slack, on the work threads (PRODUCT §9: slow work
        runs after the ack). Its errors are logged; a person who is waiting is told."""

        def run() -> None:
            try:
                task(*args, **kwargs)
            except Exception:
                log.exception("work after the ack failed")
                respond = kwargs.get("respond")
                # Bolt builds `respond` from the payload's response_url: only ever Slack's.
                url = getattr(respond, "response_url", None)
                if respond is not None and self.is_slack_url(url):
                    try:
                        respond(
                            text=":warning: Sorry, something went wrong on our side. "
                            "Nothing you entered was lost; please try again in a minute.",
                            response_type="ephemeral",
                            replace_original=False,
                        )
                    except Exception:
                        log.exception("could not tell the person about the error")

        self.work.submit(run)

    def is_slack_url(self, url: object) -> bool:
        """Whether the bot may post to `url`: Slack's own hosts, or SLACK_API_URL's."""
        return is_slack_url(url, self.settings.slack_api_url)

    def forget_event(self, event_id: str) -> None:
        """Handling failed: forget the event, so that Slack's retry of it is handled."""
        with write_session(self.engine) as session:
            found = session.get(InboundEvent, event_id)
            if found is not None:
                session.delete(found)

    def close(self) -> None:
        """Finish the work in hand (tests, the sandbox, shutting down)."""
        self.work.shutdown(wait=True)

    def after_ack(self, listener: Callable[..., None]) -> Callable[..., None]:
        """A listener that acknowledges at once and does its work on the work threads, so no
        acknowledgement ever waits behind earlier requests' work."""

        def work(**kwargs: Any) -> None:
            try:
                listener(**kwargs)
            except Exception:
                body = kwargs.get("body") or {}
                if body.get("type") == "event_callback" and body.get("event_id"):
                    self.forget_event(str(body["event_id"]))  # so Slack's retry is handled
                raise

        @functools.wraps(listener)
        def acknowledged(**kwargs: Any) -> None:
            ack = kwargs.get("ack")
            if ack is not None:
                ack()
                kwargs["ack"] = _ack_done
            self.later(work, **kwargs)

        return acknowledged

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def council(self) -> CouncilInfo:
        return services.council_info(self.engine)
