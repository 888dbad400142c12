"""The Bot Connector calls through the Teams SDK's client (handlers/teams/connector.py), and what
their failures mean to the outbox (`DeliveryError`), against the stand-in for Microsoft's side:

- a 429 carries its Retry-After (and a patient call waits a short one out, then succeeds);
- a 5xx or a timeout may have delivered all the same (`uncertain`); a refused connection
  reached nobody;
- a 404 saying the conversation or member is not found means Teams cannot reach the person;
- a 401 makes the bot fetch a new token; a token endpoint that refuses the bot is "no bot
  token", and nothing is sent;
- what is sent is the renderer's activity as it was, with the bot's own token.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from bot.delivery import NOT_REACHABLE, DeliveryError
from bot.settings import load_settings
from handlers.teams import sdk
from handlers.teams.app import TeamsDeps, build
from sandbox.teams_api import TeamsStandIn
from storage.engine import make_engine
from storage.migrate import upgrade

CHAT = "a:personal-someone"
CARD = {
    "type": "message",
    "summary": "SE1.1 is due",
    "attachments": [
        {
            "contentType": "application/vnd.microsoft.card.adaptive",
            "content": {
                "type": "AdaptiveCard",
                "version": "1.5",
                "body": [{"type": "TextBlock", "text": "SE1.1 is due", "wrap": True}],
                "actions": [{"type": "Action.Execute", "verb": "submit", "data": {"v": "1"}}],
            },
        }
    ],
}


@contextmanager
def connected(url: str, **settings: str) -> Iterator[tuple[TeamsStandIn, TeamsDeps]]:
    engine = make_engine(url)
    upgrade(engine)
    with TeamsStandIn() as teams:
        found = load_settings({**teams.settings(), "PMF_DATABASE_URL": url, **settings})
        deps = build(found, engine, deliver=False)
        try:
            yield teams, deps
        finally:
            deps.close()
            engine.dispose()


def test_what_is_sent_is_the_activity_as_rendered_with_the_bots_token(sqlite_url: str) -> None:
    with connected(sqlite_url) as (teams, deps):
        sent = deps.connector.send(teams.service_url, CHAT, CARD)
        [call] = teams.calls
        assert (
            call.method == "POST" and call.path == f"/connector/v3/conversations/{CHAT}/activities"
        )
        assert call.body == CARD
        assert (call.authorization or "").startswith("Bearer bot-")  # the stand-in's token
        deps.connector.update(teams.service_url, CHAT, sent, CARD)
        assert teams.calls[-1].method == "PUT"
        assert teams.calls[-1].body == {**CARD, "id": sent}
        assert teams.token_requests == 1  # kept, not fetched per call


def test_a_rate_limit_carries_its_retry_after(sqlite_url: str) -> None:
    with connected(sqlite_url) as (teams, deps):
        teams.fail_next(429, retry_after=7)
        with pytest.raises(DeliveryError) as refused:
            deps.connector.send(teams.service_url, CHAT, CARD)
        assert refused.value.retry_after == 7.0
        assert not refused.value.uncertain
        teams.fail_next(429, retry_after=1)
        assert deps.connector.send(teams.service_url, CHAT, CARD, patient=True)
        assert len(teams.sent_to(CHAT)) == 1  # the second try went through


def test_a_server_error_may_have_delivered(sqlite_url: str) -> None:
    with connected(sqlite_url) as (teams, deps):
        teams.fail_next(502)
        with pytest.raises(DeliveryError) as failed:
            deps.connector.send(teams.service_url, CHAT, CARD)
        assert failed.value.uncertain
        assert "502" in str(failed.value)


def test_a_refused_connection_reached_nobody(sqlite_url: str) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with connected(sqlite_url) as (_teams, deps):
        with pytest.raises(DeliveryError) as failed:
            deps.connector.send(f"http://127.0.0.1:{port}/connector/", CHAT, CARD)
        assert not failed.value.uncertain
        assert failed.value.retry_after is None


def test_a_timeout_may_have_delivered(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sdk, "TIMEOUT", 0.5)  # the SDK client's timeout, set when it is built
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    accepted: list[socket.socket] = []
    threading.Thread(target=lambda: accepted.append(silent.accept()[0]), daemon=True).start()
    try:
        with connected(sqlite_url) as (_teams, deps):
            with pytest.raises(DeliveryError) as failed:
                url = f"http://127.0.0.1:{silent.getsockname()[1]}/connector/"
                deps.connector.send(url, CHAT, CARD)
            assert failed.value.uncertain
            assert "Timeout" in str(failed.value)
    finally:
        for each in accepted:
            each.close()
        silent.close()


def test_someone_teams_cannot_find_is_not_reachable(sqlite_url: str) -> None:
    with connected(sqlite_url) as (teams, deps):
        with pytest.raises(DeliveryError) as no_chat:
            deps.connector.create_personal(
                teams.service_url, bot_id="28:x", user_id="29:nobody", tenant_id=teams.tenant_id
            )
        assert NOT_REACHABLE in str(no_chat.value)
        assert "ConversationNotFound" in str(no_chat.value)
        with pytest.raises(DeliveryError) as no_member:
            deps.connector.member(teams.service_url, CHAT, "29:nobody")
        assert NOT_REACHABLE in str(no_member.value)


def test_a_member_lookup_gives_the_e_mail(sqlite_url: str) -> None:
    with connected(sqlite_url) as (teams, deps):
        jane = teams.add_user("jane.doe@example.gov.uk", "Jane Doe")
        found = deps.connector.member(teams.service_url, CHAT, jane.id)
        assert found["email"] == "jane.doe@example.gov.uk"
        assert found["userPrincipalName"] == "jane.doe@example.gov.uk"
        assert found["name"] == "Jane Doe"


def test_a_401_fetches_a_new_token(sqlite_url: str) -> None:
    with connected(sqlite_url) as (teams, deps):
        deps.connector.send(teams.service_url, CHAT, CARD)
        teams.fail_next(401)
        with pytest.raises(DeliveryError):
            deps.connector.send(teams.service_url, CHAT, CARD)
        deps.connector.send(teams.service_url, CHAT, CARD)
        assert teams.token_requests == 2


def test_a_refused_token_is_no_bot_token_and_nothing_is_sent(sqlite_url: str) -> None:
    with connected(sqlite_url, TEAMS_APP_PASSWORD="not-the-password") as (teams, deps):
        with pytest.raises(DeliveryError) as failed:
            deps.connector.send(teams.service_url, CHAT, CARD)
        assert "no bot token" in str(failed.value)
        assert not failed.value.uncertain
        assert teams.calls == []
