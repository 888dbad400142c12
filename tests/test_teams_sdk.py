"""The Teams SDK (`microsoft-teams-apps`) behind pmf-bot's own settings (issue 12).

The SDK loads a `.env` file from the working folder when it is imported, and reads CLIENT_ID,
CLIENT_SECRET, TENANT_ID, SERVICE_URL, CLOUD… when an App is built. pmf-bot's TEAMS_* settings
must decide all the same:
- in a fresh process whose working folder has a `.env` naming another bot (CLIENT_ID=evil…),
  importing the SDK adds nothing to the environment, and the App is the bot of TEAMS_APP_ID,
  with pmf-bot's token (no MSAL) and pmf-bot's login and metadata addresses;
- with the SDK's names set in the environment of a running bot, the bot's token is still
  fetched with TEAMS_APP_ID from TEAMS_LOGIN_URL, and the chats it opens are opened as
  28:TEAMS_APP_ID;
- no database work runs on the SDK's event loop: every handler's goes to a worker thread;
- `bot/` and `storage/` import neither Slack nor Teams packages.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from sqlalchemy import event

from bot.chat import intents
from tests.teams_harness import running_teams_bot
from tests.test_teams_e2e import actions

ROOT = Path(__file__).resolve().parent.parent
EVIL = {
    "CLIENT_ID": "evil",
    "CLIENT_SECRET": "evil-secret",
    "TENANT_ID": "evil-tenant",
    "SERVICE_URL": "http://evil.invalid/",
    "CLOUD": "USGov",
    "OAUTH_URL": "http://evil.invalid/oauth",
    "MANAGED_IDENTITY_CLIENT_ID": "system",
    "DANGEROUSLY_ALLOW_UNAUTHENTICATED_REQUESTS": "false",
}

PROBE = """
import json, os
before = dict(os.environ)
from handlers.teams import sdk
after_import = dict(os.environ)

class StubToken:  # auth.BotToken's two calls, without a token endpoint
    def kept(self):
        return None

    def get(self):
        return "pmf-token"

loop = sdk.Loop().start()
app = sdk.make_app(
    app_id="00000000-0000-4000-8000-000000000001",
    tenant_id="11111111-1111-4111-8111-111111111111",
    login_url="http://127.0.0.1:9/login",
    metadata_url="http://127.0.0.1:9/v1/.well-known/openidconfiguration",
    token=StubToken(),
    loop=loop,
    routes=sdk.WsgiRoutes(),
)
token = loop.run(app.token_provider.get_app_token())
print(json.dumps({
    "environment_changed": after_import != before or dict(os.environ) != before,
    "client_id_in_environment": os.environ.get("CLIENT_ID"),
    "app_id": app.id,
    "credentials": type(app.credentials).__name__,
    "tenant": app.credentials.tenant_id,
    "login": app.cloud.login_endpoint,
    "metadata": app.cloud.openid_metadata_url,
    "oauth_url": app.api._api_client_settings.oauth_url,
    "token": str(token),
}))
loop.stop()
"""


def test_a_dotenv_in_the_working_folder_does_not_change_who_the_bot_is(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in EVIL.items()))
    environ = {k: v for k, v in os.environ.items() if k not in EVIL}
    environ["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=tmp_path,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found == {
        "environment_changed": False,
        "client_id_in_environment": None,
        "app_id": "00000000-0000-4000-8000-000000000001",
        "credentials": "TokenCredentials",  # pmf-bot's token: not MSAL's ClientCredentials
        "tenant": "11111111-1111-4111-8111-111111111111",
        "login": "http://127.0.0.1:9/login",
        "metadata": "http://127.0.0.1:9/v1/.well-known/openidconfiguration",
        "oauth_url": "https://token.botframework.com",
        "token": "pmf-token",
    }


def test_the_sdks_names_in_the_environment_do_not_change_the_bot(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("CLIENT_ID=evil\nCLIENT_SECRET=evil-secret\n")
    monkeypatch.chdir(tmp_path)
    for name, value in EVIL.items():
        monkeypatch.setenv(name, value)
    with running_teams_bot(sqlite_url) as bot:
        assert bot.deps.app.id == bot.teams.app_id
        assert type(bot.deps.app.credentials).__name__ == "TokenCredentials"
        for name, value in EVIL.items():  # left as they were
            assert os.environ[name] == value
        jane = bot.people["jane.doe@example.gov.uk"]
        assert bot.client.install(jane).status_code == 200
        # the token came from the stand-in's endpoint (TEAMS_LOGIN_URL), which refuses any
        # client id but TEAMS_APP_ID; the replies reached the Bot Connector with it
        assert bot.teams.token_requests >= 1
        assert bot.chat("jane.doe@example.gov.uk"), "the welcome was not delivered"
        # a proactive chat is opened as the bot of TEAMS_APP_ID
        chris = bot.teams.add_user("someone.new@example.gov.uk", "Someone New")
        bot.deps.connector.create_personal(
            bot.teams.service_url,
            bot_id=bot.deps.transport.bot_id,
            user_id=chris.id,
            tenant_id=bot.teams.tenant_id,
        )
        opened = [c for c in bot.teams.calls if c.path == "/connector/v3/conversations"]
        assert opened[-1].body["bot"] == {"id": f"28:{bot.teams.app_id}"}


def test_no_database_work_runs_on_the_sdks_event_loop(sqlite_url: str) -> None:
    with running_teams_bot(sqlite_url, deliver=False) as bot:
        used: list[str] = []

        @event.listens_for(bot.engine, "before_cursor_execute")
        def record(*_: object) -> None:
            used.append(threading.current_thread().name)

        jane = bot.people["jane.doe@example.gov.uk"]
        assert bot.client.install(jane).status_code == 200  # installationUpdate, conversationUpdate
        team = "19:general-team@thread.tacv2"
        assert bot.client.add_to_team(jane, team=team, general=team).status_code == 200
        bot.say(jane.email, "submit SE1.1")  # a message
        [card] = bot.cards(jane.email)[-1:]
        [opener] = [a for a in actions(card) if a["type"] == "Action.Submit"]
        dialog = bot.client.click(jane, opener).json()  # task/fetch
        form = dialog["task"]["value"]["card"]["content"]
        assert bot.client.submit_dialog(jane, form, {}).status_code == 200  # task/submit
        clicked = bot.client.execute(jane, intents.APPROVE, {"pmf_value": "999999"})
        assert clicked.status_code == 200  # adaptiveCard/action
        assert used, "no database work was seen"
        assert "teams-sdk-loop" not in used
        assert any(name.startswith("teams-work") for name in used)  # the SDK's worker threads


@pytest.mark.parametrize("package", ["bot", "storage"])
def test_the_core_imports_no_chat_package(package: str) -> None:
    chat = ("slack_bolt", "slack_sdk", "microsoft_teams", "handlers")
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith(chat)]
    assert found == []
