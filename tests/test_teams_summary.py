"""Summaries and the chart in Teams channels named in the register, and people Teams cannot
reach named in the admins' digest (issue 12, PRODUCT §3, §6, §10), on SQLite and PostgreSQL.

The register names a Teams channel by its link ("Get link to channel") or its id
`19:…@thread.tacv2`; on the Performance Board date the summary is posted there once, with its
exception reports and the chart in the post's thread. Someone the bot has never met in Teams
gets no reminder, and the admins' missing-data digest says so.
"""

from __future__ import annotations

import base64
import io
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import yaml
from PIL import Image

from bot import services
from bot.chat import channels
from bot.delivery import tick
from bot.errors import InputRejected
from bot.periods import Period
from bot.summaries import summary_tick
from tests.slack_harness import EXAMPLES
from tests.teams_harness import TeamsBot, running_teams_bot

LONDON = ZoneInfo("Europe/London")
Q2 = "2026-27 Q2"
POLICY = "policy.officer@example.gov.uk"  # the admin
JANE = "jane.doe@example.gov.uk"  # collects SE1.1
SAM = "sam.lee@example.gov.uk"  # collects SE1.2, never opens Teams here
TEAM = "19:team-performance@thread.tacv2"  # the team's General channel: the team's id
SE_CHANNEL = "19:se-performance-7c1f@thread.tacv2"  # another channel of that team
LINK = (
    "https://teams.microsoft.com/l/channel/"
    + quote(TEAM, safe="")
    + "/General?groupId=6e3c8f9a-0000-4000-8000-000000000abc&tenantId=11111111"
)


def teams_register(tmp_path: Path) -> Path:
    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    data["channels"] = {"all": LINK, "priorities": {"SE": SE_CHANNEL}}
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def board_moment(bot: TeamsBot) -> datetime:
    council = services.council_info(bot.engine)
    board = council.calendar.performance_board_date(
        Period.parse(Q2), council.performance_board_weeks
    )
    return datetime.combine(board, council.reminders.at, tzinfo=LONDON) + timedelta(minutes=5)


def images(activity: dict[str, Any]) -> list[bytes]:
    found = []
    for attachment in activity.get("attachments") or []:
        url = str(attachment.get("contentUrl") or "")
        if attachment.get("contentType") == "image/png" and url.startswith("data:image/png;"):
            found.append(base64.b64decode(url.split(",", 1)[1]))
    return found


# -- the register's Teams channels -------------------------------------------------------------


def test_a_teams_channel_is_written_as_its_link_or_its_id() -> None:
    assert channels.address(LINK) == TEAM
    assert channels.address(f"  {SE_CHANNEL} ") == SE_CHANNEL
    assert channels.address("#performance") == "#performance"
    assert channels.address("C0123ABCD") == "C0123ABCD"
    for wrong in (
        "performance",  # no #
        "https://teams.microsoft.com/l/chat/19:abc@thread.v2/0",  # a chat, not a channel
        "http://teams.microsoft.com/l/channel/" + quote(TEAM, safe="") + "/General",  # http
        "19:abc@thread.tacv2/General",
    ):
        with pytest.raises(ValueError, match="is not a channel"):
            channels.address(wrong)


def test_a_register_naming_something_that_is_not_a_channel_is_refused(
    db_url: str, tmp_path: Path
) -> None:
    from storage.engine import make_engine
    from storage.migrate import upgrade

    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    data["channels"] = {"all": "performance team", "priorities": {"SE": SE_CHANNEL}}
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    engine = make_engine(db_url)
    upgrade(engine)
    with pytest.raises(InputRejected) as refused:
        services.import_register(engine, path, actor="setup", now=datetime.now(LONDON))
    assert "channels.all" in refused.value.summary()
    assert "'performance team' is not a channel" in refused.value.summary()
    assert "19:…@thread.tacv2" in refused.value.summary()
    engine.dispose()


def test_the_summary_and_chart_go_to_the_registers_teams_channels_once(
    db_url: str, tmp_path: Path
) -> None:
    with running_teams_bot(db_url) as bot:
        services.import_register(
            bot.engine, teams_register(tmp_path), actor="setup", now=bot.clock()
        )
        admin = bot.people[POLICY]
        assert bot.client.install(admin).status_code == 200
        assert bot.client.add_to_team(admin, team=TEAM, general=TEAM).status_code == 200
        council = services.council_info(bot.engine)
        assert council.channels == {"all": TEAM, "priorities": {"SE": SE_CHANNEL}}

        when = board_moment(bot)
        bot.clock.now = when
        assert summary_tick(bot.engine, council, bot.deps.transport, now=when) == 2

        for channel, scope in ((TEAM, "the council"), (SE_CHANNEL, "SE")):
            posts = bot.teams.sent_to(channel)
            assert len(posts) == 1, (channel, posts)
            [post] = posts
            assert Q2 in post["summary"], post["summary"]
            assert post["attachments"][0]["content"]["version"] == "1.5"
            thread = bot.teams.sent_to(f"{channel};messageid={post['id']}")
            assert thread, f"nothing in the thread of {scope}'s post"
            [chart] = [png for reply in thread for png in images(reply)]
            picture = Image.open(io.BytesIO(chart))
            assert picture.format == "PNG"
            assert max(picture.size) <= 1024 and len(chart) <= 1024 * 1024  # Teams' limits
        # The bot's own token on every post, to the service URL Teams gave.
        posted = [c for c in bot.teams.calls if c.method == "POST" and "thread.tacv2" in c.path]
        assert posted and all((c.authorization or "").startswith("Bearer bot-") for c in posted)

        # Once: another tick (or another process) posts nothing more.
        calls = len(bot.teams.calls)
        assert summary_tick(bot.engine, council, bot.deps.transport, now=when) == 0
        assert len(bot.teams.calls) == calls


def test_someone_teams_cannot_reach_is_named_in_the_admins_digest(db_url: str) -> None:
    with running_teams_bot(db_url) as bot:
        for email in (POLICY, JANE):
            assert bot.client.install(bot.people[email]).status_code == 200
        council = services.council_info(bot.engine)

        def run(day: str) -> None:
            when = datetime.combine(datetime.fromisoformat(day).date(), time(9, 5), tzinfo=LONDON)
            bot.clock.now = when
            tick(
                bot.engine,
                council,
                bot.deps.transport,
                now=when,
                zone=LONDON,
                worker="test",
                sleep=lambda seconds: None,
            )
            bot.settle()

        run("2026-10-07")  # five working days before SE1.1's and SE1.2's deadline
        assert [a["summary"] for a in bot.chat(JANE) if a["summary"].startswith("Reminder")]
        assert bot.teams.sent_to(bot.teams.personal_conversation(bot.people[SAM])) == []
        run("2026-10-08")
        [digest] = [a for a in bot.chat(POLICY) if a["summary"].startswith("Missing-data digest")]
        shown = str(digest["attachments"][0]["content"]).replace("\\\\", "")
        assert "Reminders not yet delivered" in shown
        assert SAM in shown and "SE1.2" in shown
        assert f"{SAM} is not found on Teams: the bot has no account or chat for them" in shown


def test_an_admin_posts_a_summary_to_a_teams_channel_from_the_command_line(
    db_url: str, tmp_path: Path
) -> None:
    from tests.conftest import Cli

    with running_teams_bot(db_url, deliver=False) as bot:
        admin = bot.people[POLICY]
        assert bot.client.add_to_team(admin, team=TEAM, general=TEAM).status_code == 200
        cli = Cli(db_url, tmp_path)
        env = bot.teams.settings()
        result = cli("summary", "--period", Q2, "--post", LINK, "--by", POLICY, env=env)
        assert result.code == 0, result.err
        assert f"Posted the {Q2} summary to {TEAM}" in result.out
        [post] = bot.teams.sent_to(TEAM)
        assert Q2 in post["summary"]
        thread = bot.teams.sent_to(f"{TEAM};messageid={post['id']}")
        assert [png for reply in thread for png in images(reply)]  # the chart
        # Without the bot's Teams settings, or to something that is not a channel: plainly.
        missing = cli("summary", "--period", Q2, "--post", TEAM)
        assert missing.code == 1 and "TEAMS_APP_ID is not set" in missing.err
        wrong = cli("summary", "--period", Q2, "--post", "performance team", env=env)
        assert wrong.code == 1 and "is not a channel" in wrong.err
        assert "Traceback" not in missing.err + wrong.err
        assert len(bot.teams.sent_to(TEAM)) == 1


def test_an_admin_posts_a_summary_from_the_teams_chat(db_url: str, tmp_path: Path) -> None:
    """`summary QUARTER <the channel's link>` in the personal chat posts it now (once, with its
    thread), remembers and audits the post; a Slack channel, or someone who is not an admin,
    is told what to do instead."""
    from sqlmodel import select

    from storage.engine import read_session
    from storage.models import AuditEvent

    with running_teams_bot(db_url) as bot:
        services.import_register(
            bot.engine, teams_register(tmp_path), actor="setup", now=bot.clock()
        )
        for email in (POLICY, JANE):
            assert bot.client.install(bot.people[email]).status_code == 200
        admin = bot.people[POLICY]
        assert bot.client.add_to_team(admin, team=TEAM, general=TEAM).status_code == 200

        def last_words(email: str) -> str:
            bot.settle()
            card = bot.chat(email)[-1]["attachments"][0]["content"]
            return " ".join(b.get("text", "") for b in card["body"]).replace("\\", "")

        bot.say(POLICY, f"summary {Q2}")
        assert "the channel's link from Get link to channel" in last_words(POLICY)

        bot.say(POLICY, f"summary {Q2} #performance")
        assert "is a Slack channel" in last_words(POLICY)
        assert bot.teams.sent_to(TEAM) == []

        bot.say(JANE, f"summary {Q2} {LINK}")
        assert "Only the Performance & Policy Officer" in last_words(JANE)
        assert bot.teams.sent_to(TEAM) == []

        bot.say(POLICY, f"summary {Q2} {LINK}")
        assert f"Posted the {Q2} summary to the Teams channel" in last_words(POLICY)
        [post] = bot.teams.sent_to(TEAM)
        assert Q2 in post["summary"]
        assert bot.teams.sent_to(f"{TEAM};messageid={post['id']}")  # its thread
        with read_session(bot.engine) as session:
            [event] = session.exec(
                select(AuditEvent).where(AuditEvent.action == "summary.post")
            ).all()
        assert event.actor == POLICY and event.entity_key == f"{Q2} {TEAM}"
