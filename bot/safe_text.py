"""Officers' and register text stays text, on every surface (PRODUCT §9).

The chat-neutral rules; each surface applies them in its own markup (Slack mrkdwn in
`handlers.slack.mrkdwn`; Adaptive Card markdown later):

* **Links** are built only from web addresses checked here: `https`, a named site, and none
  of the characters that chat markup uses to end or relabel a link (`|`, `<`, `>`), no spaces,
  no name or password before the site. The label is made by the bot from the address itself,
  and the real site is shown beside it, so a link cannot pretend to go somewhere else.
* **Spreadsheets**: a text cell is always text. In CSV, a text starting with `=`, `+`, `-`,
  `@`, a tab or a carriage return gets a leading `'` (OWASP's rule against formula
  injection); in XLSX the cell is a string cell with Excel's quote prefix. Numbers stay numbers.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

MAX_LINK = 1000
LINK_LABEL = 60

# -- links --------------------------------------------------------------------------------------

_LINK_MARKUP = set('|<>\\"`')


@dataclass(frozen=True)
class WebLink:
    """A checked https address, with what the bot may show for it."""

    url: str
    host: str  # the real site, ASCII (an international name in its xn-- form)
    label: str  # the site and path as typed, shortened


def link_problem(text: str) -> str | None:
    """Why `text` cannot be an evidence link, in words for the officer; None if it can."""
    url = text.strip()
    if not url:
        return None
    if len(url) > MAX_LINK:
        return f"The evidence link is too long (at most {MAX_LINK} characters)."
    if not url.lower().startswith("https://"):
        return (
            "The evidence link must be a secure web address starting https://, such as "
            "https://intranet.example.gov.uk/reports/q2."
        )
    if any(c.isspace() or unicodedata.category(c)[0] == "C" for c in url):
        return (
            "The evidence link cannot contain spaces. Copy the address from your browser's "
            "address bar."
        )
    if _LINK_MARKUP & set(url):
        return (
            'The evidence link cannot contain the characters | < > \\ " or `. Copy the '
            "address from your browser's address bar."
        )
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 — raises ValueError for a malformed port
    except ValueError:
        return "The evidence link is not a web address I can read. Check it and try again."
    if "@" in parts.netloc:
        return (
            "The evidence link must not have a name or password before the site (the part "
            "before @). Copy the address from your browser's address bar."
        )
    if not parts.hostname or _ascii_host(parts.hostname) is None:
        return "The evidence link must name a site after https://, such as intranet.example.gov.uk."
    return None


def web_link(text: str | None) -> WebLink | None:
    """The link to show for `text`, or None when it is not a checked https address (a figure
    stored before the rule, say): such text is shown as text, never as a link."""
    url = (text or "").strip()
    if not url or link_problem(url) is not None:
        return None
    parts = urlsplit(url)
    assert parts.hostname is not None
    host = _ascii_host(parts.hostname)
    assert host is not None
    shown = url[len("https://") :].rstrip("/")
    label = shown if len(shown) <= LINK_LABEL else shown[: LINK_LABEL - 1] + "…"
    return WebLink(url=url, host=host, label=label)


def _ascii_host(hostname: str) -> str | None:
    """The site's name as a browser resolves it (xn-- form for international names)."""
    try:
        host = hostname.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    if not re.fullmatch(r"[a-z0-9.-]+|\[[0-9a-f:.]+\]|[0-9a-f:.]+", host.lower()):
        return None
    return host.lower()


# -- spreadsheets -------------------------------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def csv_cell(value: Any) -> Any:
    """A value for a CSV cell: text that a spreadsheet would read as a formula gets a leading
    `'` (OWASP, CSV injection); numbers — and text that is just a number, such as `-3.5` —
    are left as they are."""
    if not isinstance(value, str) or not value.startswith(FORMULA_START):
        return value
    if _NUMBER.fullmatch(value):
        return value
    return "'" + value


# Characters XML 1.0 cannot hold; openpyxl refuses them (tab, line feed and CR are fine).
_NOT_IN_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def xlsx_cell(cell: Any, value: str | int | float | Decimal | None) -> Any:
    """Write `value` into an openpyxl cell: text always as a string cell (never a formula),
    marked with Excel's quote prefix when it starts like one; numbers as numbers."""
    if not isinstance(value, str):
        cell.value = value
        return cell
    text = _NOT_IN_XML.sub("", value)
    cell.value = text
    cell.data_type = "s"  # openpyxl takes a str starting with "=" for a formula
    if text.startswith(FORMULA_START):
        cell.quotePrefix = True  # and Excel keeps it text when someone edits the cell
    return cell
