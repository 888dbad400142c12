"""Text in Teams cards: commands are suggested as Teams users type them."""

from __future__ import annotations

from bot.chat.model import Code, text
from handlers.teams.render import markdown, typed


def test_a_command_is_suggested_without_the_slash() -> None:
    words = text("For the quarter: ", Code("/pmf status SE1 2026-27 Q2"), ".")
    assert markdown(words) == "For the quarter: **status SE1 2026\\-27 Q2**\\."


def test_only_a_leading_pmf_is_dropped() -> None:
    assert typed("/pmf help") == "help"
    assert typed("/PMF due") == "due"
    assert typed("/pmf") == "/pmf"
    assert typed("SE1.1") == "SE1.1"
    assert typed("status /pmf x") == "status /pmf x"
