"""`pmf-bot reminders preview --at DATETIME [--json]` through the installed entry point
(issue 4): what would be sent at that moment, and to whom, with nothing stored or sent.

The example register and its history are loaded in-process (the preview is what is under
test); up to March 2026 everything is approved except SC2.1 2025-26 Q4 (Amy Robinson, no
cover), due Tue 14 Apr 2026 after Easter.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import func, select

from bot import leave, services
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import OutboxItem as Reminder
from tests.conftest import ADMIN, EXAMPLES, Cli, Result

LONDON = ZoneInfo("Europe/London")
AMY = "amy.robinson@example.gov.uk"
HOUSING = "housing.manager@example.gov.uk"
KEYS = {"kind", "ref", "period", "recipient", "deadline"}


def load(cli: Cli, *, amy_away: bool = False) -> Cli:
    engine = make_engine(cli.database_url)
    try:
        upgrade(engine)
        now = datetime(2026, 4, 1, 8, 0, tzinfo=LONDON)
        services.import_register(engine, EXAMPLES / "register.yaml", actor="setup", now=now)
        services.import_actuals(
            # As history: imported once the 2025-26 Q4 Board has passed, so all approved.
            engine,
            EXAMPLES / "actuals.csv",
            actor=ADMIN,
            now=now,
            today=date(2026, 4, 22),
        )
        if amy_away:
            leave.set_away(
                engine,
                email=AMY,
                starts=date(2026, 4, 7),
                ends=date(2026, 4, 8),
                cover=HOUSING,
                now=now,
            )
    finally:
        engine.dispose()
    return cli


def previews(cli: Cli, *moments: str, as_json: bool = True) -> list[Result]:
    """`pmf-bot reminders preview --at MOMENT [--json]` for each moment, run side by side
    (each is a process start)."""
    extra = ["--json"] if as_json else []
    with ThreadPoolExecutor(max_workers=len(moments)) as pool:
        return list(pool.map(lambda at: cli("reminders", "preview", "--at", at, *extra), moments))


def rows_of(result: Result) -> list[dict[str, object]]:
    assert result.code == 0, result.err
    rows: list[dict[str, object]] = json.loads(result.out)
    return rows


def stored(cli: Cli) -> int:
    engine = make_engine(cli.database_url)
    try:
        with read_session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Reminder)).one())
    finally:
        engine.dispose()


def test_preview_json_has_exactly_the_specified_keys(cli: Cli) -> None:
    load(cli)
    escalation_day, before_day = previews(
        cli,
        "2026-04-15T09:00",  # Wed 15 Apr: the first working day after SC2.1's deadline
        "2026-04-07T08:00:00+00:00",  # Tue 7 Apr, 09:00 in London, after Easter
    )
    on_escalation_day = rows_of(escalation_day)
    assert on_escalation_day[:2] == [
        {
            "kind": "digest",
            "ref": None,
            "period": None,
            "recipient": "policy.officer@example.gov.uk",
            "deadline": None,
        },
        {  # one per Head of Service and day, listing their figures (issue 13)
            "kind": "escalation",
            "ref": None,
            "period": None,
            "recipient": "hos.communities@example.gov.uk",
            "deadline": None,
            "figures": [{"ref": "SC2.1", "period": "2025-26 Q4", "deadline": "2026-04-14"}],
        },
    ]
    # And SC2.1's first overdue nudge: nudge days count back from 2025-26 Q4's Board date,
    # Tue 21 Apr, every 2 working days (21, 17, 15 Apr).
    [nudge] = on_escalation_day[2:]
    assert {key: nudge[key] for key in KEYS} == {
        "kind": "overdue",
        "ref": "SC2.1",
        "period": "2025-26 Q4",
        "recipient": AMY,
        "deadline": "2026-04-14",
    }
    rows = rows_of(before_day)
    assert rows == [
        {
            "kind": "before",
            "ref": "SC2.1",
            "period": "2025-26 Q4",
            "recipient": AMY,
            "deadline": "2026-04-14",
            "working_days_before": 5,
        }
    ]
    assert set(rows[0]) == KEYS | {"working_days_before"}
    assert stored(cli) == 0, "a preview stores nothing"


def test_nothing_on_a_saturday_a_bank_holiday_or_before_nine(sqlite_cli: Cli) -> None:
    load(sqlite_cli)
    easter_monday, early = previews(
        sqlite_cli,
        "2026-04-06T09:30",
        "2026-04-07T07:59:59+00:00",  # 08:59:59 in London
    )
    assert rows_of(easter_monday) == [] and rows_of(early) == []
    # A Saturday, while SC2.1's 5-day reminder is in its window.
    [saturday] = previews(sqlite_cli, "2026-04-11T10:00", as_json=False)
    assert (saturday.code, saturday.out.strip()) == (
        0,
        "Nothing would be sent at Sat 11 Apr 2026 10:00.",
    )


def test_text_output_reads_as_a_sentence_per_reminder(sqlite_cli: Cli) -> None:
    load(sqlite_cli, amy_away=True)
    result, bad = previews(sqlite_cli, "2026-04-07T09:00", "next tuesday", as_json=False)
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("At Tue 07 Apr 2026 09:00, 1 reminder")
    assert " ".join(lines[1].split()) == (  # columns padded with spaces
        "5 working days before SC2.1 2025-26 Q4 to housing.manager@example.gov.uk "
        "(covering for amy.robinson@example.gov.uk), deadline Tue 14 Apr"
    )
    assert len(lines) == 2
    assert bad.code == 1
    assert "--at 'next tuesday' is not a date and time: write it like 2026-07-07T09:00." in (
        bad.err
    )
