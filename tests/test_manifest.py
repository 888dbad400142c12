"""manifest.yaml declares exactly what the app uses: its command, events and bot scopes."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from handlers.slack import ids

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = yaml.safe_load((ROOT / "manifest.yaml").read_text(encoding="utf-8"))

# The scopes each Web API method needs as the bot uses it (https://api.slack.com/methods);
# views.* need none. History and replies are read in direct messages (did a reminder arrive?)
# and in the summary channels, public or private (did a summary post arrive?).
HISTORY = frozenset({"im:history", "channels:history", "groups:history"})
METHOD_SCOPES: dict[str, frozenset[str]] = {
    "chat_postMessage": frozenset({"chat:write"}),
    "chat_update": frozenset({"chat:write"}),
    "conversations_open": frozenset({"im:write"}),
    "conversations_history": HISTORY,
    "conversations_replies": HISTORY,
    "users_info": frozenset({"users:read"}),
    "users_lookupByEmail": frozenset({"users:read.email"}),
    "views_open": frozenset(),
    "files_upload_v2": frozenset({"files:write"}),
    "views_publish": frozenset(),
}


def _methods_called() -> set[str]:
    """Web API methods called in the adapter: `client.method(` or `self._call("method"`."""
    found: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        source = path.read_text(encoding="utf-8")
        found |= set(re.findall(r"client\.([A-Za-z_0-9]+)\(", source))
        found |= set(re.findall(r'_call\(\s*"([A-Za-z_0-9]+)"', source))
    return found


def test_every_web_api_method_the_handlers_call_is_known_here() -> None:
    assert _methods_called() <= set(METHOD_SCOPES), _methods_called() - set(METHOD_SCOPES)


def test_bot_scopes_are_exactly_those_the_calls_need() -> None:
    # chat:write.public lets summaries go to public channels the bot has not been invited to.
    needed = set().union(*(METHOD_SCOPES[m] for m in _methods_called())) | {
        "commands",
        "chat:write.public",
    }
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == needed


def test_the_slash_command_interactivity_and_home_tab_are_declared() -> None:
    commands = MANIFEST["features"]["slash_commands"]
    assert [c["command"] for c in commands] == [ids.COMMAND]
    assert commands[0]["url"].endswith("/slack/events")
    settings = MANIFEST["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["interactivity"]["request_url"].endswith("/slack/events")
    assert settings["event_subscriptions"]["request_url"].endswith("/slack/events")
    assert MANIFEST["features"]["app_home"]["home_tab_enabled"] is True


def test_subscribed_events_are_those_with_listeners() -> None:
    listened: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        listened |= set(
            re.findall(r'@app\.event\("([a-z_.]+)"\)', path.read_text(encoding="utf-8"))
        )
    # The `message` listener answers direct messages only, which is the message.im event.
    subscribed = {
        "message" if e == "message.im" else e
        for e in MANIFEST["settings"]["event_subscriptions"]["bot_events"]
    }
    assert subscribed == listened


def test_mentions_arrive_escaped_for_away_cover() -> None:
    assert MANIFEST["features"]["slash_commands"][0]["should_escape"] is True
