"""Teams, on SQLite and PostgreSQL (issue 12, PRODUCT §10): a plain message is enough for the bot
to reach someone later (its conversation reference is stored from every message, not only from
an install), and an approved figure is reopened from its Teams card with a reason, by the same
rules as Slack: someone unrelated refused, a blank reason refused on the card, the collector
told why."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from storage.engine import read_session
from storage.models import Measure, PeriodValue, Person, Review, TeamsConversation
from tests.teams_harness import TeamsBot, running_teams_bot
from tests.test_teams_e2e import (
    ACTIVITY_MESSAGE,
    CARD,
    CHRIS,
    HOS,
    JANE,
    Q2,
    actions,
    assert_adaptive_15,
    card_of,
    click,
    installed,
    last_card,
    open_dialog,
    refused,
    review_activity,
    submissions,
    submit,
    submit_dialog,
    verbs,
    words,
)


def references(engine: Engine, conversation: str) -> list[TeamsConversation]:
    with read_session(engine) as session:
        return list(
            session.exec(
                select(TeamsConversation).where(TeamsConversation.conversation_id == conversation)
            )
        )


SAM = "sam.lee@example.gov.uk"  # collects SE1.2


def state_of(bot: TeamsBot, ref: str) -> str:
    with read_session(bot.engine) as session:
        [state] = session.exec(
            select(PeriodValue.state)
            .join(Measure)
            .where(Measure.ref == ref, PeriodValue.period == Q2)
        )
        return str(state)


def test_a_message_alone_lets_the_bot_reach_someone_later(db_url: str) -> None:
    with running_teams_bot(db_url) as bot:
        assert bot.client.install(bot.people[JANE]).status_code == 200
        helen = bot.teams.personal_conversation(bot.people[HOS])
        assert references(bot.engine, helen) == []  # never installed, never spoken

        bot.say(HOS, "help")  # no installationUpdate, no conversationUpdate: just a message
        [stored] = references(bot.engine, helen)
        assert stored.service_url == bot.teams.service_url
        assert stored.user_id == bot.people[HOS].id and stored.kind == "personal"
        assert stored.tenant_id == bot.teams.tenant_id
        before = len(bot.chat(HOS))

        bot.say(JANE, "submit SE1.1")
        submit(bot, JANE, last_card(bot, JANE), "36.5")
        bot.settle()
        # The review card reaches Helen proactively, where her message came from.
        sent = bot.chat(HOS)[before:]
        assert len(sent) == 1
        assert set(verbs(card_of(sent[0]))) == {"approve", "reject"}


def test_an_approved_figure_is_reopened_from_its_teams_card_with_a_reason(db_url: str) -> None:
    with installed(db_url) as bot:
        bot.say(JANE, "submit SE1.1")
        submit(bot, JANE, last_card(bot, JANE), "36.5")
        [saved] = submissions(bot, "SE1.1")
        sent = review_activity(bot, HOS)
        card = card_of(sent)
        approved = click(bot, HOS, verbs(card)["approve"])["value"]
        bot.settle()
        reopen = verbs(approved)["reopen"]
        assert reopen["data"]["pmf_value"] == str(saved.id)

        # Someone with nothing to do with the measure is refused, on the server.
        assert "Only the reviewer" in refused(bot, CHRIS, reopen)

        # Reopen asks for the reason in the card; a blank one is refused there.
        answer = click(bot, HOS, reopen)
        assert answer["type"] == CARD
        reason_form = answer["value"]
        assert_adaptive_15(reason_form)
        [send] = [a for a in actions(reason_form) if a["type"] == "Action.Execute"]
        blank = bot.client.execute(bot.people[HOS], send["verb"], {**send["data"], "reason": ""})
        assert blank.status_code == 200
        assert "Please say why" in words(blank.json()["value"])
        bot.settle()
        assert state_of(bot, "SE1.1") == "approved"

        told_before = len(bot.chat(JANE))
        why = "The meter was misread."
        decided = bot.client.execute(bot.people[HOS], send["verb"], {**send["data"], "reason": why})
        assert decided.status_code == 200
        assert decided.json()["type"] == CARD
        bot.settle()
        # The answer is the card as it now stands: reopened, with why, and no Reopen button;
        # the copy in Helen's chat says the same (updateActivity).
        now_shown = decided.json()["value"]
        assert_adaptive_15(now_shown)
        note = f"Reopened by Helen Carter at 10:00 on Thu 08 Oct 2026: {why}"
        assert note in words(now_shown) and verbs(now_shown) == {}
        stored = bot.teams.activity(bot.teams.personal_conversation(bot.people[HOS]), sent["id"])
        assert stored is not None and stored in bot.teams.updates
        assert words(card_of(stored)) == words(now_shown)
        assert state_of(bot, "SE1.1") == "reopened"
        # Jane is told, once, why and by whom, with a button to send the figure again.
        told = bot.chat(JANE)[told_before:]
        assert len(told) == 1
        shown = words(card_of(told[0]))
        assert "reopened by Helen Carter" in shown and why in shown
        assert [a for a in actions(card_of(told[0])) if a["type"] == "Action.Submit"]
        # A second send of the same reason reopens nothing again.
        bot.client.execute(bot.people[HOS], send["verb"], {**send["data"], "reason": why})
        bot.settle()
        assert state_of(bot, "SE1.1") == "reopened"


def test_someone_whose_lookup_gives_only_a_user_principal_name_is_found_by_it(
    db_url: str,
) -> None:
    """Teams' member lookup may give no `email`, only the sign-in name (userPrincipalName),
    in any letter case: the register person is found by it all the same."""
    with running_teams_bot(db_url) as bot:
        jane = bot.people[JANE]
        jane.upn_only, jane.email = True, "Jane.Doe@Example.GOV.uk"
        assert bot.client.install(jane).status_code == 200
        bot.say(JANE, "due")
        with read_session(bot.engine) as session:
            [linked] = session.exec(select(Person.teams_user_id).where(Person.email == JANE))
        assert linked == jane.id
        assert "Hello Jane Doe" in words(card_of(bot.chat(JANE)[0]))
        assert "not in the council's" not in str(bot.chat(JANE)[-1])


def test_the_reviewer_and_the_head_of_service_racing_on_one_figure_get_one_decision(
    db_url: str,
) -> None:
    """SE1.2 is reviewed by the waste manager, and its Head of Service (Helen Carter) may decide
    it too: both press Approve at the same moment; one decision is recorded, the other is told
    plainly that it is already approved, and the collector is told once."""
    manager = "waste.manager@example.gov.uk"
    with running_teams_bot(db_url) as bot:
        for email in (SAM, manager, HOS):
            assert bot.client.install(bot.people[email]).status_code == 200
        bot.say(SAM, "submit SE1.2")
        form = open_dialog(bot, SAM, last_card(bot, SAM))
        figure = {"value": "48.5", "overview": "Below target.", "actions": "Leaflet drive."}
        assert submit_dialog(bot, SAM, form, figure) is None  # Red: actions needed, given
        bot.settle()
        [saved] = submissions(bot, "SE1.2")
        approve = verbs(card_of(review_activity(bot, manager)))["approve"]
        told_before = len(bot.chat(SAM))

        start = threading.Barrier(2)
        answers: dict[str, Any] = {}

        def press(email: str) -> None:
            start.wait()
            answers[email] = bot.client.click(bot.people[email], approve)

        pressing = [threading.Thread(target=press, args=(e,)) for e in (manager, HOS)]
        for thread in pressing:
            thread.start()
        for thread in pressing:
            thread.join(timeout=60)
        bot.settle()

        assert {a.status_code for a in answers.values()} == {200}
        with read_session(bot.engine) as session:
            decided = session.exec(
                select(Review.decision, Review.decided_by).where(Review.submission_id == saved.id)
            ).all()
        assert len(decided) == 1 and decided[0][0] == "approved"
        winner = decided[0][1]
        loser = HOS if winner == manager else manager
        assert answers[winner].json()["type"] == CARD
        lost = answers[loser].json()
        assert lost["type"] == ACTIVITY_MESSAGE and "already approved" in str(lost["value"])
        told = [a for a in bot.chat(SAM)[told_before:] if "was approved by" in str(a)]
        assert len(told) == 1
