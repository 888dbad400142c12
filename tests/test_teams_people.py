"""Teams accounts and register people (issue 9 item 3 on the Teams surface, issue 12), on
SQLite and PostgreSQL: a second Teams account whose member lookup gives the e-mail of someone
already linked to another Teams account is refused kindly — told in Teams' words to ask the PMF
admin, acting as nobody — audited, and reported to the admins once; an admin moves the person
with `pmf-bot people rebind EMAIL --teams-user 29:… --by ADMIN`, audited, and from the next
message the new account is theirs and the old one refused in its turn."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from storage.engine import read_session
from storage.models import AuditEvent, Measure, Person, Review, Submission
from tests.conftest import Cli
from tests.teams_harness import TeamsBot, running_teams_bot

JANE = "jane.doe@example.gov.uk"  # collects SE1.1
HOS = "hos.environment@example.gov.uk"  # Helen Carter, reviews SE1.1
POLICY = "policy.officer@example.gov.uk"  # the admin
ACTIVITY_MESSAGE = "application/vnd.microsoft.activity.message"


def shown(activity: dict[str, Any]) -> str:
    return json.dumps(activity["attachments"][0]["content"], ensure_ascii=False).replace("\\\\", "")


def last_said(bot: TeamsBot, conversation: str) -> str:
    sent = bot.teams.sent_to(conversation)
    assert sent, f"nothing said in {conversation}"
    return shown(sent[-1])


def teams_account(bot: TeamsBot, email: str) -> str | None:
    with read_session(bot.engine) as session:
        return session.exec(select(Person.teams_user_id).where(Person.email == email)).one()


def decisions(bot: TeamsBot) -> list[tuple[str, str | None]]:
    with read_session(bot.engine) as session:
        return [
            (str(decision), by)
            for decision, by in session.exec(
                select(Review.decision, Review.decided_by)
                .join(Submission, col(Submission.id) == col(Review.submission_id))
                .join(Measure)
                .where(Measure.ref == "SE1.1", Submission.period == "2026-27 Q2")
            )
        ]


def review_card(bot: TeamsBot, email: str) -> dict[str, Any]:
    for card in reversed(bot.cards(email)):
        for element in card.get("body", []):
            for action in element.get("actions", []) if isinstance(element, dict) else []:
                if action.get("verb") == "approve":
                    return action
    raise AssertionError(f"no review card for {email}")


def test_a_second_teams_account_is_refused_until_an_admin_rebinds(
    db_url: str, tmp_path: Path
) -> None:
    with running_teams_bot(db_url) as bot:
        client, stand_in = bot.client, bot.teams
        helen = bot.people[HOS]
        for email in (HOS, POLICY, JANE):
            assert client.install(bot.people[email]).status_code == 200
        assert teams_account(bot, HOS) == helen.id

        # A second account whose lookup gives her e-mail, in other letters.
        other = stand_in.add_user("Hos.Environment@Example.GOV.uk", "Helen Carter (new laptop)")
        assert client.say(other, "due").status_code == 200
        said = last_said(bot, stand_in.personal_conversation(other))
        assert "This Teams account isn't linked to Helen Carter" in said
        assert "ask your PMF admin" in said and "Slack" not in said
        assert client.say(other, "submit SE1.1").status_code == 200  # twice: one notice only
        assert "isn't linked to Helen Carter" in last_said(
            bot, stand_in.personal_conversation(other)
        )
        assert teams_account(bot, HOS) == helen.id  # her link is untouched

        # It cannot decide her reviews either.
        bot.say(JANE, "submit SE1.1")
        [opener] = [
            a
            for e in bot.cards(JANE)[-1]["body"]
            if e.get("type") == "ActionSet"
            for a in e["actions"]
        ]
        dialog = client.click(bot.people[JANE], opener).json()["task"]["value"]["card"]["content"]
        done = client.submit_dialog(
            bot.people[JANE], dialog, {"value": "36.5", "overview": "On track."}
        )
        assert done.status_code == 200
        bot.settle()
        approve = review_card(bot, HOS)
        answer = client.click(other, approve)
        assert answer.status_code == 200
        assert answer.json()["type"] == ACTIVITY_MESSAGE
        assert "isn't linked to Helen Carter" in answer.json()["value"]
        bot.settle()
        assert decisions(bot) == []

        # Audited, and the admin told once, with the command that links it.
        with read_session(bot.engine) as session:
            refusals = session.exec(
                select(AuditEvent).where(AuditEvent.action == "person.bind_refused")
            ).all()
        assert refusals and {r.entity_key for r in refusals} == {HOS}
        assert all(other.id in str(r.actor) for r in refusals)
        told = [shown(a) for a in bot.chat(POLICY) if "says its e-mail address" in json.dumps(a)]
        assert len(told) == 1, told
        assert f"A Teams account, {other.id}" in told[0] and "Helen Carter's" in told[0]
        assert f"--teams-user {other.id}" in told[0]

        # An admin links the new account, from the command line.
        cli = Cli(db_url, tmp_path)
        refused = cli("people", "rebind", HOS, "--teams-user", other.id, "--by", JANE)
        assert refused.code == 1 and "is not an admin" in refused.err
        neither = cli("people", "rebind", HOS, "--by", POLICY)
        assert neither.code == 1 and "--teams-user" in neither.err
        moved = cli("people", "rebind", HOS, "--teams-user", other.id, "--by", POLICY)
        assert moved.code == 0, moved.err
        assert (
            f"Helen Carter is now linked to Teams account {other.id} (was {helen.id})" in moved.out
        )
        with read_session(bot.engine) as session:
            event = session.exec(
                select(AuditEvent).where(AuditEvent.action == "person.rebind")
            ).one()
        assert event.actor == POLICY and event.entity_key == HOS
        listed = cli("people", "list")
        assert other.id in next(r for r in listed.out.splitlines() if r.startswith("Helen"))

        # From the next click the new account is Helen's; the old one is refused in its turn.
        answer = client.click(other, approve)
        assert answer.status_code == 200
        assert "Approved** by Helen Carter" in json.dumps(answer.json())
        bot.settle()
        assert decisions(bot) == [("approved", HOS)]
        assert client.say(helen, "due").status_code == 200
        assert "This Teams account isn't linked to Helen Carter" in last_said(
            bot, stand_in.personal_conversation(helen)
        )
