"""Who someone is, and what they may do, read from current data (issue 9 items 3 and 4):
through the real Bolt app over signed HTTP, against the Slack stand-in, on SQLite and
PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from sqlmodel import select

from bot import services
from handlers.slack import ids
from storage.engine import read_session
from storage.models import AuditEvent, Person
from tests.conftest import Cli
from tests.slack_harness import EXAMPLES, Bot, running_bot
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    POLICY,
    buttons,
    cards,
    command,
    command_as,
    reviews,
    settle,
    submissions,
    submit_figure,
    text_of,
    wait_until,
)

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


# -- a second account claiming a linked person's e-mail (item 3) ---------------------------------


def test_a_second_account_with_a_linked_persons_email_is_refused_until_an_admin_rebinds(
    live: Bot, cli: Cli
) -> None:
    # Helen Carter reviews SE1.1 and has used the bot from her own Slack account.
    helen = live.uid(HOS)
    command(live, HOS, "due")
    # A second account whose profile claims her e-mail (in other letters) arrives.
    other = live.slack.add_user("Hos.Environment@Example.gov.uk", "Helen Carter")
    said = text_of(command_as(live, other, "due"))
    assert "This Slack account isn't linked to Helen Carter" in said
    assert "ask your PMF admin" in said and "hos.environment@" not in said.lower()

    submit_figure(live, JANE, "SE1.1", "36.5")
    [card] = cards(live, HOS)
    seen = len(live.slack.ephemeral_messages(user=other))
    answer = live.user.block_action(other, ids.APPROVE, buttons(card)[ids.APPROVE], message=card)
    assert answer.status == 200
    wait_until(lambda: len(live.slack.ephemeral_messages(user=other)) > seen, what="a refusal")
    assert "isn't linked to Helen Carter" in text_of(live.slack.ephemeral_messages(user=other))
    [version] = submissions(live, "SE1.1")
    assert version.id is not None and reviews(live, version.id) == []
    with read_session(live.engine) as session:
        bound = session.exec(select(Person.slack_user_id).where(Person.email == HOS)).one()
        refusals = session.exec(
            select(AuditEvent).where(AuditEvent.action == "person.bind_refused")
        ).all()
    assert bound == helen  # her binding is untouched
    assert refusals and refusals[0].entity_key == HOS and other in str(refusals[0].actor)

    # The admins are told once, through the outbox, naming people by name.
    settle(live)
    told = [text_of(m) for m in live.dms(POLICY) if "says its e-mail address" in text_of(m)]
    assert len(told) == 1, told
    assert f"A Slack account, {other}" in told[0] and "Helen Carter's" in told[0]
    assert "pmf-bot people rebind" in told[0]

    # Rebinding is an admin's act, from the command line, and audited.
    listed = cli("people", "list")
    assert listed.code == 0, listed.err
    line = next(row for row in listed.out.splitlines() if row.startswith("Helen Carter"))
    assert helen in line and "reviewer" in line and "head of service" in line
    assert cli("people", "rebind", HOS, "--slack-user", other, "--by", JANE).code == 1
    done = cli("people", "rebind", HOS, "--slack-user", other, "--by", POLICY)
    assert done.code == 0, done.err
    assert f"Helen Carter is now linked to Slack account {other} (was {helen})" in done.out
    with read_session(live.engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "person.rebind")).one()
    assert event.actor == POLICY and event.entity_key == HOS

    # Now the new account is Helen's, and the old one is refused in its turn.
    answer = live.user.block_action(other, ids.APPROVE, buttons(card)[ids.APPROVE], message=card)
    assert answer.status == 200
    wait_until(lambda: reviews(live, version.id or 0) != [], what="Helen's approval")
    assert reviews(live, version.id)[0].decided_by == HOS
    assert "isn't linked to Helen Carter" in text_of(command_as(live, helen, "due"))


# -- the same on the Teams surface (item 4) -----------------------------------------------------


def test_a_revoked_admin_loses_admin_powers_at_once_in_teams(db_url: str, tmp_path: Path) -> None:
    from tests.teams_harness import running_teams_bot

    with running_teams_bot(db_url, actuals=False, deliver=False) as teams:
        teams.say(POLICY, "summary 2026-27 Q2")
        assert "Admins can post it with" in json.dumps(teams.chat(POLICY)[-1])
        services.import_register(
            teams.engine, _register_with_admins(tmp_path, [CHRIS]), actor="setup", now=teams.clock()
        )
        teams.say(POLICY, "summary 2026-27 Q2")
        assert "Admins can post it with" not in json.dumps(teams.chat(POLICY)[-1])
