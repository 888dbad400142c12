"""The whole bot over HTTP: the real Bolt app served by waitress on a free port, a real
database, and the Slack Web API stand-in that records everything the bot sends.

Requests reach the app signed exactly as Slack signs them (`SlackClientSimulator`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from sqlalchemy import Engine

from bot import services
from bot.settings import load_settings
from handlers.slack.app import build_app, http_server, stop_http
from handlers.slack.context import Deps
from sandbox.slack_api import SlackStandIn
from sandbox.slack_client import SlackClientSimulator
from storage.engine import make_engine
from storage.migrate import upgrade

LONDON = ZoneInfo("Europe/London")
SECRET = "test-signing-secret"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
ADMIN = "policy.officer@example.gov.uk"  # the example register's admin, who imports history


@dataclass
class Clock:
    """The app's clock, moved by tests."""

    now: datetime = field(default_factory=lambda: datetime(2026, 10, 8, 10, 0, tzinfo=LONDON))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class Bot:
    engine: Engine
    slack: SlackStandIn
    user: SlackClientSimulator  # sends signed requests as any user
    deps: Deps
    clock: Clock
    url: str
    people: dict[str, str]  # e-mail → Slack user id

    def uid(self, email: str) -> str:
        return self.people[email]

    def command(self, email: str, text: str) -> Any:
        return self.user.command(self.uid(email), text)

    def dms(self, email: str) -> list[dict[str, Any]]:
        return self.slack.messages(self.slack.dm_channel(self.uid(email)))


def register_people() -> dict[str, str]:
    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    return {person["email"]: person["name"] for person in data["people"]}


@contextmanager
def running_bot(
    database_url: str,
    *,
    actuals: bool = True,
    threads: int = 8,
    register: Path = EXAMPLES / "register.yaml",
) -> Iterator[Bot]:
    engine = make_engine(database_url)
    upgrade(engine)
    clock = Clock()
    services.import_register(engine, register, actor="setup", now=clock())
    if actuals:
        services.import_actuals(
            engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=clock(), today=clock().date()
        )
    with SlackStandIn() as slack:
        people = {email: slack.add_user(email, name) for email, name in register_people().items()}
        settings = load_settings(
            {
                "SLACK_BOT_TOKEN": "xoxb-test-token",
                "SLACK_SIGNING_SECRET": SECRET,
                "SLACK_API_URL": slack.api_url,
                "PMF_DATABASE_URL": database_url,
            }
        )
        app, deps = build_app(settings, engine, clock=clock)
        server = http_server(
            app, SECRET, host="127.0.0.1", port=0, threads=threads, asyncore_loop_timeout=0.1
        )
        port = server.effective_port
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{port}/slack/events"
        try:
            yield Bot(
                engine,
                slack,
                SlackClientSimulator(url, SECRET, stand_in=slack),
                deps,
                clock,
                url,
                people,
            )
        finally:
            stop_http(server, thread)
            deps.close()
            engine.dispose()


@contextmanager
def replica(bot: Bot, *, threads: int = 8) -> Iterator[Bot]:
    """A second `pmf-bot run` behind the same load balancer: its own process state (engine,
    app, deliverer, HTTP server) on the same database, the same Slack and the same clock."""
    engine = make_engine(str(bot.engine.url.render_as_string(hide_password=False)))
    settings = load_settings(
        {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": bot.slack.api_url,
            "PMF_DATABASE_URL": str(engine.url),
        }
    )
    app, deps = build_app(settings, engine, clock=bot.clock)
    server = http_server(
        app, SECRET, host="127.0.0.1", port=0, threads=threads, asyncore_loop_timeout=0.1
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.effective_port}/slack/events"
    try:
        yield Bot(
            engine,
            bot.slack,
            SlackClientSimulator(url, SECRET, stand_in=bot.slack),
            deps,
            bot.clock,
            url,
            bot.people,
        )
    finally:
        stop_http(server, thread)
        deps.close()
        engine.dispose()
