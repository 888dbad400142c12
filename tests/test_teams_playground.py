"""What Microsoft 365 Agents Playground, a real Teams client, showed about the Teams surface
(issue 12).
"""

from __future__ import annotations

import json

from bot.chat.model import Para, Strong, text
from handlers.teams import render
from tests.teams_harness import running_teams_bot

JANE = "jane.doe@example.gov.uk"


def test_one_install_says_welcome_once(db_url: str) -> None:
    """Teams sends `installationUpdate` (add) and then `conversationUpdate` (the bot added) for
    one install; the person is greeted once, and both store the conversation."""
    with running_teams_bot(db_url, actuals=False, deliver=False) as bot:
        answer = bot.client.install(bot.people[JANE])
        assert answer.status_code == 200, answer.text
        chat = bot.chat(JANE)
        assert len(chat) == 1, chat
        assert "Hello Jane Doe" in json.dumps(chat[0])
        again = bot.client.activity(
            bot.people[JANE],
            "conversationUpdate",
            membersAdded=[{"id": bot.people[JANE].id}, {"id": f"28:{bot.teams.app_id}"}],
        )
        assert bot.client.post(again).status_code == 200
        assert len(bot.chat(JANE)) == 1
        assert bot.client.say(bot.people[JANE], "help").status_code == 200
        assert len(bot.chat(JANE)) == 2


def test_a_line_break_is_a_blank_line_in_a_card() -> None:
    """Adaptive Card markdown joins lines split by one newline (Teams and the Playground alike);
    Microsoft's advice outside lists is a blank line. Typed text's own breaks count too."""
    shown = render.elements(Para(text(Strong("Performance overview"), "\n", "Fell.\r\nAgain.")))
    assert shown[0]["text"] == "**Performance overview**\n\nFell\\.\n\nAgain\\."
    assert render.markdown(text("a", "\n\n\n", "b")) == "a\n\nb"
