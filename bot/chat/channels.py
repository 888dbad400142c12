"""Where summaries are posted: the register's `channels`, each a Slack or a Teams channel
(PRODUCT §3, §10). Each surface's transport posts to the form it `owns`; the register accepts
only these forms, so a mistyped channel is an import error, not a summary that never arrives.

- Slack: `#name`, or a channel id (`C…`, `G…`);
- Microsoft Teams: the channel's id, `19:…@thread.tacv2`, or the link Teams gives with
  "Get link to channel" (`https://teams.microsoft.com/l/channel/19%3a…%40thread.tacv2/Name?…`),
  which is stored as the id it carries.
"""

from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

SLACK_CHANNEL = re.compile(r"^(#[\w.-]+|[CGD][A-Z0-9]{2,})$")
TEAMS_CHANNEL = re.compile(r"^19:[^\s/?#]+@thread\.[a-z0-9]+$")

FORMS = (
    "a Slack channel as #name (or its id, C…), or a Microsoft Teams channel as its link "
    "(Get link to channel in Teams) or its id, 19:…@thread.tacv2"
)


def teams_channel_of_link(text: str) -> str | None:
    """The channel id in a Teams "Get link to channel" address, or None if it is not one."""
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    if parts.scheme != "https" or not parts.hostname:
        return None
    segments = parts.path.split("/")
    # /l/channel/<the id, percent-encoded>/<the channel's name>
    if len(segments) < 4 or segments[1:3] != ["l", "channel"]:
        return None
    found = unquote(segments[3]).strip()
    return found if TEAMS_CHANNEL.match(found) else None


def address(text: str) -> str:
    """The channel as the transports address it; ValueError naming the accepted forms."""
    given = text.strip()
    if SLACK_CHANNEL.match(given) or TEAMS_CHANNEL.match(given):
        return given
    found = teams_channel_of_link(given)
    if found is not None:
        return found
    raise ValueError(f"'{clip(given)}' is not a channel: write {FORMS}")


def clip(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
