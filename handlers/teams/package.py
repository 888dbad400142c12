"""The Microsoft Teams app package (PRODUCT §10): `manifest.json`, `color.png` and
`outline.png`, zipped at the root, for council IT to upload in the Teams admin centre.

What Teams asks of a package, and where Microsoft says so:
- the app manifest schema, version 1.29 (MicrosoftTeams.schema.json in
  OfficeDev/microsoft-teams-app-schema, release v1.29; published at `SCHEMA_URL`). Every field
  written here has the same rules in every version from 1.17 to 1.29, so an older tenant can be
  given an older `MANIFEST_VERSION` without other changes;
- "Teams app package" (learn.microsoft.com, microsoftteams/platform/concepts/build-and-test/
  apps-package): a 192×192 colour icon whose symbol sits inside the middle 96×96 on a solid
  square, and a 32×32 outline icon that is pure white (255, 255, 255) on fully transparent, with
  no padding around the symbol.

The icons are drawn here with Pillow, so the package needs no files but this module. The same
settings and options always give the same bytes (fixed zip dates), so a package can be rebuilt
and compared.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

MANIFEST_VERSION = "1.29"
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
MANIFEST_FILE = "manifest.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
SYMBOL_SIZE = 96  # the colour icon's symbol stays inside the middle 96×96
MESSAGES_PATH = "/api/messages"

# Teams' limits on what officers read (schema: name.short 30, developer.name 32,
# description.short 80; a command's title 32 and description 128 up to manifest 1.21).
MAX_COUNCIL_NAME = 32
MAX_URL = 2048

SHORT_NAME = "PMF"
FULL_NAME = "Performance Management Framework (PMF)"
SHORT_DESCRIPTION = "Submit, review and check the council's performance figures."
FULL_DESCRIPTION = (
    "PMF runs the council's Performance Management Framework in Teams. It reminds officers "
    "when their performance figures are due, takes each figure with its commentary in a short "
    "form, and sends it to the reviewer to approve or reject. Anyone can ask for the Red, "
    "Amber, Green or Grey (RAGG) status of a measure, an aim, a priority or the whole council, "
    "and each quarter's summary is posted to the council's performance channel. Chat with PMF "
    "and type help to see what you can ask."
)

# The compose box's suggestions in a personal chat: the /pmf commands without the slash, in the
# order of the help message (bot/chat/status.py HELP). Commands are read in the personal chat
# (PRODUCT §10), so the team scope — where summaries are posted — offers none.
COMMANDS: tuple[tuple[str, str], ...] = (
    (
        "status",
        "RAGG status of a measure, aim, priority or the whole council, e.g. status SE1 2025-26 Q4",
    ),
    ("submit", "Open the form to submit a figure and commentary, e.g. submit SE1.1"),
    ("due", "What you still have to submit or review"),
    (
        "away",
        "On leave: your reminders and reviews go to your cover, "
        "e.g. away 14/07/2026 25/07/2026 @Sam Lee",
    ),
    ("back", "Back early from leave: your reminders and reviews come to you again"),
    ("summary", "Preview the quarter's RAGG summary; admins can post it, e.g. summary 2025-26 Q4"),
    (
        "signoff",
        "Heads of Service: sign off your measures and projects for a quarter, "
        "e.g. signoff 2025-26 Q4",
    ),
    ("actions", "Tracked actions from exception reports, e.g. actions mine"),
    ("report", "Where the quarter's report stands on its way to committee, e.g. report 2025-26 Q4"),
    ("help", "What I can do, with examples"),
)

# Colours: the council blue behind RAGG bars (Red, Amber, Green) rising to the right.
ACCENT = "#1F4E79"
RED = (0xE8, 0x47, 0x3D)
AMBER = (0xF5, 0xB4, 0x00)
GREEN = (0x4C, 0xB0, 0x50)
WHITE = (0xFF, 0xFF, 0xFF)

_GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: the same bytes every build
GUID_EXAMPLE = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"


class PackageError(ValueError):
    """Something the person building the package can fix; the message says what and how."""


@dataclass(frozen=True)
class Details:
    """Everything the package says about this council's app, checked."""

    app_id: str
    council: str
    website: str
    privacy_url: str
    terms_url: str
    version: str
    host: str | None = None  # where pmf-bot is reached: its messaging endpoint's host
    port: int | None = None

    @property
    def messaging_endpoint(self) -> str | None:
        if self.host is None:
            return None
        where = self.host if self.port in (None, 443) else f"{self.host}:{self.port}"
        return f"https://{where}{MESSAGES_PATH}"


def pmf_bot_version() -> str:
    """pmf-bot's own version as Teams wants one (three numbers): a new release of pmf-bot
    makes a package with a higher version, which Teams needs to take it as an update."""
    try:
        installed = metadata.version("pmf-bot")
    except metadata.PackageNotFoundError:
        return "1.0.0"
    found = re.match(r"^(\d+)\.(\d+)(?:\.(\d+))?", installed)
    if not found:
        return "1.0.0"
    major, minor, patch = (int(part or 0) for part in found.groups())
    return f"{major}.{minor}.{patch}"


def details(
    app_id: str | None,
    *,
    host: str | None = None,
    council: str | None = None,
    website: str | None = None,
    privacy_url: str | None = None,
    terms_url: str | None = None,
    version: str | None = None,
) -> Details:
    """Check what was given and fill in the rest; a PackageError says what to change."""
    if app_id is None or not app_id.strip():
        raise PackageError(
            "TEAMS_APP_ID is not set. Set it to the bot's Microsoft app id — the Application "
            "(client) ID of the bot's app registration, shown in the Azure portal, a GUID like "
            f"{GUID_EXAMPLE} — and run this again."
        )
    bot_id = app_id.strip()
    if not _GUID.fullmatch(bot_id):
        raise PackageError(
            f"TEAMS_APP_ID '{bot_id}' is not a Microsoft app id: it should be a GUID like "
            f"{GUID_EXAMPLE}, the Application (client) ID of the bot's app registration."
        )
    where, port = _host(host) if host is not None and host.strip() else (None, None)
    if website is None or not website.strip():
        if where is None:
            raise PackageError(
                "Teams shows a web address on the app's About page. Give --host with the "
                "address where pmf-bot is reached (as in the bot's messaging endpoint, e.g. "
                "--host pmf.example.gov.uk), or --website with your council's page about the app."
            )
        website = f"https://{where}/"
    site = _https("--website", website)
    name = (council or "The council").strip()
    if not name or len(name) > MAX_COUNCIL_NAME or any(ord(c) < 32 for c in name):
        raise PackageError(
            f"--council is shown in Teams as the app's publisher and must be 1 to "
            f"{MAX_COUNCIL_NAME} characters on one line (Teams' limit); '{name}' has {len(name)}. "
            "Use a shorter form of the council's name."
        )
    chosen = (version or pmf_bot_version()).strip()
    if not _SEMVER.fullmatch(chosen):
        raise PackageError(
            f"--app-version '{chosen}' is not a version Teams accepts: write three numbers "
            "such as 1.0.0, and make it higher than the package you uploaded before."
        )
    return Details(
        app_id=bot_id,
        council=name,
        website=site,
        privacy_url=_https("--privacy-url", privacy_url) if privacy_url else site,
        terms_url=_https("--terms-url", terms_url) if terms_url else site,
        version=chosen,
        host=where,
        port=port,
    )


def _host(given: str) -> tuple[str, int | None]:
    """The host name from `pmf.example.gov.uk`, `https://pmf.example.gov.uk` or the whole
    messaging endpoint `https://pmf.example.gov.uk/api/messages`."""
    words = given.strip()
    shown = f"--host '{words}'"
    parts = urlsplit(words if "://" in words else f"https://{words}")
    if parts.scheme.lower() != "https":
        raise PackageError(
            f"{shown}: Teams only reaches bots over https. Give the host name alone, "
            "e.g. --host pmf.example.gov.uk."
        )
    try:
        port = parts.port
    except ValueError:
        raise PackageError(f"{shown} has a port that is not a number.") from None
    name = (parts.hostname or "").rstrip(".")
    if not _HOST.fullmatch(name) or name.replace(".", "").isdigit():
        raise PackageError(
            f"{shown} is not a host name Teams can reach: give the public name in the bot's "
            "messaging endpoint, e.g. --host pmf.example.gov.uk."
        )
    return name, port


def _https(option: str, given: str) -> str:
    url = given.strip()
    parts = urlsplit(url)
    if parts.scheme.lower() != "https" or not parts.hostname or len(url) > MAX_URL:
        raise PackageError(
            f"{option} '{url}' is not a web address Teams can link to: write it in full, "
            "starting https://, e.g. https://www.example.gov.uk/pmf."
        )
    return url


def manifest(app: Details) -> dict[str, Any]:
    """The app manifest: one bot, in personal chats and in teams, with its commands."""
    return {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": app.version,
        # The app's id is the bot's: one id for council IT to follow from Azure to Teams.
        "id": app.app_id,
        "developer": {
            "name": app.council,
            "websiteUrl": app.website,
            "privacyUrl": app.privacy_url,
            "termsOfUseUrl": app.terms_url,
        },
        "name": {"short": SHORT_NAME, "full": FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT,
        "bots": [
            {
                "botId": app.app_id,
                "scopes": ["personal", "team"],
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": [
                    {
                        "scopes": ["personal"],
                        "commands": [
                            {"title": title, "description": hint} for title, hint in COMMANDS
                        ],
                    }
                ],
            }
        ],
        "validDomains": [app.host] if app.host else [],
    }


def color_icon() -> bytes:
    """192×192, full colour on a solid square: Red, Amber and Green bars rising on a white
    baseline, all inside the middle 96×96 so Teams' rounded and hexagonal crops keep them."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (COLOR_SIZE, COLOR_SIZE), _rgb(ACCENT))
    draw = ImageDraw.Draw(image)
    left = (COLOR_SIZE - SYMBOL_SIZE) // 2
    bottom = left + SYMBOL_SIZE - 1  # the symbol's last row
    baseline = 4
    for step, (height, colour) in enumerate(((36, RED), (60, AMBER), (84, GREEN))):
        x = left + step * 36  # bars 24 wide, 12 apart: 3×24 + 2×12 = 96
        draw.rectangle((x, bottom - baseline - height + 1, x + 23, bottom - baseline), fill=colour)
    draw.rectangle((left, bottom - baseline + 1, left + SYMBOL_SIZE - 1, bottom), fill=WHITE)
    return _png(image)


def outline_icon() -> bytes:
    """32×32, pure white on fully transparent (no half-transparent edges), the same rising bars
    reaching every edge: Teams asks for no padding around the symbol."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (OUTLINE_SIZE, OUTLINE_SIZE), (*WHITE, 0))
    draw = ImageDraw.Draw(image)
    for step, height in enumerate((14, 23, OUTLINE_SIZE)):
        x = step * 12  # bars 8 wide, 4 apart: 3×8 + 2×4 = 32
        draw.rectangle((x, OUTLINE_SIZE - height, x + 7, OUTLINE_SIZE - 1), fill=(*WHITE, 255))
    return _png(image)


def _rgb(colour: str) -> tuple[int, int, int]:
    return (int(colour[1:3], 16), int(colour[3:5], 16), int(colour[5:7], 16))


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def files(app: Details) -> Sequence[tuple[str, bytes]]:
    """The package's files, by their names at the root of the zip."""
    text = json_text(manifest(app))
    return (
        (MANIFEST_FILE, text.encode("utf-8")),
        (COLOR_ICON, color_icon()),
        (OUTLINE_ICON, outline_icon()),
    )


def json_text(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def package(app: Details) -> bytes:
    """The zip, every file at its root (Teams reads nothing from folders)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files(app):
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def write(app: Details, out: Path) -> None:
    """Write the package to `out` whole or not at all: a failed write leaves nothing behind."""
    if out.is_dir():
        raise PackageError(
            f"--out {out} is a folder: give a file name, e.g. {out / 'pmf-bot.zip'}."
        )
    if out.suffix.lower() != ".zip":
        raise PackageError(
            f"--out {out} should end in .zip: Teams takes the app package as a zip file, "
            "e.g. --out pmf-bot.zip."
        )
    folder = out.parent
    if not folder.is_dir():
        raise PackageError(
            f"Cannot write {out}: the folder {folder} does not exist. Create it first, or choose "
            "another place."
        )
    data = package(app)
    temporary: str | None = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".pmf-bot-", suffix=".part", dir=folder)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, out)
        temporary = None
    except OSError as error:
        raise PackageError(
            f"Cannot write {out}: {error.strerror or error}. Choose a folder you can write to."
        ) from None
    finally:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
