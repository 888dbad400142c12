"""The whole bot over HTTP as Teams reaches it: the Teams surface served by waitress on a free
port, a real database, and the stand-in for Microsoft's side (keys, token endpoint, Bot
Connector) that signs what it sends and records what the bot sends back."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from bot import services
from bot.settings import load_settings
from handlers.slack.app import stop_http
from handlers.teams.app import TeamsDeps, build, http_server
from sandbox.teams_api import TeamsStandIn, TeamsUser
from sandbox.teams_client import TeamsClientSimulator
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.slack_harness import ADMIN, EXAMPLES, Clock, register_people


@dataclass
class TeamsBot:
    engine: Engine
    teams: TeamsStandIn
    client: TeamsClientSimulator
    deps: TeamsDeps
    clock: Clock
    url: str
    people: dict[str, TeamsUser]  # e-mail → Teams user

    def say(self, email: str, words: str) -> Any:
        answer = self.client.say(self.people[email], words)
        assert answer.status_code == 200, answer.text
        return answer

    def chat(self, email: str) -> list[dict[str, Any]]:
        return self.teams.sent_to(self.teams.personal_conversation(self.people[email]))

    def cards(self, email: str) -> list[dict[str, Any]]:
        return self.teams.cards_in(self.teams.personal_conversation(self.people[email]))

    def settle(self, timeout: float = 30.0) -> None:
        import time

        deliverer = self.deps.deliverer
        end = time.monotonic() + timeout
        while deliverer is not None and time.monotonic() < end:
            deliverer.wake()
            time.sleep(0.1)
            if deliverer.idle():
                return


@contextmanager
def running_teams_bot(
    database_url: str, *, actuals: bool = True, local: bool = False, deliver: bool = True
) -> Iterator[TeamsBot]:
    engine = make_engine(database_url)
    upgrade(engine)
    clock = Clock()
    services.import_register(engine, EXAMPLES / "register.yaml", actor="setup", now=clock())
    if actuals:
        services.import_actuals(
            engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=clock(), today=clock().date()
        )
    with TeamsStandIn(require_token=not local) as teams:
        people = {email: teams.add_user(email, name) for email, name in register_people().items()}
        settings = load_settings(
            {**teams.settings(), "PMF_DATABASE_URL": database_url}
            if not local
            else {"TEAMS_APP_ID": teams.app_id, "PMF_DATABASE_URL": database_url}
        )
        deps = build(settings, engine, clock=clock, local=local, deliver=deliver)
        server = http_server(deps, host="127.0.0.1", port=0, asyncore_loop_timeout=0.1)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{server.effective_port}/api/messages"
        try:
            yield TeamsBot(
                engine,
                teams,
                TeamsClientSimulator(url, teams, signed=not local),
                deps,
                clock,
                url,
                people,
            )
        finally:
            stop_http(server, thread)
            deps.close()


def path_of(name: str) -> Path:
    return EXAMPLES / name
