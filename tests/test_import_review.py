"""History import cannot skip review (issue 10; PRODUCT §4, seed 002 §10.5).

`import actuals` stores as approved only periods whose Performance Board date has passed;
a row for a later period is a submission from the named person, sent for review through the
outbox like one made in chat. `--by` names a person in the register. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import col, select

from bot import services
from bot.delivery import tick
from bot.errors import InputRejected
from handlers.slack import ids
from storage.engine import read_session
from storage.models import AuditEvent, Measure, PeriodValue, Submission
from storage.models import OutboxItem as Reminder
from tests.conftest import ADMIN, EXAMPLES, Cli
from tests.slack_harness import Bot
from tests.test_slack_support import buttons, settle, wait_until

JANE = "jane.doe@example.gov.uk"  # collects SE1.1 and SE2.3
SAM = "sam.lee@example.gov.uk"  # collects SE1.2
HOS_ENV = "hos.environment@example.gov.uk"  # Helen Carter, reviews SE1.1
WASTE = "waste.manager@example.gov.uk"  # Gareth Price, reviews SE1.2
TODAY = date(2025, 7, 15)  # 2025-26 Q1 has ended; its Board (Mon 21 Jul 2025) has not passed
NOW = datetime(2025, 7, 15, 9, 0, tzinfo=UTC)
HEADER = ["ref", "period", "value", "commentary", "actions", "evidence"]


@pytest.fixture
def registered(engine: Engine) -> Engine:
    services.import_register(engine, EXAMPLES / "register.yaml", actor=ADMIN, now=NOW)
    return engine


def write(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def state_of(engine: Engine, ref: str, period: str) -> tuple[str, Submission]:
    with read_session(engine) as session:
        measure = session.exec(select(Measure).where(Measure.ref == ref)).one()
        value = session.exec(
            select(PeriodValue).where(
                PeriodValue.measure_id == measure.id, PeriodValue.period == period
            )
        ).one()
        submission = session.get(Submission, value.latest_submission_id)
        assert submission is not None
        return value.state, submission


def cards_queued(engine: Engine) -> list[tuple[str, str | None, int | None]]:
    with read_session(engine) as session:
        rows = session.exec(select(Reminder).where(Reminder.kind == "card")).all()
        return [(row.status, row.period, row.version) for row in rows]


def test_an_open_period_goes_to_review_and_history_is_approved(
    registered: Engine, tmp_path: Path
) -> None:
    path = write(
        tmp_path / "actuals.csv",
        [
            ["SE1.1", "2024-25 Q4", "27.2", "Year end", "", ""],  # Board 22 Apr 2025: history
            ["SE1.1", "2025-26 Q1", "29.5", "Nearly there", "", "https://example.org/co2"],
        ],
    )
    report = services.import_actuals(registered, path, actor=JANE, now=NOW, today=TODAY)
    assert (report.stored, report.replaced, report.unchanged) == (1, 0, 0)
    assert report.for_review == {"SE1.1 2025-26 Q1": ["Helen Carter"]}
    state, history = state_of(registered, "SE1.1", "2024-25 Q4")
    assert (state, history.value, history.source) == ("approved", Decimal("27.2"), "import")
    state, pending = state_of(registered, "SE1.1", "2025-26 Q1")
    assert state == "submitted"
    assert (pending.submitted_by, pending.source, pending.on_behalf_of) == (JANE, "import", False)
    assert pending.evidence_url == "https://example.org/co2"
    assert cards_queued(registered) == [("pending", "2025-26 Q1", 1)]
    with read_session(registered) as session:
        actions = list(
            session.exec(select(AuditEvent.action, AuditEvent.actor).order_by(col(AuditEvent.seq)))
        )[-3:]
    assert actions == [
        ("value.import", JANE),
        ("actuals.import", JANE),
        ("submission.create", JANE),
    ]
    # Status shows only approved figures: the open period waits for its reviewer.
    row = services.status(registered, "SE1.1", None, today=TODAY).rows[0]
    assert (row.value, row.state.value) == (None, "submitted")

    again = services.import_actuals(registered, path, actor=JANE, now=NOW, today=TODAY)
    assert (again.unchanged, again.pending_unchanged, again.for_review) == (1, 1, {})
    assert len(cards_queued(registered)) == 1


def test_a_red_open_row_without_actions_is_refused_with_its_location(
    registered: Engine, tmp_path: Path
) -> None:
    rows = [
        ["SE1.2", "2024-25 Q4", "30", "History may be Red without actions", "", ""],
        ["SE1.2", "2025-26 Q1", "40", "Well below", "", ""],  # Red against 50, still open
    ]
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(
            registered, write(tmp_path / "a.csv", rows), actor=SAM, now=NOW, today=TODAY
        )
    [error] = caught.value.errors
    assert (error.file, error.where, error.field) == ("a.csv", "row 3", "actions")
    assert error.message.startswith(
        "SE1.2 2025-26 Q1 is Red against its target and still open for review (its "
        "Performance Board is on Mon 21 Jul 2025)"
    )
    assert cards_queued(registered) == []
    rows[1][4] = "Second crew from August"
    report = services.import_actuals(
        registered, write(tmp_path / "b.csv", rows), actor=SAM, now=NOW, today=TODAY
    )
    assert report.for_review == {"SE1.2 2025-26 Q1": ["Gareth Price"]}
    assert state_of(registered, "SE1.2", "2025-26 Q1")[1].actions == "Second crew from August"


def test_the_importer_must_be_in_the_register_and_allowed(
    registered: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", [["SE1.1", "2025-26 Q1", "29.5", "x", "", ""]])
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(registered, path, actor="tester", now=NOW, today=TODAY)
    assert "'tester' is not a person in the register" in caught.value.errors[0].message
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(registered, path, actor=SAM, now=NOW, today=TODAY)
    [error] = caught.value.errors
    assert (error.where, error.field) == ("row 2", "ref")
    assert "sam.lee@example.gov.uk may not import figures for SE1.1" in error.message
    # An admin may import for anyone: recorded as on behalf of the collector.
    report = services.import_actuals(registered, path, actor=ADMIN, now=NOW, today=TODAY)
    assert report.for_review == {"SE1.1 2025-26 Q1": ["Helen Carter"]}
    assert state_of(registered, "SE1.1", "2025-26 Q1")[1].on_behalf_of is True


def test_an_approved_open_figure_is_not_replaced_by_an_import(
    registered: Engine, tmp_path: Path
) -> None:
    from bot.submissions import decide

    path = write(tmp_path / "a.csv", [["SE1.1", "2025-26 Q1", "29.5", "x", "", ""]])
    services.import_actuals(registered, path, actor=JANE, now=NOW, today=TODAY)
    _, pending = state_of(registered, "SE1.1", "2025-26 Q1")
    assert pending.id is not None
    council = services.council_info(registered)
    decide(
        registered,
        council,
        submission_id=pending.id,
        decision="approved",
        reason=None,
        actor=HOS_ENV,
        now=NOW + timedelta(hours=1),
    )
    changed = write(tmp_path / "b.csv", [["SE1.1", "2025-26 Q1", "30.5", "y", "", ""]])
    with pytest.raises(InputRejected) as caught:
        services.import_actuals(registered, changed, actor=JANE, now=NOW, today=TODAY)
    [error] = caught.value.errors
    assert (error.where, error.field) == ("row 2", "value")
    assert "already approved at 29.5%; to change it, ask its reviewer to reopen it" in (
        error.message
    )


def test_cli_needs_by_and_says_what_went_to_review(cli: Cli, tmp_path: Path) -> None:
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    path = write(
        tmp_path / "a.csv",
        [["SE1.1", "2024-25 Q4", "27.2", "", "", ""], ["SE1.1", "2025-26 Q1", "29.5", "x", "", ""]],
    )
    missing = cli("import", "actuals", str(path), "--today", TODAY.isoformat())
    assert missing.code == 1
    assert missing.err.startswith("Say who is importing: add --by with your e-mail")
    stranger = cli("import", "actuals", str(path), "--today", "2025-07-15", "--by", "me")
    assert stranger.code == 1 and "'me' is not a person in the register" in stranger.err
    done = cli("import", "actuals", str(path), "--today", "2025-07-15", "--by", JANE)
    assert done.code == 0, done.err
    assert done.out.splitlines() == [
        "Imported a.csv: 1 values stored, 0 replaced with a new version, 0 unchanged.",
        "1 figure is for periods still open, so they went to review as your submissions (the "
        "running bot sends each review card):",
        "  SE1.1 2025-26 Q1 — to Helen Carter",
    ]


def test_the_running_bot_sends_the_review_card_of_an_imported_figure(
    bot: Bot, tmp_path: Path
) -> None:
    # The bot's clock: Thu 8 Oct 2026; 2026-27 Q2 has ended, its Board (20 Oct) not passed.
    path = write(
        tmp_path / "a.csv", [["SE1.1", "2026-27 Q2", "36.5", "From the spreadsheet", "", ""]]
    )
    report = services.import_actuals(
        bot.engine, path, actor=JANE, now=bot.clock(), today=bot.clock().date()
    )
    assert report.for_review == {"SE1.1 2026-27 Q2": ["Helen Carter"]}
    tick(
        bot.engine,
        bot.deps.council(),
        bot.deps.transport,
        now=bot.clock(),
        zone=bot.deps.zone,
        worker="test",
        sleep=lambda _: None,
    )
    settle(bot)
    wait_until(lambda: bool(bot.dms(HOS_ENV)), what="the review card")
    card = bot.dms(HOS_ENV)[-1]
    assert card["text"].startswith("SE1.1 2026-27 Q2: 36.5% from Jane Doe")
    assert ids.APPROVE in buttons(card)
