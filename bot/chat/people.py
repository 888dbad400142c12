"""What people are told about chat accounts and the register (issue 9: identity rebinding)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.chat.model import Code, Icon, Message, text
from bot.people import SURFACE_NAMES


def not_linked(name: str, surface: str = "slack") -> Message:
    """To an account that claims a register person's e-mail when that person uses another."""
    where = SURFACE_NAMES.get(surface, surface)
    return Message.plain(
        text(
            Icon.WARNING,
            f" This {where} account isn't linked to {name} in the council's performance "
            f"register: {name} already uses another {where} account with the bot. If this "
            "is your new account, please ask your PMF admin to link it; until then I can't "
            "act on anything from it.",
        )
    )


def identity_refused_notice(payload: Mapping[str, object], claimed: str) -> Message:
    """To each admin: an account claimed `claimed`'s e-mail (they are bound to another
    account) and was refused."""
    surface = str(payload.get("surface") or "slack")
    where = SURFACE_NAMES.get(surface, surface)
    user_id = str(payload.get("user_id") or "")
    profile = str(payload.get("profile_name") or "").strip()
    seen = f" (its profile name is {profile})" if profile else ""
    return Message.plain(
        text(
            Icon.WARNING,
            f" A {where} account, {user_id}{seen}, says its e-mail address is {claimed}'s, "
            f"but {claimed} is already linked to another {where} account. I refused it: it "
            f"cannot act as {claimed}, and it was told to ask a PMF admin. If it really is "
            f"{claimed}'s new account, link it with ",
            Code(f"pmf-bot people rebind EMAIL --{surface}-user {user_id} --by YOUR-EMAIL"),
            " (",
            Code("pmf-bot people list"),
            " shows who is linked to what). Otherwise, tell your IT security contact.",
        )
    )
