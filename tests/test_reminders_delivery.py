"""Delivering reminders exactly once (PRODUCT §6, issue 4), on SQLite and PostgreSQL.

Everything goes through the real outbox (`tick`: plan → enqueue → claim → send → mark) and the
real `SlackTransport` against the Slack Web API stand-in, which keeps every message with
its metadata: each reminder message is tagged with its key, so "delivered once" is counted from
what Slack received. The clock is injected; nothing sleeps for real.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from slack_sdk import WebClient
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlmodel import select

from bot import leave, services
from bot.chat.model import Message
from bot.delivery import DeliveryError, TickReport, Transport, situation_plan, tick
from bot.outbox import Ref
from bot.settings import load_settings
from bot.status import CouncilInfo
from bot.submissions import decide, submit
from handlers.slack.app import build_app
from handlers.slack.context import Deps
from handlers.slack.transport import SlackTransport
from sandbox.slack_api import Call, SlackStandIn
from storage import outbox_store
from storage.engine import is_postgres, make_engine, read_session, write_session
from storage.migrate import upgrade
from storage.models import Measure, Person, Submission
from storage.models import OutboxItem as ReminderRow
from tests.conftest import ROOT
from tests.slack_harness import EXAMPLES, SECRET, Clock, register_people

LONDON = ZoneInfo("Europe/London")

JANE = "jane.doe@example.gov.uk"
SAM = "sam.lee@example.gov.uk"
AMY = "amy.robinson@example.gov.uk"
BEN = "ben.clarke@example.gov.uk"
CHRIS = "chris.walker@example.gov.uk"
HOUSING = "housing.manager@example.gov.uk"  # SC1.1's cover
WASTE = "waste.manager@example.gov.uk"  # reviews SE2.1
HOS_ENV = "hos.environment@example.gov.uk"
HOS_COMM = "hos.communities@example.gov.uk"
HOS_CORP = "hos.corporate@example.gov.uk"  # reviews TC1.2
ADMIN = "policy.officer@example.gov.uk"


def moment(day: str, hour: int = 9, minute: int = 5, second: int = 0) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(hour, minute, second), tzinfo=LONDON)


# -- a bot's Slack side without the HTTP server -----------------------------------------------


@dataclass
class World:
    engine: Engine
    slack: SlackStandIn
    deps: Deps
    clock: Clock
    people: dict[str, str]  # e-mail → Slack user id
    council: CouncilInfo
    sleeps: list[float] = field(default_factory=list)

    @property
    def sender(self) -> SlackTransport:
        return self.deps.transport

    def tick(
        self,
        when: datetime | None = None,
        *,
        sender: Transport | None = None,
        worker: str = "worker-1",
        batch: int = 200,
        engine: Engine | None = None,
    ) -> TickReport:
        if when is not None:
            self.clock.now = when
        return tick(
            engine or self.engine,
            self.council,
            sender or self.sender,
            now=self.clock(),
            zone=LONDON,
            worker=worker,
            batch=batch,
            sleep=self.sleeps.append,
            clock=self.clock,
        )

    def posts(self, *, ok: bool | None = True) -> list[Call]:
        """chat.postMessage calls carrying a reminder key (all, or only those that worked);
        the cards and notices a submission sends through the same outbox are not counted."""
        return [
            call
            for call in self.slack.calls_to("chat.postMessage")
            if key_of(call).startswith(REMINDER_KEYS) and (ok is None or call.ok == ok)
        ]

    def delivered(self) -> Counter[str]:
        return Counter(key_of(call) for call in self.posts())

    def rows(self) -> dict[str, ReminderRow]:
        with read_session(self.engine) as session:
            rows = session.exec(select(ReminderRow))
            return {row.key: row for row in rows if row.key.startswith(REMINDER_KEYS)}

    def statuses(self) -> Counter[str]:
        return Counter(row.status for row in self.rows().values())

    def recipient_of(self, call: Call) -> str:
        channel = str(call.response["channel"])
        for email, uid in self.people.items():
            if self.slack.dm_channel(uid) == channel:
                return email
        raise AssertionError(f"{channel} is nobody's DM")


REMINDER_KEYS = ("before-", "deadline_day|", "overdue-", "review-", "escalation|", "digest|")


def key_of(call: Call) -> str:
    metadata = call.params.get("metadata") or {}
    return str((metadata.get("event_payload") or {}).get("key") or "")


SEEDED_AT = moment("2026-04-01", 8, 0)


def seed(url: str) -> None:
    """The example register and its approved history (everything up to March 2026 is
    approved except SC2.1 2025-26 Q4)."""
    engine = make_engine(url)
    try:
        upgrade(engine)
        services.import_register(engine, EXAMPLES / "register.yaml", actor="setup", now=SEEDED_AT)
        services.import_actuals(
            # As history: imported once the 2025-26 Q4 Board has passed, so all approved.
            engine,
            EXAMPLES / "actuals.csv",
            actor=ADMIN,
            now=SEEDED_AT,
            today=date(2026, 4, 22),
        )
        if not is_postgres(engine):
            with engine.connect() as connection:  # all in the main file, ready to be copied
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def sqlite_seed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Seeded once per module; each SQLite test starts from a copy."""
    path = tmp_path_factory.mktemp("reminders_seed") / "pmf.db"
    seed(f"sqlite:///{path}")
    return path


def seeded(url: str, sqlite_seed: Path) -> str:
    if url.startswith("sqlite"):
        database = make_url(url).database
        assert database is not None
        shutil.copyfile(sqlite_seed, database)
    else:
        seed(url)
    return url


@pytest.fixture
def database(db_url: str, sqlite_seed: Path) -> str:
    """A seeded database: SQLite, then PostgreSQL."""
    return seeded(db_url, sqlite_seed)


@pytest.fixture
def sqlite_database(sqlite_url: str, sqlite_seed: Path) -> str:
    return seeded(sqlite_url, sqlite_seed)


@pytest.fixture
def postgres_database(postgres_url: str) -> str:
    seed(postgres_url)
    return postgres_url


@contextmanager
def world(url: str, start: datetime) -> Iterator[World]:
    """A seeded database, the stand-in with every person of the register, and the app's
    dependencies with a movable clock."""
    engine = make_engine(url)
    clock = Clock(start)
    with SlackStandIn() as slack:
        people = {email: slack.add_user(email, name) for email, name in register_people().items()}
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "PMF_DATABASE_URL": url,
            }
        )
        _, deps = build_app(settings, engine, clock=clock, deliver=False)
        for email in people:  # Slack ids stored once, as a warmed-up bot has them
            deps.directory.user_for(email)
        try:
            council = services.council_info(engine)
            # Delivery is what these tests are about; overdue nudges have tests of their own
            # (test_reminders_plan, test_collector_slack), so the timelines here leave them out.
            council = replace(council, reminders=replace(council.reminders, overdue_every=0))
            yield World(engine, slack, deps, clock, people, council)
        finally:
            engine.dispose()


def days(start: str, end: str) -> Iterator[date]:
    day, last = date.fromisoformat(start), date.fromisoformat(end)
    while day <= last:
        yield day
        day += timedelta(days=1)


# -- a whole quarter ---------------------------------------------------------------------------

# Apr–Jun 2026 with the example register and its history (everything up to March 2026 is
# approved except SC2.1 2025-26 Q4). Events on the way, and what each changes:
#   Fri 10 Apr  Amy records leave for Mon 13 Apr with no cover, and 1–8 May with no cover
#               → SC2.1's 1-day reminder cannot go: the admins' digest says so instead;
#                 SC1.1's 5-day reminder for April goes to its cover, the housing manager.
#   Tue 12 May  Sam submits SE2.1 for April after its 1-day reminder → no deadline-day
#               reminder nor escalation; the reviewer is reminded 2 working days later.
#   Thu 4 Jun   Ben submits TC1.2 for May after its 1-day reminder; the Head of Service
#               (its reviewer) is reminded 2 working days later, Mon 8 Jun, and approves.
# TC1.2 (lag 5): the 5-day reminders would fall inside the period (Thu 30 Apr, Fri 29 May):
# never sent.
QUARTER: list[tuple[str, str, str | None, str | None, str]] = [
    ("2026-04-07", "before-5", "SC2.1", "2025-26 Q4", AMY),  # after Easter
    ("2026-04-13", "digest", None, None, ADMIN),  # Amy away, no cover: listed
    ("2026-04-14", "deadline_day", "SC2.1", "2025-26 Q4", AMY),
    ("2026-04-15", "digest", None, None, ADMIN),
    ("2026-04-15", "escalation", "SC2.1", "2025-26 Q4", HOS_COMM),
    ("2026-05-06", "before-5", "SC1.1", "2026-04", HOUSING),  # after the 4 May holiday
    ("2026-05-06", "before-5", "SE2.1", "2026-04", SAM),
    ("2026-05-06", "before-5", "SE2.2", "2026-04", SAM),
    ("2026-05-07", "before-1", "TC1.2", "2026-04", BEN),
    ("2026-05-08", "deadline_day", "TC1.2", "2026-04", BEN),
    ("2026-05-11", "digest", None, None, ADMIN),
    ("2026-05-11", "escalation", "TC1.2", "2026-04", HOS_CORP),
    ("2026-05-12", "before-1", "SC1.1", "2026-04", AMY),
    ("2026-05-12", "before-1", "SE2.1", "2026-04", SAM),
    ("2026-05-12", "before-1", "SE2.2", "2026-04", SAM),
    ("2026-05-13", "deadline_day", "SC1.1", "2026-04", AMY),
    ("2026-05-13", "deadline_day", "SE2.2", "2026-04", SAM),
    ("2026-05-14", "digest", None, None, ADMIN),
    ("2026-05-14", "escalation", "SC1.1", "2026-04", HOS_COMM),
    ("2026-05-14", "escalation", "SE2.2", "2026-04", HOS_ENV),
    ("2026-05-14", "review", "SE2.1", "2026-04", WASTE),
    ("2026-06-03", "before-5", "SC1.1", "2026-05", AMY),
    ("2026-06-03", "before-5", "SE2.1", "2026-05", SAM),
    ("2026-06-03", "before-5", "SE2.2", "2026-05", SAM),
    ("2026-06-04", "before-1", "TC1.2", "2026-05", BEN),
    ("2026-06-08", "review", "TC1.2", "2026-05", HOS_CORP),
    ("2026-06-09", "before-1", "SC1.1", "2026-05", AMY),
    ("2026-06-09", "before-1", "SE2.1", "2026-05", SAM),
    ("2026-06-09", "before-1", "SE2.2", "2026-05", SAM),
    ("2026-06-10", "deadline_day", "SC1.1", "2026-05", AMY),
    ("2026-06-10", "deadline_day", "SE2.1", "2026-05", SAM),
    ("2026-06-10", "deadline_day", "SE2.2", "2026-05", SAM),
    ("2026-06-11", "digest", None, None, ADMIN),
    ("2026-06-11", "escalation", "SC1.1", "2026-05", HOS_COMM),
    ("2026-06-11", "escalation", "SE2.1", "2026-05", HOS_ENV),
    ("2026-06-11", "escalation", "SE2.2", "2026-05", HOS_ENV),
]


def described(
    w: World, key: str, day: date, recipient: str
) -> list[tuple[str, str, str | None, str | None, str]]:
    parts = key.split("|")
    if parts[0] == "escalation":  # one message per Head of Service per day: its figures
        assert parts[1] == day.isoformat() and parts[2] == recipient, f"{key} on {day}"
        payload = w.rows()[key].payload or {}
        return [
            (day.isoformat(), "escalation", ref, period, recipient)
            for ref, period, _ in payload["figures"]
        ]
    if parts[0] == "digest":
        assert parts[1] == day.isoformat(), f"{key} delivered on {day}"
        return [(day.isoformat(), "digest", None, None, recipient)]
    kind = parts[0].split("-v")[0] if parts[0].startswith("review") else parts[0]
    assert parts[3] == recipient, f"{key} went to {recipient}"
    return [(day.isoformat(), kind, parts[1], parts[2], recipient)]


def test_a_quarter_of_daily_ticks_delivers_each_reminder_once_on_its_day(database: str) -> None:
    with world(database, moment("2026-04-01", 8, 0)) as w:
        council = w.council

        def amy_away() -> None:
            for starts, ends in (("2026-04-13", "2026-04-13"), ("2026-05-01", "2026-05-08")):
                leave.set_away(
                    w.engine,
                    email=AMY,
                    starts=date.fromisoformat(starts),
                    ends=date.fromisoformat(ends),
                    cover=None,
                    now=w.clock(),
                )

        def submitted(ref: str, period: str, value: str, by: str) -> Callable[[], None]:
            def act() -> None:
                submit(
                    w.engine,
                    council,
                    ref=ref,
                    period_text=period,
                    value_text=value,
                    overview="On target.",
                    actions=None,
                    evidence_url=None,
                    actor=by,
                    now=w.clock(),
                )

            return act

        def approve_tc12() -> None:
            [latest] = [
                s for s in services_submissions(w.engine, "TC1.2", "2026-05") if s.version == 1
            ]
            assert latest.id is not None
            decide(
                w.engine,
                council,
                submission_id=latest.id,
                decision="approved",
                reason=None,
                actor=HOS_CORP,
                now=w.clock(),
            )

        events: dict[datetime, Callable[[], None]] = {
            moment("2026-04-10", 17): amy_away,
            moment("2026-05-12", 12): submitted("SE2.1", "2026-04", "96", SAM),
            moment("2026-06-04", 12): submitted("TC1.2", "2026-05", "96.0", BEN),
            moment("2026-06-08", 10): approve_tc12,
        }
        extra = {  # off-hours ticks: nothing is due before 09:00, nothing twice after
            "2026-04-07": [time(7, 30), time(8, 59), time(17, 30)],
            "2026-04-14": [time(23, 55)],
            "2026-05-12": [time(12, 30)],
            "2026-06-04": [time(12, 30)],
        }
        days_off = {  # ticks on days that are not working days: nothing may go
            "2026-04-03": [time(9, 5)],  # Good Friday
            "2026-04-06": [time(9, 5), time(15)],  # Easter Monday
            "2026-04-11": [time(9, 5)],  # a Saturday, with reminders in their window
            "2026-05-04": [time(9, 5)],  # early May bank holiday
            "2026-05-09": [time(9, 5)],  # a Saturday
            "2026-05-10": [time(9, 5)],  # a Sunday
            "2026-05-25": [time(9, 5)],  # spring bank holiday
            "2026-06-06": [time(11)],  # a Saturday
        }
        calendar = council.calendar
        found: list[tuple[str, str, str | None, str | None, str]] = []
        for day in days("2026-04-01", "2026-06-30"):
            if calendar.is_working_day(day):
                assert day.isoformat() not in days_off
                moments = [time(9, 5), *extra.get(day.isoformat(), [])]
            else:
                moments = days_off.get(day.isoformat(), [])
            moments += [e.time() for e in events if e.date() == day]
            for at in sorted(set(moments)):
                now = datetime.combine(day, at, tzinfo=LONDON)
                if now in events:
                    w.clock.now = now
                    events[now]()
                    continue
                before = len(w.posts())
                w.tick(now)
                for call in w.posts()[before:]:
                    assert at == time(9, 5), f"{key_of(call)} sent at {at}, not at the 09:05 tick"
                    found += described(w, key_of(call), day, w.recipient_of(call))

        assert sorted(found) == sorted(QUARTER)
        assert set(w.delivered().values()) == {1}, "each reminder reached Slack once"
        rows = w.rows()
        assert {row.status for row in rows.values()} == {"sent"}
        assert all(row.message_ts and row.channel and row.sent_at for row in rows.values())
        assert len(w.posts(ok=None)) == len(w.delivered())  # no failed attempts
        # 11 Jun: SE2.1 and SE2.2 went to Helen Carter in one message, SC1.1 to Fiona Grant.
        assert len(w.delivered()) == len(QUARTER) - 1


def services_submissions(engine: Engine, ref: str, period: str) -> list[Submission]:
    with read_session(engine) as session:
        return list(
            session.exec(
                select(Submission)
                .join(Measure)
                .where(Measure.ref == ref, Submission.period == period)
            )
        )


# -- a busy morning: Tue 13 Oct 2026 -----------------------------------------------------------

BUSY = moment("2026-10-13")  # 1-day reminders and a wave of escalations


class Crash(BaseException):
    """The process dies (not an Exception: nothing in the tick may catch it)."""


class CrashingSender:
    """The real transport, in a process that dies right after its `after`-th message arrived
    and before it could record it."""

    def __init__(self, real: Transport, after: int) -> None:
        self.real, self.after, self.sent = real, after, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def post(self, email: str, message: Message, key: str) -> Ref:
        answer = self.real.post(email, message, key)
        self.sent += 1
        if self.sent == self.after:
            raise Crash()
        return answer


def test_a_restart_in_the_middle_of_a_fan_out_resends_nothing_and_loses_nothing(
    database: str,
) -> None:
    with world(database, BUSY) as w:
        with pytest.raises(Crash):
            w.tick(BUSY, sender=CrashingSender(w.sender, after=5), worker="dead")
        rows = w.rows()
        total = len(rows)
        assert total >= 8  # escalations: one message per Head of Service (issue 13)
        assert w.statuses() == Counter({"sent": 4, "sending": total - 4})
        assert len(w.posts()) == 5  # the fifth arrived; the process died before recording it
        arrived = w.posts()[4]

        # A new process starts: within five minutes the rows still look claimed.
        report = w.tick(BUSY + timedelta(minutes=4, seconds=59), worker="new")
        assert (report.sent, report.recovered) == (0, 0)
        assert len(w.posts()) == 5

        # After five minutes they are recovered: the one that arrived is recorded, not resent.
        report = w.tick(BUSY + timedelta(minutes=5), worker="new")
        assert (report.recovered, report.sent, report.dropped) == (1, total - 5, 0)
        assert set(w.delivered().values()) == {1} and len(w.delivered()) == total
        assert w.statuses() == Counter({"sent": total})
        row = w.rows()[key_of(arrived)]
        assert (row.channel, row.message_ts) == (
            arrived.response["channel"],
            arrived.response["ts"],
        )
        assert w.tick(BUSY + timedelta(hours=1), worker="new") == TickReport()


def test_a_rate_limit_is_waited_out_as_slack_asks_and_nothing_is_lost(
    sqlite_database: str,
) -> None:
    with world(sqlite_database, BUSY) as w:
        w.slack.fail_next("chat.postMessage", status=429, retry_after=1, times=2)
        report = w.tick(BUSY)
        assert w.sleeps == [1.0, 1.0] and report.waited == 2.0
        limited = [c for c in w.slack.calls_to("chat.postMessage") if c.status == 429]
        assert len(limited) == 2
        first_three = [key_of(c) for c in w.slack.calls_to("chat.postMessage")[:3]]
        assert len(set(first_three)) == 1, "the same reminder is retried after the wait"
        assert report.sent == len(w.rows()) and report.retried == 0
        assert set(w.delivered().values()) == {1}
        assert w.statuses() == Counter({"sent": len(w.rows())})


def test_a_retry_after_too_long_to_sit_through_is_honoured_from_the_queue(
    sqlite_database: str,
) -> None:
    with world(sqlite_database, BUSY) as w:
        w.slack.fail_next("chat.postMessage", status=429, retry_after=600)
        report = w.tick(BUSY)
        assert w.sleeps == [] and report.retried == 1
        [waiting] = [row for row in w.rows().values() if row.status == "pending"]
        assert waiting.next_attempt_at is not None
        assert waiting.next_attempt_at >= BUSY + timedelta(seconds=600)
        assert w.tick(BUSY + timedelta(minutes=9)).sent == 0  # Slack said 10 minutes
        assert w.tick(BUSY + timedelta(minutes=10)).sent == 1
        assert set(w.delivered().values()) == {1}
        assert w.statuses() == Counter({"sent": len(w.rows())})


def test_server_errors_go_back_to_the_queue_with_back_off_and_are_listed_in_the_digest(
    database: str,
) -> None:
    with world(database, moment("2026-10-06")) as w:
        w.tick()  # Tue 6 Oct: whatever was due, delivered
        assert w.statuses() == Counter({"sent": len(w.rows())})

        w.slack.fail_next("chat.postMessage", status=503)
        report = w.tick(moment("2026-10-07"))
        failed = [c for c in w.slack.calls_to("chat.postMessage") if c.status == 503]
        assert len(failed) == 1 and report.retried == 1
        key = key_of(failed[0])
        assert key.startswith("before-5|DE2.2|2026-27 H1|")  # 5 days before: useful till Tue
        row = w.rows()[key]
        assert (row.status, row.attempts) == ("pending", 1)
        assert row.next_attempt_at == moment("2026-10-07", 9, 6)
        assert row.last_error and "503" in row.last_error

        assert w.tick(moment("2026-10-07", 9, 5, 59)).sent == 0  # not before its time
        w.slack.fail_next("chat.postMessage", status=500)
        w.tick(moment("2026-10-07", 9, 6))
        row = w.rows()[key]
        assert (row.status, row.attempts) == ("pending", 2)
        assert row.next_attempt_at == moment("2026-10-07", 9, 8)  # the delay grows

        # Thu 8 Oct: still failing when the missing-data digest goes, which lists it.
        w.slack.fail_next("chat.postMessage", status=502)
        w.tick(moment("2026-10-08"))
        assert w.rows()[key].status == "pending"
        [digest] = [c for c in w.posts() if key_of(c).startswith("digest|2026-10-08|")]
        shown = json.dumps(digest.params["blocks"], ensure_ascii=False)
        assert "Reminders not yet delivered" in shown
        # One line for Chris (who has not used the bot yet): how many, since when, the error.
        assert (
            "Chris Walker (no chat used yet) — 1 message, due Wed 07 Oct 2026: Slack answered 500"
        ) in shown

        report = w.tick(moment("2026-10-08", 9, 30))
        assert report.sent == 1
        assert w.delivered()[key] == 1
        assert set(w.delivered().values()) == {1}
        assert w.statuses() == Counter({"sent": len(w.rows())})


def test_the_digest_lists_undelivered_reminders_once_per_person(database: str) -> None:
    """A week of reminders failing for five people: the admins' digest has one line per
    person (name, chat, how many are waiting, the oldest's day, its error), not one per
    reminder, the longest waiting first."""
    with world(database, moment("2026-10-06")) as w:
        w.tick()
        with write_session(w.engine) as session:  # Jane has used the bot in Slack
            session.exec(select(Person).where(Person.email == JANE)).one().surface = "slack"
        real = w.sender

        class Refusing:
            """Slack, where no one but the admin can be found."""

            surface = "slack"

            def reaches(self, email: str) -> bool:
                return True

            def find(self, email: str, key: str) -> Ref | None:
                return real.find(email, key)

            def post(self, email: str, message: Message, key: str) -> Ref:
                if email == ADMIN:
                    return real.post(email, message, key)
                raise DeliveryError(f"{email} is not found in Slack")

        for day in days("2026-10-07", "2026-10-13"):
            w.tick(datetime.combine(day, time(9, 5), tzinfo=LONDON), sender=Refusing())  # type: ignore[arg-type]
        digest = [c for c in w.posts() if key_of(c) == f"digest|2026-10-13|{ADMIN}"]
        blocks = [block["text"]["text"] for block in digest[0].params["blocks"]]
        at = blocks.index("*Reminders not yet delivered* (still being retried):")
        assert blocks[at + 1 :] == [
            "\n".join(
                [
                    "• Chris Walker (no chat used yet) — 5 messages, the oldest due Wed 07 Oct"
                    f" 2026: {CHRIS} is not found in Slack",
                    "• Sam Lee (no chat used yet) — 4 messages, the oldest due Wed 07 Oct 2026:"
                    f" {SAM} is not found in Slack",
                    "• Jane Doe (Slack) — 2 messages, the oldest due Wed 07 Oct 2026:"
                    f" {JANE} is not found in Slack",
                    "• Amy Robinson (no chat used yet) — 6 messages, the oldest due Mon 12 Oct"
                    f" 2026: {AMY} is not found in Slack",
                    f"• Ben Clarke (no chat used yet) — 1 message, due Mon 12 Oct 2026: {BEN} is"
                    " not found in Slack",
                ]
            )
        ]


def test_network_errors_are_retried_and_what_lost_its_use_meanwhile_is_dropped(
    sqlite_database: str,
) -> None:
    with world(sqlite_database, moment("2026-10-06")) as w:
        w.tick()
        sent_before = len(w.posts())
        # Slack's API unreachable (nothing listens on port 9). The sender's client makes no
        # retries of its own: the queue owns retrying, and a tick never sits in back-off.
        unreachable = WebClient(token="xoxb-test-token", base_url="http://127.0.0.1:9/api/")
        offline = SlackTransport(w.engine, unreachable, w.deps.directory)
        assert offline.client.base_url == unreachable.base_url
        assert offline.client.retry_handlers == []
        report = w.tick(moment("2026-10-07"), sender=offline)  # Wed 7 Oct: the network is down
        waiting = [row for row in w.rows().values() if row.status == "pending"]
        assert report.retried == len(waiting) == 5
        assert all("network error" in (row.last_error or "") for row in waiting)
        assert len(w.posts()) == sent_before

        submit(  # Jane submits SE1.1 while its 5-day reminder is still queued
            w.engine,
            w.council,
            ref="SE1.1",
            period_text="2026-27 Q2",
            value_text="36.5",
            overview="Steady.",
            actions=None,
            evidence_url=None,
            actor=JANE,
            now=moment("2026-10-07", 15),
        )
        report = w.tick(moment("2026-10-08"))  # back on Thursday
        rows = w.rows()
        assert rows[f"before-5|SE1.1|2026-27 Q2|{JANE}"].status == "dropped"
        assert rows[f"before-5|SE1.1|2026-27 Q2|{JANE}"].last_error == "a figure was submitted"
        for late in ("deadline_day|TC1.1|2026-27 Q2|", "deadline_day|TC1.2|2026-09|"):
            assert rows[late + BEN].status == "dropped", "not sent a day late"
            assert rows[late + BEN].last_error == "its moment has passed"
            assert w.delivered()[late + BEN] == 0
        assert w.delivered()[f"before-5|DE2.2|2026-27 H1|{CHRIS}"] == 1
        assert w.delivered()[f"before-5|SE1.2|2026-27 Q2|{SAM}"] == 1
        assert report.dropped == 3
        assert set(w.delivered().values()) == {1}


# -- several processes -------------------------------------------------------------------------


class Overtaken:
    """The real sender in a process so slow that, while it is sending its second message,
    another process finds the rest of its batch stale (claimed over five minutes ago)."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.sent = 0
        self.other: TickReport | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self.w.sender, name)

    def post(self, email: str, message: Message, key: str) -> Ref:
        answer = self.w.sender.post(email, message, key)
        self.sent += 1
        if self.sent == 2:
            self.w.clock.advance(minutes=6)
            self.other = self.w.tick(worker="other")
        return answer


def test_a_slow_fan_out_overtaken_by_another_process_sends_nothing_twice(database: str) -> None:
    with world(database, BUSY) as w:
        slow = Overtaken(w)
        w.tick(BUSY, sender=slow, worker="slow")
        assert slow.other is not None and slow.other.recovered == 1  # its second message
        assert set(w.delivered().values()) == {1}
        assert len(w.delivered()) == len(w.rows())
        assert w.statuses() == Counter({"sent": len(w.rows())})


def test_threads_ticking_at_once_on_separate_connections_deliver_each_reminder_once(
    database: str,
) -> None:
    with world(database, BUSY) as w:
        w.slack.set_latency(0.01)
        engines = [make_engine(database) for _ in range(3)]
        start = threading.Barrier(len(engines))
        reports: list[TickReport] = []
        errors: list[BaseException] = []

        def run(index: int) -> None:
            try:
                start.wait(timeout=10)
                reports.append(w.tick(engine=engines[index], worker=f"thread-{index}", batch=3))
            except BaseException as error:  # reported below, with the thread's traceback
                errors.append(error)

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(engines))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        for engine in engines:
            engine.dispose()
        assert not errors, errors
        total = len(w.rows())
        assert sum(r.sent for r in reports) == total
        assert sum(r.planned for r in reports) == total  # each row stored once
        assert set(w.delivered().values()) == {1} and len(w.delivered()) == total


@pytest.mark.postgres
def test_skip_locked_hands_concurrent_claims_different_rows(postgres_database: str) -> None:
    with world(postgres_database, BUSY) as w:
        planned = reminder_service_plan(w)
        with write_session(w.engine) as session:
            outbox_store.enqueue(session, planned, BUSY)
        other = make_engine(postgres_database)
        try:
            with write_session(w.engine) as first:
                mine = outbox_store.claim(first, now=BUSY, worker="first", limit=5)
                # While the first claim's transaction is open, its rows are locked: the second
                # process neither waits for them nor takes them.
                with write_session(other) as second:
                    theirs = outbox_store.claim(second, now=BUSY, worker="second", limit=500)
            assert len(mine) == 5
            assert len(theirs) == len(planned) - 5
            assert not {c.id for c in mine} & {c.id for c in theirs}
            with write_session(other) as third:
                assert outbox_store.claim(third, now=BUSY, worker="third") == []
        finally:
            other.dispose()


def reminder_service_plan(w: World) -> list[Any]:
    return situation_plan(w.engine, w.council, BUSY, LONDON).reminders


WORKER = """
import json, sys
from datetime import datetime
from zoneinfo import ZoneInfo
from bot import services
from bot.delivery import tick
from bot.settings import load_settings
from handlers.slack.app import build_app
from storage.engine import make_engine

url, api, when, worker = sys.argv[1:5]
now = datetime.fromisoformat(when)
engine = make_engine(url)
settings = load_settings(
    {"SLACK_BOT_TOKEN": "xoxb-test-token", "SLACK_SIGNING_SECRET": "secret",
     "SLACK_API_URL": api, "PMF_DATABASE_URL": url}
)
_, deps = build_app(settings, engine, clock=lambda: now, deliver=False)
sender = deps.transport
council = services.council_info(engine)
print("ready", flush=True)
sys.stdin.readline()
report = tick(engine, council, sender, now=now, zone=ZoneInfo("Europe/London"),
              worker=worker, batch=2)
print(json.dumps(report.__dict__), flush=True)
"""


@pytest.mark.postgres
def test_two_bot_processes_on_one_postgres_deliver_every_reminder_exactly_once(
    postgres_database: str,
) -> None:
    with world(postgres_database, BUSY) as w:
        w.slack.set_latency(0.02)
        environ = {k: v for k, v in os.environ.items() if not k.startswith(("PMF_", "SLACK_"))}
        processes = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    postgres_database,
                    w.slack.api_url,
                    BUSY.isoformat(),
                    name,
                ],
                cwd=ROOT,
                env=environ,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for name in ("process-a", "process-b")
        ]
        try:
            for process in processes:
                assert process.stdout is not None
                line = process.stdout.readline()
                assert line.strip() == "ready", (line, process.stderr and process.stderr.read())
            for process in processes:  # both go at once
                assert process.stdin is not None
                process.stdin.write("go\n")
                process.stdin.flush()
            outputs = [process.communicate(timeout=90) for process in processes]
        finally:
            for process in processes:
                if process.poll() is None:
                    process.kill()
        assert [p.returncode for p in processes] == [0, 0], [err for _, err in outputs]
        reports = [json.loads(out.strip().splitlines()[-1]) for out, _ in outputs]
        total = len(w.rows())
        assert total >= 15
        assert sum(r["sent"] for r in reports) == total
        assert sum(r["planned"] for r in reports) == total
        assert set(w.delivered().values()) == {1} and len(w.delivered()) == total
        assert w.statuses() == Counter({"sent": total})
        workers = Counter(row.claimed_by for row in w.rows().values())
        assert sum(workers.values()) == total
        assert set(workers) == {"process-a", "process-b"}, "both processes took a share"


def test_ticking_twice_at_the_same_moment_sends_nothing_more(sqlite_database: str) -> None:
    with world(sqlite_database, BUSY) as w:
        first = w.tick(BUSY)
        assert first.planned == first.sent == len(w.rows()) >= 8
        again = w.tick(BUSY)
        assert again == TickReport()
        later = w.tick(BUSY + timedelta(hours=3))
        assert later == TickReport()
        with write_session(w.engine) as session:
            assert outbox_store.enqueue(session, reminder_service_plan(w), BUSY) == 0
        assert set(w.delivered().values()) == {1}


def test_a_recipient_unknown_to_slack_stays_queued_and_is_reported(sqlite_database: str) -> None:
    with world(sqlite_database, BUSY) as w:

        class Refusing:
            surface = "slack"

            def reaches(self, email: str) -> bool:
                return True

            def find(self, email: str, key: str) -> Ref | None:
                return None

            def post(self, email: str, message: Message, key: str) -> Ref:
                raise DeliveryError(f"{email} is not found in Slack")

        report = w.tick(BUSY, sender=Refusing())  # type: ignore[arg-type]
        assert report.retried == len(w.rows())
        with read_session(w.engine) as session:
            listed = outbox_store.undelivered(session, BUSY)
        assert len(listed) == len(w.rows())
        assert all("is not found in Slack" in failing.error for failing in listed)
