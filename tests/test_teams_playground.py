"""What Microsoft 365 Agents Playground, a real Teams client, showed about the Teams surface
(issue 12).
"""

from __future__ import annotations

from bot.chat.model import Para, Strong, text
from handlers.teams import render


def test_a_line_break_is_a_blank_line_in_a_card() -> None:
    """Adaptive Card markdown joins lines split by one newline (Teams and the Playground alike);
    Microsoft's advice outside lists is a blank line. Typed text's own breaks count too."""
    shown = render.elements(Para(text(Strong("Performance overview"), "\n", "Fell.\r\nAgain.")))
    assert shown[0]["text"] == "**Performance overview**\n\nFell\\.\n\nAgain\\."
    assert render.markdown(text("a", "\n\n\n", "b")) == "a\n\nb"
