"""What every listener needs: settings, database, clock, the people directory and notifier."""

from __future__ import annotations

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
from sqlalchemy import Engine, bindparam
from sqlmodel import col, select

from bot import people, services
from bot.chat.conversation import Core, Someone, claimed
from bot.delivery import Deliverer
from bot.settings import Settings
from bot.status import CouncilInfo
from handlers.slack.gate import is_slack_url
from storage.engine import plain, read_session
from storage.models import Person

log = logging.getLogger(__name__)

UNKNOWN_RECHECK = timedelta(hours=1)
NOT_IN_SLACK = {"users_not_found", "user_not_found", "account_inactive"}

# a plain row from a statement built once: every message and home page asks (issue 11)
_SLACK_USER = select(col(Person.slack_user_id), col(Person.slack_checked_at)).where(
    col(Person.email) == bindparam("email")
)


class Directory:
    """Slack users ↔ register people (PRODUCT §1), cached in memory and on `person`.

    People are named by e-mail in the register; `users.lookupByEmail` finds their Slack user
    and the answer is stored. An incoming user not yet known is looked up once with
    `users.info` (their e-mail) and matched. An e-mail Slack does not know is a logged warning
    and is asked again only after an hour. Once a person is bound to a Slack user, another
    user whose profile claims the same e-mail is refused and reported (`bot.people`).
    """

    def __init__(self, engine: Engine, client: WebClient, clock: Callable[[], datetime]) -> None:
        self.engine, self.client, self.clock = engine, client, clock
        self._lock = threading.Lock()
        self._people: dict[str, tuple[Someone, float]] = {}

    def who(self, user_id: str) -> Someone:
        """The register person behind a Slack user (`email` None if not in the register).

        Who someone is, and whether they are an admin, is read from the database on every
        request (one indexed row): a register import that takes away admin rights, or an
        admin's rebinding, counts from the next click, in every process. Only the answer for a
        user *not* in the register is kept for a minute, to spare Slack's `users.info`.
        """
        bound = self._bound(user_id)
        if bound is not None:
            return bound
        with self._lock:
            cached = self._people.get(user_id)
        if cached and time.monotonic() - cached[1] < 60:
            return cached[0]
        someone = self._resolve(user_id)
        if someone.email is None and someone.refused_as is None:  # not in the register at all
            with self._lock:
                self._people[user_id] = (someone, time.monotonic())
        return someone

    def _bound(self, user_id: str) -> Someone | None:
        found = people.bound(self.engine, surface="slack", user_id=user_id)
        if found is None:
            return None
        return Someone(user_id, found.email, found.name, found.is_admin)

    def _resolve(self, user_id: str) -> Someone:
        try:
            profile = self.client.users_info(user=user_id)["user"]["profile"]
        except SlackApiError as error:
            log.warning("users.info failed for %s: %s", user_id, error.response.get("error"))
            return Someone(user_id, None, None)
        email = str(profile.get("email") or "").strip().lower()
        if not email:
            return Someone(user_id, None, None)
        return claimed(
            self.engine,
            surface="slack",
            user_id=user_id,
            email=email,
            display_name=profile.get("real_name"),
            now=self.clock(),
        )

    def user_for(self, email: str) -> str | None:
        """The Slack user id for a register e-mail (users.lookupByEmail, cached)."""
        with read_session(self.engine) as session:
            person = plain(session, _SLACK_USER, {"email": email}).first()
        if person is None:
            return None
        if person.slack_user_id:
            return str(person.slack_user_id)
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
        return people.found_by_surface(
            self.engine, surface="slack", email=email, user_id=user_id, now=now
        )

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


@dataclass
class Deps:
    """The Slack surface of one process: settings, database, clock, the people directory,
    the Web API client, and the deliverer that sends what changes commit to the outbox."""

    settings: Settings
    engine: Engine
    client: WebClient
    clock: Callable[[], datetime]
    directory: Directory
    deliverer: Deliverer | None = None
    transport: Any = None  # handlers.slack.transport.SlackTransport, set by build_app
    _core: Core | None = field(default=None, repr=False)
    work: ThreadPoolExecutor = field(
        default_factory=lambda: ThreadPoolExecutor(max_workers=2, thread_name_prefix="pmf-work")
    )

    def later(self, task: Callable[..., Any], /, *args: Any, **kwargs: Any) -> None:
        """Run `task` off the request thread (an apology to send, say). Its errors are logged;
        a person who is waiting is told — only ever through one of Slack's own URLs."""

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

    @property
    def core(self) -> Core:
        if self._core is None:
            self._core = Core(self.engine, self.clock, self.zone)
        return self._core

    @property
    def zone(self) -> ZoneInfo:
        return self.settings.zone

    def now(self) -> datetime:
        return self.clock().astimezone(self.zone)

    def council(self) -> CouncilInfo:
        return services.council_info(self.engine)

    def close(self) -> None:
        """Finish the work in hand and stop (tests, the sandbox, shutting down)."""
        self.work.shutdown(wait=True)
        if self.deliverer is not None:
            self.deliverer.stop()
