"""Inbound requests to /api/messages: only the Bot Connector, with a valid token, gets in.

Tokens are real JWTs signed with the key the stand-in publishes at its jwks_uri; each way a
token can be wrong is a 401 and the bot does nothing (no reply, no conversation stored)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import select

from sandbox.teams_api import new_key
from storage.engine import read_session
from storage.models import TeamsConversation
from tests.teams_harness import TeamsBot, running_teams_bot

JANE = "jane.doe@example.gov.uk"


@pytest.fixture
def teams(sqlite_url: str) -> Iterator[TeamsBot]:
    with running_teams_bot(sqlite_url, actuals=False, deliver=False) as bot:
        yield bot


def _nothing_done(bot: TeamsBot) -> None:
    assert bot.chat(JANE) == []
    with read_session(bot.engine) as session:
        assert session.exec(select(TeamsConversation)).all() == []


def test_a_signed_message_is_answered(teams: TeamsBot) -> None:
    answer = teams.client.say(teams.people[JANE], "help")
    assert answer.status_code == 200
    assert len(teams.chat(JANE)) == 1


@pytest.mark.parametrize(
    "wrong",
    ["none", "audience", "issuer", "unknown key", "expired", "serviceurl", "garbage", "HS256"],
)
def test_a_bad_token_is_refused_and_nothing_is_done(teams: TeamsBot, wrong: str) -> None:
    stand_in = teams.teams
    token = {
        "none": "",
        "audience": stand_in.token_for(audience="someone-else"),
        "issuer": stand_in.token_for(issuer="https://sts.windows.net/evil/"),
        "unknown key": stand_in.token_for(key=new_key(), kid="not-published"),
        "expired": stand_in.token_for(expires_in=-3600),
        "serviceurl": stand_in.token_for(service_url="https://evil.example/"),
        "garbage": "not.a.token",
        "HS256": __import__("jwt").encode(
            {"aud": stand_in.app_id, "iss": "https://api.botframework.com", "exp": 2**31},
            "a-shared-secret-that-is-long-enough-for-hs256",
            algorithm="HS256",
        ),
    }[wrong]
    activity = teams.client.activity(teams.people[JANE], "message", text="help")
    answer = teams.client.http.post(
        teams.url, json=activity, headers={"Authorization": f"Bearer {token}"} if token else {}
    )
    assert answer.status_code == 401
    _nothing_done(teams)


def test_a_key_signed_by_another_party_under_the_published_kid_is_refused(
    teams: TeamsBot,
) -> None:
    forged = teams.teams.token_for(key=new_key())  # the published kid, the wrong key
    activity = teams.client.activity(teams.people[JANE], "message", text="help")
    answer = teams.client.post(activity, token=forged)
    assert answer.status_code == 401
    _nothing_done(teams)


def test_a_body_over_one_mebibyte_is_refused(teams: TeamsBot) -> None:
    activity = teams.client.activity(teams.people[JANE], "message", text="x" * (1024 * 1024))
    assert teams.client.post(activity).status_code == 413
    _nothing_done(teams)


@pytest.mark.parametrize(
    ("change", "located"),
    [
        ({"type": None}, "type"),
        ({"type": "no-such-activity"}, "no-such-activity"),
        ({"from": "jane"}, "from"),
    ],
)
def test_an_activity_the_sdk_cannot_read_is_a_located_400_and_nothing_is_done(
    teams: TeamsBot, change: dict[str, object], located: str
) -> None:
    activity = teams.client.activity(teams.people[JANE], "message", text="help")
    activity.update(change)
    answer = teams.client.post(activity)
    assert answer.status_code == 400
    assert located in answer.json()["error"]
    _nothing_done(teams)


def test_only_post_to_api_messages(teams: TeamsBot) -> None:
    assert teams.client.http.get(teams.url).status_code == 405
    assert teams.client.http.post(teams.url.replace("/api/messages", "/x")).status_code == 404


def test_local_mode_needs_no_token_but_only_loopback(sqlite_url: str) -> None:
    from bot.settings import load_settings
    from handlers.teams.app import NotConfigured, build, http_server

    with running_teams_bot(sqlite_url, actuals=False, local=True, deliver=False) as bot:
        assert bot.client.say(bot.people[JANE], "help").status_code == 200
        assert len(bot.chat(JANE)) == 1
        elsewhere = bot.client.activity(
            bot.people[JANE], "message", text="help", serviceUrl="https://evil.example/"
        )
        assert bot.client.post(elsewhere).status_code == 401
        settings = load_settings({"TEAMS_APP_ID": bot.teams.app_id})
        deps = build(settings, bot.engine, local=True, deliver=False)
        with pytest.raises(NotConfigured, match=r"127\.0\.0\.1"):
            http_server(deps, host="0.0.0.0", port=0)
