"""`pmf-bot teams package` against Microsoft's published requirements for a Teams app package.

The rules are written out here from Microsoft's own sources, not read from the code under test:
- the app manifest JSON schema (MicrosoftTeams.schema.json, OfficeDev/microsoft-teams-app-schema;
  releases 1.17 to 1.29): required fields, `definitions.guid`, `definitions.semver`,
  `definitions.hexColor`, the lengths of `developer.name` (32), `name.short` (30) and `name.full`
  (100), `description.short` (80) and `description.full` (4000), URLs (`anyHttpUrl`, 2048), one
  bot, `commandLists` (3 lists), and the limits of commands that hold for every release from 1.17
  on (at most 10 a list, titles of 32 characters, descriptions of 128: 1.22 raised them to 12,
  128 and 4000), `validDomains` (at most 16 until 1.27, 2048 characters each);
- "Teams app package" (learn.microsoft.com, microsoftteams/platform/concepts/build-and-test/
  apps-package): `color.png` 192×192 with its symbol in the middle 96×96 on a solid or fully
  transparent square; `outline.png` 32×32, white (255, 255, 255) where drawn and fully
  transparent (alpha 0) everywhere else, no other colours, no padding around the symbol;
- "App package for Microsoft 365" (the same rules; files named in the manifest at the zip's root).

Set PMF_TEAMS_MANIFEST_SCHEMA to a copy of Microsoft's MicrosoftTeams.schema.json (for the
manifest version written) to check the package against the whole official schema as well.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from PIL import Image

from bot.chat import conversation
from bot.chat import status as status_view
from bot.chat.model import plain_of
from handlers.teams import package
from tests.conftest import Cli

APP_ID = "5d7e1c3a-9b2f-4e61-a8c4-3f0b6d2e9a17"
HOST = "pmf.example.gov.uk"

# -- Microsoft's rules ----------------------------------------------------------------------------

GUID = r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$"  # definitions.guid
SEMVER = r"^([0-9]|[1-9]+[0-9]*)\.([0-9]|[1-9]+[0-9]*)\.([0-9]|[1-9]+[0-9]*)$"  # definitions.semver
HEX_COLOR = r"^#[0-9a-fA-F]{6}$"  # definitions.hexColor
WEB_URL = {"type": "string", "maxLength": 2048, "pattern": r"^[Hh][Tt][Tt][Pp][Ss]?://"}
RELATIVE_PATH = {"type": "string", "maxLength": 2048}
SCOPES = {"enum": ["team", "personal", "groupChat"]}


def _strict(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": properties,
        "required": required,
    }


COMMAND = _strict(
    {
        "title": {"type": "string", "minLength": 1, "maxLength": 32},
        "description": {"type": "string", "minLength": 1, "maxLength": 128},
    },
    ["title", "description"],
)
BOT = _strict(
    {
        "botId": {"type": "string", "pattern": GUID},
        "scopes": {"type": "array", "minItems": 1, "maxItems": 3, "items": SCOPES},
        "isNotificationOnly": {"type": "boolean"},
        "supportsFiles": {"type": "boolean"},
        "commandLists": {
            "type": "array",
            "maxItems": 3,
            "items": _strict(
                {
                    "scopes": {"type": "array", "maxItems": 3, "items": SCOPES},
                    "commands": {"type": "array", "maxItems": 10, "items": COMMAND},
                },
                ["scopes", "commands"],
            ),
        },
    },
    ["botId", "scopes"],
)
RULES = _strict(
    {
        "$schema": {"type": "string", "pattern": r"^https://"},
        "manifestVersion": {"type": "string", "pattern": r"^1\.[0-9]+$"},
        "version": {"type": "string", "maxLength": 256, "pattern": SEMVER},
        "id": {"type": "string", "pattern": GUID},
        "developer": _strict(
            {
                "name": {"type": "string", "minLength": 1, "maxLength": 32},
                "websiteUrl": WEB_URL,
                "privacyUrl": WEB_URL,
                "termsOfUseUrl": WEB_URL,
            },
            ["name", "websiteUrl", "privacyUrl", "termsOfUseUrl"],
        ),
        "name": _strict(
            {
                "short": {"type": "string", "minLength": 1, "maxLength": 30},
                "full": {"type": "string", "minLength": 1, "maxLength": 100},
            },
            ["short", "full"],
        ),
        "description": _strict(
            {
                "short": {"type": "string", "minLength": 1, "maxLength": 80},
                "full": {"type": "string", "minLength": 1, "maxLength": 4000},
            },
            ["short", "full"],
        ),
        "icons": _strict({"color": RELATIVE_PATH, "outline": RELATIVE_PATH}, ["color", "outline"]),
        "accentColor": {"type": "string", "pattern": HEX_COLOR},
        "bots": {"type": "array", "minItems": 1, "maxItems": 1, "items": BOT},
        "validDomains": {
            "type": "array",
            "maxItems": 16,
            "items": {"type": "string", "maxLength": 2048},
        },
    },
    [
        "manifestVersion",
        "version",
        "id",
        "developer",
        "name",
        "description",
        "icons",
        "accentColor",
        "bots",
        "validDomains",
    ],
)


def problems(manifest: dict[str, Any]) -> list[str]:
    checker = jsonschema.Draft7Validator(RULES)
    return sorted(
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message}"
        for error in checker.iter_errors(manifest)
    )


# -- helpers --------------------------------------------------------------------------------------


def built(**given: Any) -> package.Details:
    return package.details(given.pop("app_id", APP_ID), **({"host": HOST} | given))


def unpacked(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        return {name: archive.read(name) for name in archive.namelist()}


def pixel(image: Image.Image, x: int, y: int) -> tuple[int, int, int, int]:
    found = image.getpixel((x, y))
    assert isinstance(found, tuple) and len(found) == 4
    return (found[0], found[1], found[2], found[3])


def manifest_of(files: dict[str, bytes]) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(files["manifest.json"].decode("utf-8"))
    return data


@pytest.fixture
def teams_cli(sqlite_cli: Cli, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The real command, with no Teams settings from the machine running the tests."""
    for name in list(os.environ):
        if name.startswith("TEAMS_"):
            monkeypatch.delenv(name)
    return sqlite_cli


# -- the manifest ---------------------------------------------------------------------------------


def test_the_manifest_follows_microsofts_rules() -> None:
    manifest = package.manifest(built(council="Example District Council"))
    assert problems(manifest) == []
    assert float(manifest["manifestVersion"]) >= 1.17
    assert manifest["$schema"] == (
        "https://developer.microsoft.com/json-schemas/teams/"
        f"v{manifest['manifestVersion']}/MicrosoftTeams.schema.json"
    )
    assert manifest["validDomains"] == [HOST]
    assert manifest["developer"]["name"] == "Example District Council"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda m: m.update(id="pmf-bot"), "id: 'pmf-bot' does not match"),
        (lambda m: m.update(version="1.0"), "version: '1.0' does not match"),
        (lambda m: m["name"].update(short="P" * 31), "name/short: "),
        (lambda m: m["description"].update(short="d" * 81), "description/short: "),
        (lambda m: m["developer"].update(name="D" * 33), "developer/name: "),
        (lambda m: m["developer"].update(privacyUrl="intranet/privacy"), "developer/privacyUrl"),
        (lambda m: m.update(packageName="uk.gov.example.pmf"), "'packageName' was unexpected"),
        (lambda m: m.update(accentColor="blue"), "accentColor: 'blue' does not match"),
        (
            lambda m: m["bots"][0]["commandLists"][0]["commands"].extend(
                [{"title": f"more{n}", "description": "more"} for n in range(3)]
            ),
            "bots/0/commandLists/0/commands: ",
        ),
        (
            lambda m: m["bots"][0]["commandLists"][0]["commands"][0].update(title="t" * 33),
            "bots/0/commandLists/0/commands/0/title: ",
        ),
        (
            lambda m: m["bots"][0]["commandLists"][0]["commands"][0].update(description="d" * 129),
            "bots/0/commandLists/0/commands/0/description: ",
        ),
        (lambda m: m["bots"][0].update(botId="28:pmf"), "bots/0/botId: '28:pmf' does not match"),
    ],
)
def test_the_rules_catch_what_teams_would_refuse(change: Any, complaint: str) -> None:
    manifest = package.manifest(built())
    change(manifest)
    found = problems(manifest)
    assert len(found) == 1 and complaint in found[0], found


def test_the_bot_and_the_app_are_the_teams_app_id() -> None:
    manifest = package.manifest(built())
    assert manifest["id"] == APP_ID
    assert [bot["botId"] for bot in manifest["bots"]] == [APP_ID]


def test_the_bot_lives_in_personal_chats_and_teams() -> None:
    (bot,) = package.manifest(built())["bots"]
    assert bot["scopes"] == ["personal", "team"]
    assert bot["isNotificationOnly"] is False  # people talk to it


def test_the_compose_box_offers_the_pmf_commands_without_the_slash() -> None:
    (bot,) = package.manifest(built())["bots"]
    (commands,) = bot["commandLists"]
    assert commands["scopes"] == ["personal"]
    titles = [command["title"] for command in commands["commands"]]
    assert sorted(titles) == sorted(conversation.COMMANDS)  # every command, and only those
    assert not any(title.startswith("/") for title in titles)
    for command in commands["commands"]:  # each example is the command itself, slash-free
        examples = re.findall(r"e\.g\. (\w+)", command["description"])
        assert examples in ([], [command["title"]]), command


def test_the_compose_box_follows_the_help_message() -> None:
    """The same commands in the same order as `help`, and what sign-off covers said alike:
    Heads of Service sign off their projects as well as their measures."""
    helped = {usage.split()[0]: plain_of(words) for usage, words in status_view.HELP}
    assert [title for title, _ in package.COMMANDS] == list(helped)
    hint = dict(package.COMMANDS)["signoff"]
    assert "sign off your measures and projects" in helped["signoff"]
    assert "sign off your measures and projects" in hint


def test_the_app_version_is_pmf_bots_or_the_one_given() -> None:
    assert package.manifest(built())["version"] == package.pmf_bot_version()
    assert re.match(SEMVER, package.pmf_bot_version())
    assert package.manifest(built(version="2.3.10"))["version"] == "2.3.10"
    with pytest.raises(package.PackageError, match=r"three numbers such as 1\.0\.0"):
        built(version="2.3")


# -- the files ------------------------------------------------------------------------------------


def test_the_package_holds_the_manifest_and_both_icons_at_its_root() -> None:
    files = unpacked(package.package(built()))
    assert sorted(files) == ["color.png", "manifest.json", "outline.png"]
    manifest = manifest_of(files)
    assert {manifest["icons"]["color"], manifest["icons"]["outline"]} <= set(files)
    assert problems(manifest) == []


def test_the_colour_icon_is_192_square_on_a_solid_background() -> None:
    image = Image.open(io.BytesIO(unpacked(package.package(built()))["color.png"]))
    assert (image.format, image.size) == ("PNG", (192, 192))
    pixels = image.convert("RGBA")
    assert {pixel(pixels, x, y)[3] for x in range(192) for y in range(192)} == {255}
    outside = {
        pixel(pixels, x, y)
        for x in range(192)
        for y in range(192)
        if not (48 <= x < 144 and 48 <= y < 144)  # the symbol keeps to the middle 96×96
    }
    assert len(outside) == 1  # one solid colour around it
    inside = {pixel(pixels, x, y) for x in range(48, 144) for y in range(48, 144)}
    assert len(inside) >= 4  # a symbol in full colour, not a blank square


def test_the_outline_icon_is_32_square_white_on_transparent_without_padding() -> None:
    image = Image.open(io.BytesIO(unpacked(package.package(built()))["outline.png"]))
    assert (image.format, image.size, image.mode) == ("PNG", (32, 32), "RGBA")
    pixels = [pixel(image, x, y) for x in range(32) for y in range(32)]
    drawn = [dot for dot in pixels if dot[3] != 0]
    assert {dot[3] for dot in pixels} == {0, 255}  # opaque or fully transparent
    assert {dot[:3] for dot in drawn} == {(255, 255, 255)}  # and only white
    assert 0 < len(drawn) < len(pixels)
    assert image.getbbox() == (0, 0, 32, 32)  # the symbol reaches every edge


def test_the_same_settings_always_give_the_same_bytes() -> None:
    assert package.package(built()) == package.package(built())
    assert package.package(built()) != package.package(built(council="Another Council"))


@pytest.mark.skipif(
    not os.environ.get("PMF_TEAMS_MANIFEST_SCHEMA"),
    reason="set PMF_TEAMS_MANIFEST_SCHEMA to Microsoft's MicrosoftTeams.schema.json to check "
    "the manifest against the whole official schema",
)
def test_the_manifest_passes_microsofts_own_schema() -> None:
    schema = json.loads(Path(os.environ["PMF_TEAMS_MANIFEST_SCHEMA"]).read_text(encoding="utf-8"))
    checker = jsonschema.validators.validator_for(schema)(schema)
    manifest = package.manifest(built(council="Example District Council"))
    assert [error.message for error in checker.iter_errors(manifest)] == []


# -- what the command takes -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "given",
    [HOST, f"https://{HOST}", f"https://{HOST}/api/messages", f"  {HOST.upper()}/  "],
)
def test_the_host_may_be_given_as_a_name_or_the_whole_endpoint(given: str) -> None:
    app = package.details(APP_ID, host=given)
    assert app.messaging_endpoint == f"https://{HOST}/api/messages"
    assert package.manifest(app)["validDomains"] == [HOST]
    assert package.manifest(app)["developer"]["websiteUrl"] == f"https://{HOST}/"


def test_a_port_is_kept_in_the_endpoint_but_not_the_domain() -> None:
    app = package.details(APP_ID, host=f"https://{HOST}:8443/api/messages")
    assert app.messaging_endpoint == f"https://{HOST}:8443/api/messages"
    assert package.manifest(app)["validDomains"] == [HOST]


def test_the_councils_own_pages_may_be_given() -> None:
    app = package.details(
        APP_ID,
        website="https://www.example.gov.uk/pmf",
        privacy_url="https://www.example.gov.uk/privacy",
    )
    developer = package.manifest(app)["developer"]
    assert developer["websiteUrl"] == "https://www.example.gov.uk/pmf"
    assert developer["privacyUrl"] == "https://www.example.gov.uk/privacy"
    assert developer["termsOfUseUrl"] == "https://www.example.gov.uk/pmf"
    assert package.manifest(app)["validDomains"] == []


@pytest.mark.parametrize(
    ("given", "said"),
    [
        ({"app_id": None}, "TEAMS_APP_ID is not set. Set it to the bot's Microsoft app id"),
        ({"app_id": "  "}, "TEAMS_APP_ID is not set"),
        ({"app_id": "my-bot"}, "TEAMS_APP_ID 'my-bot' is not a Microsoft app id: it should be a"),
        ({"host": None}, "Give --host with the address where pmf-bot is reached"),
        ({"host": f"http://{HOST}"}, "Teams only reaches bots over https"),
        ({"host": "localhost"}, "is not a host name Teams can reach"),
        ({"host": "10.0.0.7"}, "is not a host name Teams can reach"),
        ({"host": f"{HOST}:port"}, "has a port that is not a number"),
        ({"website": "www.example.gov.uk"}, "--website 'www.example.gov.uk' is not a web addr"),
        ({"terms_url": "http://example.gov.uk/t"}, "starting https://"),
        ({"council": "The Royal Borough of Kensington and Chelsea"}, "1 to 32 characters"),
        ({"council": "Example\nCouncil"}, "on one line"),
    ],
)
def test_what_is_wrong_is_said_plainly(given: dict[str, Any], said: str) -> None:
    with pytest.raises(package.PackageError) as caught:
        built(**given)
    assert said in str(caught.value)


@pytest.mark.parametrize(
    ("out", "said"),
    [
        ("missing/pmf-bot.zip", "the folder {tmp}/missing does not exist"),
        (".", "is a folder: give a file name, e.g. {tmp}/pmf-bot.zip"),
        ("old.zip", "is a folder: give a file name, e.g. {tmp}/old.zip/pmf-bot.zip"),
        ("pmf-bot.json", "should end in .zip"),
        ("a-file/pmf-bot.zip", "the folder {tmp}/a-file does not exist"),
    ],
)
def test_an_unwritable_out_is_said_plainly_and_nothing_is_left(
    tmp_path: Path, out: str, said: str
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    (tmp_path / "old.zip").mkdir()
    before = sorted(tmp_path.iterdir())
    target = tmp_path / out if out != "." else tmp_path
    with pytest.raises(package.PackageError) as caught:
        package.write(built(), target)
    assert said.format(tmp=tmp_path) in str(caught.value)
    assert sorted(tmp_path.iterdir()) == before


# -- through the real command ---------------------------------------------------------------------


def test_the_command_writes_the_package(teams_cli: Cli) -> None:
    result = teams_cli(
        "teams",
        "package",
        "--out",
        "pmf-bot.zip",
        "--host",
        HOST,
        "--council",
        "Example District Council",
        env={"TEAMS_APP_ID": APP_ID, "TEAMS_APP_PASSWORD": "never-printed-secret"},
    )
    assert result.code == 0, result.err
    assert "Wrote the Teams app package to pmf-bot.zip: manifest.json (app manifest" in result.out
    assert f"messaging endpoint should be https://{HOST}/api/messages" in result.out
    assert "never-printed-secret" not in result.out + result.err
    files = unpacked((teams_cli.cwd / "pmf-bot.zip").read_bytes())
    manifest = manifest_of(files)
    assert problems(manifest) == []
    assert manifest["bots"][0]["botId"] == APP_ID
    assert manifest["developer"]["name"] == "Example District Council"


def test_the_command_says_what_to_set_without_teams_app_id(teams_cli: Cli) -> None:
    result = teams_cli("teams", "package", "--out", "pmf-bot.zip", "--host", HOST)
    assert result.code == 1
    assert result.err.startswith("TEAMS_APP_ID is not set. Set it to the bot's Microsoft app id")
    assert "Traceback" not in result.err
    assert not (teams_cli.cwd / "pmf-bot.zip").exists()


def test_the_command_says_when_it_cannot_write(teams_cli: Cli) -> None:
    result = teams_cli(
        "teams",
        "package",
        "--out",
        "no-such-folder/pmf-bot.zip",
        "--host",
        HOST,
        env={"TEAMS_APP_ID": APP_ID},
    )
    assert result.code == 1
    assert "Cannot write no-such-folder/pmf-bot.zip: the folder no-such-folder does not exist" in (
        result.err
    )
    assert "Traceback" not in result.err
