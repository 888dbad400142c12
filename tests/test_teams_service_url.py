"""A conversation's serviceUrl moves (issue 12, PRODUCT §10), on SQLite and PostgreSQL.

Bot Framework may give a conversation a new `serviceUrl` at any activity (Teams moves chats
between regions); a bot must then write to it at the serviceUrl of the latest activity it
received for that conversation. Here a person installs the app at service URL A and later
writes, or clicks, from B (the stand-in serves the same Bot Connector at both; each signed
token names the activity's own serviceUrl): the reply, the card update (`updateActivity`) for
a card posted through A, the next review card and a reminder all go to B, and only B — also
when the activity that shows the move reaches another replica of the bot.

And a forged `serviceUrl` — an activity naming a host of an attacker's — never makes the bot
call that host, so its bearer token cannot leak: the token's signed `serviceurl` claim must be
the activity's `serviceUrl`, or the request is a 401 and nothing is stored or sent.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlmodel import select

from bot import services
from bot.delivery import tick
from handlers.slack.app import stop_http
from handlers.teams.app import http_server
from sandbox.teams_api import Call, new_key
from sandbox.teams_client import TeamsClientSimulator
from storage.engine import read_session
from storage.models import TeamsConversation
from tests.teams_harness import TeamsBot, running_teams_bot
from tests.test_teams_e2e import (
    CARD,
    HOS,
    JANE,
    LONDON,
    Q2,
    actions,
    card_of,
    click,
    installed,
    last_card,
    review_activity,
    reviews,
    second_worker,
    submissions,
    submit,
    verbs,
    words,
)

REMINDER_DAY = datetime.combine(datetime(2026, 10, 7).date(), time(9, 5), tzinfo=LONDON)


def stored_service_url(bot: TeamsBot, email: str) -> str:
    conversation = bot.teams.personal_conversation(bot.people[email])
    with read_session(bot.engine) as session:
        [row] = session.exec(
            select(TeamsConversation).where(TeamsConversation.conversation_id == conversation)
        )
        return row.service_url


def calls_for(bot: TeamsBot, email: str, since: int = 0) -> list[Call]:
    """The Bot Connector calls about `email`'s personal chat, from call number `since` on."""
    conversation = bot.teams.personal_conversation(bot.people[email])
    return [c for c in bot.teams.calls[since:] if f"/conversations/{conversation}/" in c.path]


def services_of(calls: list[Call]) -> set[str]:
    return {c.service_url for c in calls}


def remind(bot: TeamsBot, deps: Any) -> None:
    """One delivery round on the day SE1.1's reminder is due (Jane collects it)."""
    bot.clock.now = REMINDER_DAY
    council = services.council_info(bot.engine)
    tick(
        deps.engine,
        council,
        deps.transport,
        now=REMINDER_DAY,
        zone=LONDON,
        worker="remind",
        sleep=lambda seconds: None,
    )
    bot.settle()


def reminders_to(bot: TeamsBot, email: str, since: int = 0) -> list[Call]:
    """The reminders for SE1.1 sent to `email`'s chat (Jane has others besides)."""
    return [
        c
        for c in calls_for(bot, email, since)
        if c.method == "POST"
        and str((c.body or {}).get("summary") or "").startswith("Reminder: SE1.1")
    ]


def test_replies_card_updates_and_review_cards_follow_the_latest_service_url(
    db_url: str,
) -> None:
    with installed(db_url) as bot:
        a, b = bot.teams.service_url, bot.teams.service_url_at("moved")
        bot.say(JANE, "submit SE1.1")
        submit(bot, JANE, last_card(bot, JANE), "36.5")
        [first] = submissions(bot, "SE1.1")
        posted = review_activity(bot, HOS)  # the review card, posted through A
        assert services_of(calls_for(bot, HOS)) == {a}

        # Helen's chat moves to B: her next message comes from there.
        moved = len(bot.teams.calls)
        bot.client.move(bot.people[HOS], b)
        bot.say(HOS, "due")
        assert "SE1.1" in words(last_card(bot, HOS))
        assert stored_service_url(bot, HOS) == b

        # She rejects the card that came through A: the invoke's answer is the card, and her
        # copy of it is rewritten (updateActivity) at B; Jane, who has not moved, is told at A.
        reason_form = click(bot, HOS, verbs(card_of(posted))["reject"])["value"]
        [send] = [x for x in actions(reason_form) if x["type"] == "Action.Execute"]
        why = "The figure leaves out the fleet; please add it."
        decided = bot.client.execute(bot.people[HOS], send["verb"], {**send["data"], "reason": why})
        assert decided.status_code == 200 and decided.json()["type"] == CARD
        bot.settle()
        assert reviews(bot) == [(first.id, "rejected")]
        [update] = [c for c in calls_for(bot, HOS, moved) if c.method == "PUT"]
        assert update.path.endswith(f"/activities/{posted['id']}")
        assert "Rejected by Helen Carter" in words(update.body["attachments"][0]["content"])
        assert why in words(last_card(bot, JANE))
        assert services_of(calls_for(bot, JANE, moved)) == {a}

        # Jane sends a corrected figure: the new review card reaches Helen at B.
        resubmitted = len(bot.teams.calls)
        submit(bot, JANE, last_card(bot, JANE), "37.0")
        second = card_of(review_activity(bot, HOS))
        assert f"{Q2} · version 2" in words(second)
        to_helen = calls_for(bot, HOS, resubmitted)
        assert [c.method for c in to_helen] == ["POST"]
        # Since the move, nothing about Helen's chat went to A — not one call.
        assert services_of(calls_for(bot, HOS, moved)) == {b}
        assert all(c.authorization and c.authorization.startswith("Bearer ") for c in to_helen)


def test_a_click_is_enough_to_move_the_conversation(db_url: str) -> None:
    """The first activity from B is the Approve click itself: the card it came from, posted
    through A, is rewritten at B, and later sends go there too."""
    with installed(db_url) as bot:
        a, b = bot.teams.service_url, bot.teams.service_url_at("moved")
        bot.say(JANE, "submit SE1.1")
        submit(bot, JANE, last_card(bot, JANE), "36.5")
        [saved] = submissions(bot, "SE1.1")
        posted = review_activity(bot, HOS)
        assert services_of(calls_for(bot, HOS)) == {a}

        moved = len(bot.teams.calls)
        bot.client.move(bot.people[HOS], b)
        answer = click(bot, HOS, verbs(card_of(posted))["approve"])
        assert "Approved by Helen Carter" in words(answer["value"])
        bot.settle()
        assert reviews(bot) == [(saved.id, "approved")]
        assert stored_service_url(bot, HOS) == b
        [update] = calls_for(bot, HOS, moved)
        assert update.method == "PUT" and update.service_url == b
        assert update.path.endswith(f"/activities/{posted['id']}")


def test_a_reminder_goes_to_the_latest_service_url_only(db_url: str) -> None:
    with running_teams_bot(db_url) as bot:
        a, b = bot.teams.service_url, bot.teams.service_url_at("moved")
        assert bot.client.install(bot.people[JANE]).status_code == 200
        assert stored_service_url(bot, JANE) == a
        bot.client.move(bot.people[JANE], b)
        bot.say(JANE, "help")
        assert stored_service_url(bot, JANE) == b

        moved = len(bot.teams.calls)
        remind(bot, bot.deps)
        [reminder] = reminders_to(bot, JANE, moved)
        assert reminder.service_url == b
        assert services_of(bot.teams.calls[moved:]) == {b}  # her other reminders too


@contextmanager
def replica(bot: TeamsBot, db_url: str) -> Iterator[TeamsClientSimulator]:
    """A second `pmf-bot run` serving Teams on the same database (another process behind the
    load balancer), and a client that reaches it."""
    with second_worker(bot, db_url) as other:
        server = http_server(other, host="127.0.0.1", port=0, asyncore_loop_timeout=0.1)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        client = TeamsClientSimulator(
            f"http://127.0.0.1:{server.effective_port}/api/messages", bot.teams
        )
        try:
            yield client
        finally:
            stop_http(server, thread)


def test_a_move_seen_by_another_replica_and_back_again_is_followed(db_url: str) -> None:
    """A → B → A across two replicas: the first replica, which saw A before, still records
    the move back to A (what it remembers of a conversation is not trusted over the database)."""
    with running_teams_bot(db_url) as bot, replica(bot, db_url) as elsewhere:
        a, b = bot.teams.service_url, bot.teams.service_url_at("moved")
        jane = bot.people[JANE]
        assert bot.client.install(jane).status_code == 200  # replica 1 sees A
        elsewhere.move(jane, b)
        assert elsewhere.say(jane, "help").status_code == 200  # replica 2 sees B
        assert stored_service_url(bot, JANE) == b
        assert bot.client.say(jane, "help").status_code == 200  # replica 1 sees A again
        assert stored_service_url(bot, JANE) == a

        moved = len(bot.teams.calls)
        remind(bot, bot.deps)
        [reminder] = reminders_to(bot, JANE, moved)
        assert reminder.service_url == a


# -- a forged serviceUrl ------------------------------------------------------------------------


@contextmanager
def trap() -> Iterator[tuple[str, list[str]]]:
    """A host of an attacker's: answers anything with 200 and records every request (and its
    Authorization header)."""
    seen: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _any(self) -> None:
            seen.append(f"{self.command} {self.path} {self.headers.get('Authorization')}")
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "12")
            self.end_headers()
            self.wfile.write(b'{"id": "x1"}')

        do_GET = do_POST = do_PUT = _any

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/connector/", seen
    finally:
        server.shutdown()
        server.server_close()


def test_a_forged_service_url_never_gets_the_bots_token(db_url: str) -> None:
    with running_teams_bot(db_url) as bot, trap() as (evil, seen):
        stand_in, jane = bot.teams, bot.people[JANE]
        assert bot.client.install(jane).status_code == 200
        before = (len(stand_in.calls), len(bot.chat(JANE)))

        forged = bot.client.activity(jane, "message", text="due", serviceUrl=evil)
        attempts = {
            # a real token, whose signed claim names the real service URL
            "claim is the real service": stand_in.token_for(),
            # a token naming the forged host, signed with a key Bot Framework does not publish
            "unpublished key": stand_in.token_for(service_url=evil, key=new_key(), kid="evil"),
            # the published kid, another key
            "another key": stand_in.token_for(service_url=evil, key=new_key()),
            "no token": "",
        }
        for name, token in attempts.items():
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            answer = bot.client.http.post(bot.url, json=forged, headers=headers)
            assert answer.status_code == 401, name
        # Each kind of activity too: an install, a click, a dialog.
        for kind, extra in (
            ("installationUpdate", {"action": "add"}),
            ("conversationUpdate", {"membersAdded": [{"id": jane.id}]}),
            ("invoke", {"name": "adaptiveCard/action", "value": {"action": {"verb": "x"}}}),
            ("invoke", {"name": "task/fetch", "value": {"data": {}}}),
        ):
            activity = bot.client.activity(jane, kind, serviceUrl=evil, **extra)
            answer = bot.client.post(activity, token=stand_in.token_for())
            assert answer.status_code == 401, kind
        bot.settle()

        assert seen == []  # the forged host was never called, with or without the token
        assert stored_service_url(bot, JANE) == stand_in.service_url
        assert (len(stand_in.calls), len(bot.chat(JANE))) == before
        # Later sends still go to the real service only.
        remind(bot, bot.deps)
        assert reminders_to(bot, JANE, before[0])
        assert services_of(stand_in.calls) == {stand_in.service_url}
        assert seen == []
