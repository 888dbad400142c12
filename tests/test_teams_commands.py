"""Commands typed in the Teams personal chat, on SQLite and PostgreSQL (issue 12, PRODUCT §10):
the `/pmf` grammar without the slash, a leading `/pmf` working too, and `away … @Name` with a
Teams @mention naming the cover; `back`, `signoff` and `help` answered by the same rules as
Slack's."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import select

from storage.engine import read_session
from storage.models import Leave, Person
from tests.teams_harness import TeamsBot
from tests.test_teams_e2e import HOS, JANE, card_of, installed, words

SAM = "sam.lee@example.gov.uk"


def said(bot: TeamsBot, email: str, typed: str, **fields: Any) -> str:
    """What the bot answers `email` in their chat after they type `typed`."""
    before = len(bot.chat(email))
    user = bot.people[email]
    answer = bot.client.post(bot.client.activity(user, "message", text=typed, **fields))
    assert answer.status_code == 200, answer.text
    bot.settle()
    new = bot.chat(email)[before:]
    assert new, f"no answer to {typed!r}"
    return "\n".join(
        words(card_of(a)) if a.get("attachments") else str(a.get("text") or "") for a in new
    )


def mention(bot: TeamsBot, email: str, name: str) -> dict[str, Any]:
    user = bot.people[email]
    return {
        "type": "mention",
        "text": f"<at>{name}</at>",
        "mentioned": {"id": user.id, "name": name},
    }


def test_away_with_a_teams_mention_then_back(db_url: str) -> None:
    with installed(db_url) as bot:
        assert bot.client.install(bot.people[SAM]).status_code == 200
        reply = said(
            bot,
            JANE,
            "away today 31 Oct <at>Sam Lee</at>",
            entities=[mention(bot, SAM, "Sam Lee")],
        )
        assert "Noted: you are away from Thu 08 Oct to Sat 31 Oct 2026." in reply
        assert "Sam Lee will get your reminders" in reply
        with read_session(bot.engine) as session:
            jane, sam = (
                session.exec(select(Person.id).where(Person.email == e)).one() for e in (JANE, SAM)
            )
            [leave] = session.exec(select(Leave).where(Leave.person_id == jane))
            assert (leave.cover_id, leave.starts) == (sam, date(2026, 10, 8))
        assert any("has named you as cover" in words(card_of(a)) for a in bot.chat(SAM))

        # A leading /pmf works as in Slack.
        listed = said(bot, JANE, "/pmf away")
        assert "Away from Thu 08 Oct to Sat 31 Oct 2026, covered by Sam Lee" in listed
        back = said(bot, JANE, "/pmf back")
        assert "Welcome back" in back
        assert "You were not recorded as away" in said(bot, JANE, "back")


def test_signoff_and_help_in_the_personal_chat(db_url: str) -> None:
    with installed(db_url) as bot:
        assert "sign off your measures and projects" in said(bot, HOS, "/pmf help")
        refused = said(bot, HOS, "signoff 2026-27 Q2")
        assert "are not approved yet, so the quarter cannot be signed off" in refused
        assert "Only a Head of Service can sign off" in said(bot, JANE, "signoff 2026-27 Q2")
