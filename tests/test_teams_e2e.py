"""Teams end to end (issue 12, PRODUCT §5–§7, §10), on SQLite and PostgreSQL: signed
activities over HTTP to the Teams surface, everything the bot sends landing in the stand-in for
Microsoft's side.

install → `status SE1` → `submit SE1.1` (an inline error, then a good value) → the reviewer's
Adaptive Card 1.5 with Action.Execute verbs → the collector and an outsider refused → the
reviewer approves (the invoke answer is the updated card; the reviewer's copy is rewritten with
updateActivity) → the collector told; a rejection with a reason → resubmission; a reminder
delivered proactively exactly once by two workers on one database.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from bot import services
from bot.delivery import tick
from bot.settings import load_settings
from handlers.teams.app import build
from storage.engine import make_engine, read_session
from storage.models import Measure, Review, Submission
from tests.teams_harness import TeamsBot, running_teams_bot

LONDON = ZoneInfo("Europe/London")
JANE = "jane.doe@example.gov.uk"  # collects SE1.1
HOS = "hos.environment@example.gov.uk"  # Helen Carter, reviews SE1.1
CHRIS = "chris.walker@example.gov.uk"  # nothing to do with SE1.*
Q2 = "2026-27 Q2"
CARD = "application/vnd.microsoft.card.adaptive"
ACTIVITY_MESSAGE = "application/vnd.microsoft.activity.message"


# -- reading what Teams shows -----------------------------------------------------------------


def actions(card: dict[str, Any]) -> list[dict[str, Any]]:
    """Every action on a card, in order (card actions and those in ActionSets)."""
    found: list[dict[str, Any]] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            if str(item.get("type", "")).startswith("Action."):
                found.append(item)
            for value in item.values():
                walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(card)
    return found


def verbs(card: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {a["verb"]: a for a in actions(card) if a["type"] == "Action.Execute"}


def words(card: dict[str, Any]) -> str:
    """The card's text as Teams shows it (markdown escapes and bold marks removed)."""
    parts: list[str] = []

    def walk(item: Any) -> None:
        if isinstance(item, dict):
            for key in ("text", "title", "value"):
                if isinstance(item.get(key), str):
                    parts.append(item[key])
            for value in item.values():
                if isinstance(value, (dict, list)):
                    walk(value)
        elif isinstance(item, list):
            for value in item:
                walk(value)

    walk(card.get("body", []))
    return "\n".join(parts).replace("\\", "").replace("**", "")


def last_card(bot: TeamsBot, email: str) -> dict[str, Any]:
    cards = bot.cards(email)
    assert cards, f"nothing sent to {email}"
    return cards[-1]


def review_activity(bot: TeamsBot, email: str) -> dict[str, Any]:
    """The latest review card (an Approve or Reopen button on it) in `email`'s chat."""
    for activity in reversed(bot.chat(email)):
        for attachment in activity.get("attachments") or []:
            shown = attachment.get("content") or {}
            if {"approve", "reopen"} & set(verbs(shown)):
                return activity
    raise AssertionError(f"no review card for {email}")


def card_of(activity: dict[str, Any]) -> dict[str, Any]:
    [attachment] = activity["attachments"]
    assert attachment["contentType"] == CARD
    content: dict[str, Any] = attachment["content"]
    return content


def assert_adaptive_15(card: dict[str, Any]) -> None:
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.5"
    for action in actions(card):
        if action["type"] == "Action.Execute":
            assert action["verb"], action  # without a verb it never reaches the bot


def click(bot: TeamsBot, email: str, action: dict[str, Any]) -> dict[str, Any]:
    answer = bot.client.click(bot.people[email], action)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def refused(bot: TeamsBot, email: str, action: dict[str, Any]) -> str:
    """`email` clicks; the answer leaves the card as it is and says why (nothing recorded)."""
    before = (reviews(bot), len(bot.teams.updates))
    body = click(bot, email, action)
    bot.settle()
    assert body["type"] == ACTIVITY_MESSAGE, body
    assert (reviews(bot), len(bot.teams.updates)) == before
    return str(body["value"])


def reviews(bot: TeamsBot) -> list[tuple[int, str]]:
    """The decisions recorded on this quarter's SE1.1 figures (not the imported history)."""
    with read_session(bot.engine) as session:
        found = session.exec(
            select(Review.submission_id, Review.decision)
            .join(Submission, col(Submission.id) == col(Review.submission_id))
            .join(Measure)
            .where(Measure.ref == "SE1.1", Submission.period == Q2)
            .order_by(col(Review.id))
        ).all()
        return [(int(sid), str(decision)) for sid, decision in found]


def submissions(bot: TeamsBot, ref: str) -> list[Submission]:
    with read_session(bot.engine) as session:
        return list(
            session.exec(
                select(Submission)
                .join(Measure)
                .where(Measure.ref == ref, Submission.period == Q2)
                .order_by(col(Submission.version))
            )
        )


def open_dialog(bot: TeamsBot, email: str, card: dict[str, Any]) -> dict[str, Any]:
    """Click the card's form button (task/fetch); the form card the dialog shows."""
    [opener] = [a for a in actions(card) if a["type"] == "Action.Submit"]
    body = click(bot, email, opener)
    task = body["task"]
    assert task["type"] == "continue", body
    assert task["value"]["card"]["contentType"] == CARD
    form: dict[str, Any] = task["value"]["card"]["content"]
    assert_adaptive_15(form)
    return form


def submit_dialog(
    bot: TeamsBot, email: str, form: dict[str, Any], values: dict[str, str]
) -> dict[str, Any] | None:
    answer = bot.client.submit_dialog(bot.people[email], form, values)
    assert answer.status_code == 200, answer.text
    return answer.json() if answer.content else None


def submit(bot: TeamsBot, email: str, card: dict[str, Any], value: str) -> None:
    form = open_dialog(bot, email, card)
    closed = submit_dialog(bot, email, form, {"value": value, "overview": "On track."})
    assert closed is None, closed  # the dialog closes
    bot.settle()


# -- the fixture ------------------------------------------------------------------------------


@contextmanager
def installed(db_url: str) -> Iterator[TeamsBot]:
    with running_teams_bot(db_url) as bot:
        for email in (JANE, HOS, CHRIS):
            assert bot.client.install(bot.people[email]).status_code == 200
        yield bot


# -- the journey ------------------------------------------------------------------------------


def test_status_submit_review_and_approve(db_url: str) -> None:
    with installed(db_url) as bot:
        [welcome] = bot.chat(JANE)
        assert "Hello Jane Doe" in words(card_of(welcome))

        bot.say(JANE, "status SE1")
        status = last_card(bot, JANE)
        assert_adaptive_15(status)
        assert "SE1.1" in words(status) and "SE1.2" in words(status)

        bot.say(JANE, "submit SE1.1")
        opener = last_card(bot, JANE)
        form = open_dialog(bot, JANE, opener)
        assert "SE1.1 Reduction in the council's own CO2 emissions" in words(form)
        # An inline error: the form comes back with what was typed and the problem under it;
        # nothing is stored and nobody is told.
        again = submit_dialog(bot, JANE, form, {"value": "abc", "overview": "On track."})
        assert again is not None and again["task"]["type"] == "continue"
        shown = again["task"]["value"]["card"]["content"]
        assert "'abc' is not a number" in words(shown)
        [value_input] = [i for i in shown["body"] if i.get("id") == "value"]
        assert value_input["value"] == "abc"
        bot.settle()
        assert submissions(bot, "SE1.1") == []
        assert bot.cards(HOS)[-1] == bot.cards(HOS)[0]  # only the welcome
        # A good value.
        assert submit_dialog(bot, JANE, shown, {"value": "36.5", "overview": "On track."}) is None
        bot.settle()
        [saved] = submissions(bot, "SE1.1")
        assert saved.version == 1 and reviews(bot) == []
        assert saved.source == "teams"  # where it came from, kept on the version
        assert "has gone to Helen Carter for review" in words(last_card(bot, JANE))

        # The reviewer's card: Adaptive Card 1.5, Approve / Reject as Action.Execute.
        sent = review_activity(bot, HOS)
        card = card_of(sent)
        assert_adaptive_15(card)
        assert set(verbs(card)) == {"approve", "reject"}
        assert verbs(card)["approve"]["data"]["pmf_value"] == str(saved.id)
        assert "36.5%" in words(card) and f"{Q2} · version 1" in words(card)
        for email in (JANE, CHRIS):
            assert not any(set(verbs(c)) & {"approve"} for c in bot.cards(email))

        # The collector and an outsider are refused, on the server.
        assert "someone else must review it" in refused(bot, JANE, verbs(card)["approve"])
        assert "Only Helen Carter" in refused(bot, CHRIS, verbs(card)["approve"])

        # The reviewer approves: the answer is the card as it now stands …
        told_before = len(bot.chat(JANE))
        answer = click(bot, HOS, verbs(card)["approve"])
        assert answer["statusCode"] == 200 and answer["type"] == CARD
        now_shown = answer["value"]
        assert_adaptive_15(now_shown)
        assert "Approved by Helen Carter" in words(now_shown)
        assert set(verbs(now_shown)) == {"reopen"}
        bot.settle()
        assert reviews(bot) == [(saved.id, "approved")]
        # … the copy in her chat is rewritten (updateActivity) …
        stored = bot.teams.activity(bot.teams.personal_conversation(bot.people[HOS]), sent["id"])
        assert stored is not None and stored in bot.teams.updates
        assert "Approved by Helen Carter" in words(card_of(stored))
        assert set(verbs(card_of(stored))) == {"reopen"}
        # … and the collector is told, once.
        told = bot.chat(JANE)[told_before:]
        assert len(told) == 1
        assert "was approved by Helen Carter" in words(card_of(told[0]))
        # A second click on the old card decides nothing again.
        again_answer = click(bot, HOS, verbs(card)["approve"])
        bot.settle()
        assert reviews(bot) == [(saved.id, "approved")]
        assert again_answer["statusCode"] == 200


def test_reject_with_a_reason_then_resubmit(db_url: str) -> None:
    with installed(db_url) as bot:
        bot.say(JANE, "submit SE1.1")
        submit(bot, JANE, last_card(bot, JANE), "36.5")
        [first] = submissions(bot, "SE1.1")
        card = card_of(review_activity(bot, HOS))

        # Reject opens the reason form in the card; a blank reason is refused on it.
        answer = click(bot, HOS, verbs(card)["reject"])
        assert answer["type"] == CARD
        reason_form = answer["value"]
        assert_adaptive_15(reason_form)
        [send] = [a for a in actions(reason_form) if a["type"] == "Action.Execute"]
        blank = bot.client.execute(bot.people[HOS], send["verb"], {**send["data"], "reason": " "})
        assert blank.status_code == 200
        shown = blank.json()["value"]
        assert "⚠️ Please say why, so the collector knows what to fix." in words(shown)
        assert reviews(bot) == []
        # With a reason.
        why = "The figure leaves out the fleet; please add it."
        decided = bot.client.execute(bot.people[HOS], send["verb"], {**send["data"], "reason": why})
        assert decided.status_code == 200
        rejected_card = decided.json()["value"]
        assert "Rejected by Helen Carter" in words(rejected_card)
        assert why in words(rejected_card)
        bot.settle()
        assert reviews(bot) == [(first.id, "rejected")]

        # Jane is told why, with a button to send a corrected figure.
        told = last_card(bot, JANE)
        assert why in words(told)
        form = open_dialog(bot, JANE, told)
        assert submit_dialog(bot, JANE, form, {"value": "37.0", "overview": "Fleet added."}) is None
        bot.settle()
        versions = submissions(bot, "SE1.1")
        assert [s.version for s in versions] == [1, 2]
        second = card_of(review_activity(bot, HOS))
        assert f"{Q2} · version 2" in words(second) and "37.0%" in words(second)
        assert verbs(second)["approve"]["data"]["pmf_value"] == str(versions[1].id)
        # The first card's Approve no longer decides anything.
        assert click(bot, HOS, verbs(card)["approve"])["statusCode"] == 200
        bot.settle()
        assert reviews(bot) == [(first.id, "rejected")]


# -- reminders ----------------------------------------------------------------------------------


@contextmanager
def second_worker(bot: TeamsBot, db_url: str) -> Iterator[Any]:
    """Another `pmf-bot run` on the same database and the same Teams: its own engine,
    connector, token and deliverer."""
    engine = make_engine(db_url)
    settings = load_settings({**bot.teams.settings(), "PMF_DATABASE_URL": db_url})
    deps = build(settings, engine, clock=bot.clock, deliver=True)
    try:
        yield deps
    finally:
        deps.close()
        engine.dispose()


def test_a_reminder_reaches_teams_proactively_exactly_once_across_two_workers(
    db_url: str,
) -> None:
    with installed(db_url) as bot, second_worker(bot, db_url) as other:
        chat_before = len(bot.chat(JANE))
        when = datetime.combine(datetime(2026, 10, 7).date(), time(9, 5), tzinfo=LONDON)
        bot.clock.now = when
        council = services.council_info(bot.engine)
        start = threading.Barrier(2)
        reports: list[Any] = []

        def run(deps: Any, name: str) -> None:
            start.wait()
            reports.append(
                tick(
                    deps.engine,
                    council,
                    deps.transport,
                    now=when,
                    zone=LONDON,
                    worker=name,
                    sleep=lambda seconds: None,
                )
            )

        workers = [
            threading.Thread(target=run, args=(bot.deps, "worker-1")),
            threading.Thread(target=run, args=(other, "worker-2")),
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        bot.settle()
        assert len(reports) == 2

        reminders = [
            a
            for a in bot.chat(JANE)[chat_before:]
            if (a.get("summary") or "").startswith("Reminder: SE1.1")
        ]
        assert len(reminders) == 1, [a.get("summary") for a in bot.chat(JANE)[chat_before:]]
        text = words(card_of(reminders[0]))
        assert "SE1.1" in text and "14 Oct" in text
        # Proactive: Jane never wrote to the bot; it went to the chat stored at install.
        posts = [
            c
            for c in bot.teams.calls
            if c.method == "POST"
            and c.path.endswith(f"/{bot.teams.personal_conversation(bot.people[JANE])}/activities")
        ]
        assert all(c.authorization and c.authorization.startswith("Bearer ") for c in posts)
        # A third delivery round sends nothing more.
        tick(
            other.engine,
            council,
            other.transport,
            now=when,
            zone=LONDON,
            worker="worker-3",
            sleep=lambda seconds: None,
        )
        bot.settle()
        again = [
            a
            for a in bot.chat(JANE)[chat_before:]
            if (a.get("summary") or "").startswith("Reminder: SE1.1")
        ]
        assert len(again) == 1


def test_approve_on_the_due_list_redraws_the_list(db_url: str) -> None:
    """A click on a list's button (`due`) answers with the list as it now stands, not with one
    figure's card in place of the whole list (seen in the Agents Playground)."""
    with installed(db_url) as bot:
        bot.say(JANE, "submit SE1.1")
        submit(bot, JANE, last_card(bot, JANE), "36.5")
        [saved] = submissions(bot, "SE1.1")

        bot.say(HOS, "due")
        listing = last_card(bot, HOS)
        approve = verbs(listing)["approve"]
        assert approve["data"]["pmf_from"] == "due"
        assert "SE1.1" in words(listing)

        answer = click(bot, HOS, approve)
        bot.settle()
        assert reviews(bot) == [(saved.id, "approved")]
        assert answer["type"] == CARD
        redrawn = answer["value"]
        assert_adaptive_15(redrawn)
        assert f"SE1.1 {Q2}: 36.5% from Jane Doe — approved" in words(redrawn)
        assert "approve" not in verbs(redrawn)  # the figure is no longer waiting
        executes = [a for a in actions(redrawn) if a["type"] == "Action.Execute"]
        assert all(a["data"].get("pmf_from") == "due" for a in executes)
