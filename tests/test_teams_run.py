"""`pmf-bot run` for Microsoft Teams, as an officer starts it: the real command in a subprocess.

- `--teams-local` listens on loopback only, says loudly that it checks nobody, works without
  TEAMS_APP_ID, and answers an unauthenticated message (the reply goes to the stand-in playing
  Agents Playground's mock connector);
- `--teams-local --host 0.0.0.0` is refused before anything listens;
- with TEAMS_APP_ID and TEAMS_APP_PASSWORD it serves Teams with the sign-in checks on;
- with Slack's settings too, one process serves both;
- with neither Slack nor Teams configured it says what to set;
- when the Teams server or the Teams SDK's event loop stops, `run` stops and says which (and a
  request that reaches the server after the loop died is answered 503, not left hanging).
"""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import typer

from bot import services
from bot.settings import load_settings
from handlers import cli as cli_module
from sandbox.slack_api import SlackStandIn
from sandbox.slack_client import SlackClientSimulator
from sandbox.teams_api import TeamsStandIn
from sandbox.teams_client import TeamsClientSimulator
from storage.engine import make_engine
from storage.migrate import upgrade
from tests.conftest import Cli
from tests.processes import Running, started
from tests.slack_harness import EXAMPLES, register_people

JANE = "jane.doe@example.gov.uk"
SERVING = re.compile(r"serving Microsoft Teams at (http://\S+/api/messages)")


@contextmanager
def pmf_bot_run(cli: Cli, *args: str, env: dict[str, str] | None = None) -> Iterator[Running]:
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PMF_", "SLACK_", "TEAMS_"))
    }
    environ |= {"PMF_DATABASE_URL": cli.database_url, "PYTHONUNBUFFERED": "1"}
    environ |= env or {}
    with started([*cli.command, "run", *args], cwd=cli.cwd, env=environ, kind=Running) as running:
        yield running


def _ready_database(url: str) -> None:
    engine = make_engine(url)
    upgrade(engine)
    services.import_register(
        engine, EXAMPLES / "register.yaml", actor="setup", now=datetime.now(UTC)
    )
    engine.dispose()


def _answered(stand_in: TeamsStandIn, conversation: str, timeout: float = 30.0) -> list[str]:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        sent = stand_in.sent_to(conversation)
        if sent:
            return [str(activity) for activity in sent]
        time.sleep(0.05)
    return []


def test_teams_local_warns_listens_on_loopback_and_answers_without_a_token(
    sqlite_url: str, tmp_path: Path
) -> None:
    _ready_database(sqlite_url)
    cli = Cli(sqlite_url, tmp_path)
    with (
        TeamsStandIn(require_token=False) as playground,
        pmf_bot_run(cli, "--teams-local", "--teams-port", "0") as running,
    ):
        url = running.wait_for(SERVING).group(1)
        assert url.startswith("http://127.0.0.1:"), url
        assert ":3978/" not in url  # --teams-port 0: a free port, not the default
        assert "WITHOUT checking who sent them" in running.out
        assert "00000000-0000-0000-0000-000000000011" in running.out  # the app id it chose
        assert "(local try-out, no sign-in checks)" in running.out

        jane = playground.add_user(JANE, register_people()[JANE])
        client = TeamsClientSimulator(url, playground, signed=False)
        answer = client.say(jane, "status SE1")
        assert answer.status_code == 200, answer.text
        replies = _answered(playground, playground.personal_conversation(jane))
        assert replies, running.out
        assert "SE1" in replies[0]
        assert not any(call.authorization for call in playground.calls)  # no token was sent


def test_teams_local_refuses_any_other_host(sqlite_url: str, tmp_path: Path) -> None:
    cli = Cli(sqlite_url, tmp_path)
    for host in ("0.0.0.0", "192.0.2.10", "::"):
        result = cli("run", "--teams-local", "--host", host, "--teams-port", "0")
        assert result.code == 1, result.out
        assert f"refusing --host {host}" in result.err
        assert "127.0.0.1 only" in result.err
        assert "serving" not in result.out
        assert "Traceback" not in result.err


def test_teams_with_an_app_id_checks_every_request(sqlite_url: str, tmp_path: Path) -> None:
    _ready_database(sqlite_url)
    cli = Cli(sqlite_url, tmp_path)
    with (
        TeamsStandIn() as teams,
        pmf_bot_run(
            cli, "--host", "127.0.0.1", "--teams-port", "0", env=teams.settings()
        ) as running,
    ):
        url = running.wait_for(SERVING).group(1)
        assert "WITHOUT checking" not in running.out
        jane = teams.add_user(JANE, register_people()[JANE])
        unsigned = TeamsClientSimulator(url, teams, signed=False)
        assert unsigned.say(jane, "help").status_code == 401
        signed = TeamsClientSimulator(url, teams)
        assert signed.say(jane, "help").status_code == 200
        assert _answered(teams, teams.personal_conversation(jane))
        assert teams.token_requests >= 1  # the reply carried the bot's own token
        assert teams.app_password not in running.out  # the secret is never printed


def test_teams_without_its_password_is_a_plain_error(sqlite_url: str, tmp_path: Path) -> None:
    result = Cli(sqlite_url, tmp_path)(
        "run", env={"TEAMS_APP_ID": "00000000-0000-4000-8000-000000000001"}
    )
    assert result.code == 1
    assert "TEAMS_APP_PASSWORD is not set" in result.err
    assert "Traceback" not in result.err


def test_nothing_configured_says_what_to_set(sqlite_url: str, tmp_path: Path) -> None:
    result = Cli(sqlite_url, tmp_path)("run")
    assert result.code == 1
    assert "No chat surface is configured" in result.err
    assert "SLACK_BOT_TOKEN" in result.err and "TEAMS_APP_ID" in result.err
    assert "--teams-local" in result.err
    assert "Traceback" not in result.err


def test_slack_and_teams_are_served_by_one_process(sqlite_url: str, tmp_path: Path) -> None:
    _ready_database(sqlite_url)
    cli = Cli(sqlite_url, tmp_path)
    secret = "test-signing-secret"
    with SlackStandIn() as slack, TeamsStandIn() as teams:
        env = {
            **teams.settings(),
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": secret,
            "SLACK_API_URL": slack.api_url,
        }
        args = ("--host", "127.0.0.1", "--port", "0", "--teams-port", "0")
        with pmf_bot_run(cli, *args, env=env) as running:
            teams_url = running.wait_for(SERVING).group(1)
            slack_url = running.wait_for(re.compile(r"serving Slack at (http://\S+)")).group(1)
            assert ":3000/" not in slack_url and ":3978/" not in teams_url  # both on port 0
            jane_in_slack = slack.add_user(JANE, register_people()[JANE])
            answer = SlackClientSimulator(slack_url, secret, stand_in=slack).command(
                jane_in_slack, "help"
            )
            assert answer.status == 200, answer
            jane = teams.add_user(JANE, register_people()[JANE])
            assert TeamsClientSimulator(teams_url, teams).say(jane, "help").status_code == 200
            assert _answered(teams, teams.personal_conversation(jane))
            assert running.process.poll() is None


@pytest.mark.parametrize("dies", ["the Teams SDK's event loop", "the Microsoft Teams server"])
def test_run_stops_when_the_teams_server_or_the_sdk_loop_stops(
    dies: str, sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    _ready_database(sqlite_url)
    engine = make_engine(sqlite_url)
    settings = load_settings({"PMF_DATABASE_URL": sqlite_url})
    transports: list[object] = []
    vital: list[tuple[str, threading.Thread]] = []
    name, serve = cli_module._teams_surface(
        settings,
        engine,
        lambda: datetime.now(UTC),
        transports,
        True,  # --teams-local: no credentials needed
        "127.0.0.1",
        0,
        vital=vital,
    )
    server = serve.__self__  # type: ignore[attr-defined]
    sdk_loop = transports[0].connector.loop  # type: ignore[attr-defined]
    url = f"http://127.0.0.1:{server.effective_port}/api/messages"

    def close_server() -> None:
        with contextlib.suppress(OSError):  # already closed
            server.trigger.pull_trigger(lambda: [c.close() for c in list(server._map.values())])

    def kill() -> None:
        if dies == "the Microsoft Teams server":
            close_server()
            return
        sdk_loop.loop.call_soon_threadsafe(sdk_loop.loop.stop)
        sdk_loop.thread.join(5)
        with TeamsStandIn(require_token=False) as playground:  # the server is still up
            jane = playground.add_user(JANE, register_people()[JANE])
            answer = TeamsClientSimulator(url, playground, signed=False).say(jane, "help")
            assert answer.status_code == 503  # at once, not after a timeout

    killer = threading.Timer(0.5, kill)
    killer.start()
    started = time.monotonic()
    try:
        with pytest.raises(typer.Exit) as stopped:
            cli_module.serve_until_one_stops([(name, serve)], vital, poll=0.05)
    finally:
        killer.join(30)
        close_server()
        sdk_loop.stop()
        engine.dispose()
    assert stopped.value.exit_code == 1
    assert time.monotonic() - started >= 0.5  # it kept serving until then
    err = capsys.readouterr().err
    assert f"pmf-bot run is stopping: {dies} stopped unexpectedly" in err
    assert "Start pmf-bot run again" in err


def test_a_slack_only_run_does_not_load_the_teams_surface(sqlite_url: str, tmp_path: Path) -> None:
    """Microsoft's SDK and the Teams surface cost a process about 50 MB: a council on Slack
    alone does not carry them (issue 11's idle memory). Python's own import log says what
    the real `pmf-bot run` loaded."""
    _ready_database(sqlite_url)
    cli = Cli(sqlite_url, tmp_path)
    with SlackStandIn() as slack:
        env = {
            "SLACK_BOT_TOKEN": "xoxb-test-token",
            "SLACK_SIGNING_SECRET": "test-signing-secret",
            "SLACK_API_URL": slack.api_url,
            "PYTHONPROFILEIMPORTTIME": "1",
        }
        with pmf_bot_run(cli, "--host", "127.0.0.1", "--port", "0", env=env) as running:
            running.wait_for(re.compile(r"serving Slack at (http://\S+)"))
            imported = running.out
    loaded = set(re.findall(r"^import time:.*\|\s+([\w.]+)$", imported, re.MULTILINE))
    assert {"slack_bolt", "handlers.slack.app"} <= loaded  # the import log is there
    assert not {name for name in loaded if name.startswith("microsoft_teams")}
    assert "handlers.teams.app" not in loaded
