"""Who someone is, and what they may do, read from current data (issue 9 items 3 and 4):
through the real Bolt app over signed HTTP, against the Slack stand-in, on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bot import services
from tests.slack_harness import EXAMPLES, Bot, running_bot
from tests.test_slack_support import CHRIS, POLICY, command, settle, text_of

REFUSED_POST = "Only the Performance & Policy Officer (an admin in the register) can post"


@pytest.fixture
def live(db_url: str) -> Iterator[Bot]:
    with running_bot(db_url, actuals=False) as running:
        yield running
        settle(running)


def _register_with_admins(tmp_path: Path, admins: list[str]) -> Path:
    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    data["admins"] = admins
    path = tmp_path / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_a_revoked_admin_loses_admin_powers_at_once(live: Bot, tmp_path: Path) -> None:
    preview = text_of(command(live, POLICY, "summary 2026-27 Q2"))
    assert "Admins can post it with" in preview  # the bot knows her as an admin
    assert REFUSED_POST in text_of(command(live, CHRIS, "summary 2026-27 Q2 #performance"))

    # The register is re-imported (by another process, as `pmf-bot import register` is) with
    # Chris as the only admin: the running bot follows it from the next command.
    services.import_register(
        live.engine, _register_with_admins(tmp_path, [CHRIS]), actor="setup", now=live.clock()
    )
    refused = text_of(command(live, POLICY, "summary 2026-27 Q2 #performance"))
    assert REFUSED_POST in refused
    assert "Admins can post it with" not in text_of(command(live, POLICY, "summary 2026-27 Q2"))
    assert "Admins can post it with" in text_of(command(live, CHRIS, "summary 2026-27 Q2"))
