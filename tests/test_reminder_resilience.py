"""A tick always finishes, and one bad reminder never holds up the others."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlmodel import select

from bot import services
from bot.chat.model import Message
from bot.delivery import MAX_WAITS_PER_REMINDER, DeliveryError, tick
from bot.outbox import Ref
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import OutboxItem as Reminder
from tests.conftest import ADMIN, EXAMPLES

LONDON = ZoneInfo("Europe/London")
MONDAY = datetime(2026, 7, 6, 9, 5, tzinfo=LONDON)  # 15 collector reminders fall due


class Sender:
    surface = "slack"

    def __init__(self, broken: str, throttled: str) -> None:
        self.broken, self.throttled = broken, throttled
        self.sent: list[str] = []
        self.throttled_calls = 0

    def reaches(self, email: str) -> bool:
        return True

    def find(self, email: str, key: str) -> Ref | None:
        return None

    def post(self, email: str, message: Message, key: str) -> Ref:
        if key.startswith(self.broken):
            raise ValueError("a bug while building the message")
        if key.startswith(self.throttled):
            self.throttled_calls += 1
            raise DeliveryError("rate limited", retry_after=1)
        self.sent.append(key)
        return Ref("slack", "D1", f"{len(self.sent)}.0")


def _loaded(url: str) -> Engine:
    engine = make_engine(url)
    upgrade(engine)
    services.import_register(engine, EXAMPLES / "register.yaml", actor="t", now=MONDAY)
    services.import_actuals(
        engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=MONDAY, today=MONDAY.date()
    )
    return engine


def test_a_bug_and_an_endless_rate_limit_do_not_stop_the_rest(sqlite_url: str) -> None:
    engine = _loaded(sqlite_url)
    sender = Sender(broken="before-5|DE1.1|", throttled="before-5|DE1.2|")
    sleeps: list[float] = []
    report = tick(
        engine,
        services.council_info(engine),
        sender,  # type: ignore[arg-type]
        now=MONDAY,
        zone=LONDON,
        worker="w",
        sleep=sleeps.append,
    )
    # 15 reminders, 8 overdue nudges for months still owed, and 2 for the example's projects
    assert report.planned == 25
    assert report.sent == 23 and report.retried == 2
    assert sender.throttled_calls == MAX_WAITS_PER_REMINDER + 1
    assert sum(sleeps) == MAX_WAITS_PER_REMINDER  # Retry-After honoured, but not forever
    with read_session(engine) as session:
        rows = {
            row.key.split("|")[1]: row
            for row in session.exec(select(Reminder))
            if row.key.startswith("before-5|")
        }
    assert rows["DE1.1"].status == "pending" and "ValueError" in (rows["DE1.1"].last_error or "")
    assert rows["DE1.2"].status == "pending" and rows["DE1.2"].next_attempt_at is not None
    engine.dispose()
