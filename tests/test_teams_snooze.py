"""'Remind me tomorrow' in Teams (issue 13) on SQLite and PostgreSQL: the click's answer is
the reminder's new face — when it comes back, Submit, and no second put-off — and the
reminder comes back once, the next working day, without the button."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot import services
from bot.chat import intents
from bot.delivery import tick
from tests.teams_harness import TeamsBot, running_teams_bot
from tests.test_teams_e2e import ACTIVITY_MESSAGE, CARD, card_of, click, verbs, words

LONDON = ZoneInfo("Europe/London")
JANE = "jane.doe@example.gov.uk"  # collects SE1.1
SAM = "sam.lee@example.gov.uk"


def _tick(bot: TeamsBot, day: str) -> None:
    when = datetime.combine(datetime.fromisoformat(day).date(), time(9, 5), tzinfo=LONDON)
    bot.clock.now = when
    council = services.council_info(bot.engine)
    tick(
        bot.engine,
        council,
        bot.deps.transport,
        now=when,
        zone=LONDON,
        worker="w",
        sleep=lambda seconds: None,
    )
    bot.settle()


def _reminders(bot: TeamsBot) -> list[dict[str, Any]]:
    return [
        card_of(a)
        for a in bot.chat(JANE)
        if (a.get("summary") or "").startswith("Reminder: SE1.1 2026-27 Q2")
    ]


def test_remind_me_tomorrow_turns_the_reminder_into_when_it_comes_back(db_url: str) -> None:
    with running_teams_bot(db_url) as bot:
        for email in (JANE, SAM):
            assert bot.client.install(bot.people[email]).status_code == 200
        _tick(bot, "2026-10-07")  # Wed: 5 working days before SE1.1's deadline
        [first] = _reminders(bot)
        snooze = verbs(first)[intents.SNOOZE]
        assert snooze["title"] == "Remind me tomorrow"

        # Only Jane may put it off: Sam's click leaves the card as it is and says why.
        refused = click(bot, SAM, snooze)
        assert refused["type"] == ACTIVITY_MESSAGE and "Only the person" in refused["value"]

        answer = click(bot, JANE, snooze)
        assert answer["type"] == CARD  # the reminder's card is replaced by this one
        shown = words(answer["value"])
        assert "SE1.1 Reduction in the council's own CO2 emissions — 2026-27 Q2" in shown
        assert "is due Wed 14 Oct 2026. I will remind you again on Thu 08 Oct at 09:00." in shown
        assert set(verbs(answer["value"])) == set()  # no put-off left; Submit opens the form
        [submit] = [a for a in answer["value"]["body"] if a["type"] == "ActionSet"]
        assert [a["title"] for a in submit["actions"]] == ["Submit"]
        assert submit["actions"][0]["data"]["msteams"] == {"type": "task/fetch"}

        # A second click (an old copy of the card) changes nothing.
        again = click(bot, JANE, snooze)
        assert again["type"] == ACTIVITY_MESSAGE and "already" in again["value"]

        _tick(bot, "2026-10-07")
        assert len(_reminders(bot)) == 1, "not before tomorrow"
        _tick(bot, "2026-10-08")
        back = [
            card_of(a)
            for a in bot.chat(JANE)
            if "SE1.1 2026-27 Q2" in (a.get("summary") or "")
            and "due in 4 working days" in (a.get("summary") or "")
        ]
        assert len(back) == 1
        assert intents.SNOOZE not in verbs(back[0]), "once per reminder"
