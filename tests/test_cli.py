"""The `pmf-bot` command through its real entry point (a subprocess), as a user runs it."""

from __future__ import annotations

import csv
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, quote_plus

import pytest
from psycopg import sql
from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.engine import display_url, make_engine, parse_url, redact
from tests.conftest import EXAMPLES, SERVER_URL, Cli, Result, _admin_connect

TODAY = "2026-05-01"


@pytest.fixture
def loaded(cli: Cli) -> Cli:
    assert cli("import", "register", str(EXAMPLES / "register.yaml")).code == 0
    result = cli(
        "import",
        "actuals",
        str(EXAMPLES / "actuals.csv"),
        "--by",
        "policy.officer@example.gov.uk",
        "--today",
        TODAY,
    )
    assert result.code == 0, result.err
    assert "190 values stored" in result.out  # 182 figures, 8 project reports
    return cli


def test_readme_flow_prints_the_councils_status(loaded: Cli) -> None:
    result = loaded("status", "--period", "2025-26 Q4", "--today", TODAY)
    assert result.code == 0, result.err
    assert result.out.startswith("Example District Council — status for 2025-26 Q4")
    assert "Red 4 · Amber 3 · Green 14 · Grey 2 · No data 1" in result.out
    assert "Committee view: 19 of 23 on target (83%), 1 missing" in result.out


def test_status_json_has_the_product_keys(loaded: Cli) -> None:
    result = loaded("status", "SE1", "--period", "2025-26 Q4", "--json", "--today", TODAY)
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert [row["ref"] for row in rows] == ["SE1.1", "SE1.2", "SE1.3", "SE1.P1"]
    assert rows[3]["status"] == "red" and rows[3]["value"] == 2  # the project: milestones done
    assert rows[1] == {
        "ref": "SE1.2",
        "title": "Household waste sent for reuse, recycling and composting",
        "period": "2025-26 Q4",
        "value": 47.5,
        "target": 50,
        "status": "amber",
        "committee": "on_target",
        "state": "approved",
        "direction": "declining",
        "direction_year": "improving",
        "reason": None,
    }


def test_status_of_one_measure_explains_itself(loaded: Cli) -> None:
    result = loaded("status", "TC2.2", "--period", "2025-26 Q4", "--today", TODAY)
    assert result.code == 0, result.err
    assert "Status: RED" in result.out
    assert "Performance overview:" in result.out


def test_unknown_ref_and_bad_period_are_explained(loaded: Cli) -> None:
    result = loaded("status", "SE9.9")
    assert result.code == 1
    assert "There is no measure, aim or priority called 'SE9.9'" in result.err
    assert "Did you mean" in result.err
    result = loaded("status", "--period", "2025-27 Q1")
    assert result.code == 1
    assert "the second year must follow the first" in result.err


def test_calendar_json_lists_periods_and_deadlines(loaded: Cli) -> None:
    result = loaded("calendar", "--year", "2025-26", "--json")
    assert result.code == 0, result.err
    rows = json.loads(result.out)
    assert set(rows[0]) == {"ref", "period", "period_end", "deadline"}
    by_key = {(row["ref"], row["period"]): row for row in rows}
    # Q1 ends Mon 30 Jun 2025; 8 working days later is Thu 10 Jul 2025.
    assert by_key[("SE1.3", "2025-26 Q1")] == {
        "ref": "SE1.3",
        "period": "2025-26 Q1",
        "period_end": "2025-06-30",
        "deadline": "2025-07-10",
    }
    assert len([row for row in rows if row["ref"] == "SE2.1"]) == 12


def test_calendar_text_shows_board_dates(loaded: Cli) -> None:
    result = loaded("calendar", "--year", "2025/26")
    assert result.code == 0, result.err
    assert "Performance Board dates:" in result.out
    assert "2025-26 Q1: Mon 21 Jul 2025" in result.out
    result = loaded("calendar", "--year", "2025-26 Q1")
    assert result.code == 1 and "not a financial year" in result.err


def test_audit_export_and_verify_catch_tampering(sqlite_cli: Cli, tmp_path: Path) -> None:
    cli = sqlite_cli
    assert (
        cli("import", "register", str(EXAMPLES / "register.yaml"), "--by", "po@x.gov.uk").code == 0
    )
    result = cli("audit", "verify")
    assert result.code == 0 and "The audit trail is intact" in result.out
    out = tmp_path / "audit.csv"
    result = cli("audit", "export", "--out", str(out))
    assert result.code == 0, result.err
    with out.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[-1]["action"] == "register.import" and rows[-1]["actor"] == "po@x.gov.uk"
    database = cli.database_url.removeprefix("sqlite:///")
    with sqlite3.connect(database) as connection:
        connection.execute("UPDATE audit_event SET after = '{}' WHERE seq = 3")
    result = cli("audit", "verify")
    assert result.code == 1
    assert "event 3" in result.err and "was changed after it was written" in result.err


def test_db_upgrade_is_idempotent(sqlite_cli: Cli) -> None:
    first = sqlite_cli("db", "upgrade")
    assert first.code == 0 and "is now at revision" in first.out
    again = sqlite_cli("db", "upgrade")
    assert again.code == 0 and "already up to date" in again.out


def test_bad_environment_is_reported_plainly(sqlite_cli: Cli) -> None:
    result = sqlite_cli("status", env={"PMF_TIMEZONE": "Mars/Olympus"})
    assert result.code == 1
    assert "'Mars/Olympus' is not a time zone name" in result.err


def test_unreachable_database_is_reported_plainly(sqlite_cli: Cli) -> None:
    result = sqlite_cli(
        "status", env={"PMF_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"}
    )
    assert result.code == 1
    assert "Cannot open the database" in result.err
    assert "Traceback" not in result.err


# -- database URLs: encoded passwords, odd paths, no password ever shown (issue 9, item 9) -------

PASSWORD = "Se%cr@t:pa/ss%40word-"  # %, @, : and /, and a %40 that must stay as typed


@pytest.fixture
def postgres_role(postgres_template: str) -> Iterator[str]:
    """A throwaway role whose password needs URL-encoding, owning a throwaway database; the URL
    is as an administrator would write it (password percent-encoded). Both are dropped after."""
    role = f"pmf_role_{uuid.uuid4().hex[:8]}"
    name = f"pmf_url_{uuid.uuid4().hex[:8]}"
    secret = PASSWORD + uuid.uuid4().hex[:6]
    with _admin_connect() as admin:  # type: ignore[attr-defined]
        admin.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(secret)
            )
        )
        admin.execute(
            sql.SQL("CREATE DATABASE {} OWNER {}").format(
                sql.Identifier(name), sql.Identifier(role)
            )
        )
    server = make_url(SERVER_URL)
    url = (
        f"postgresql://{role}:{quote(secret, safe='')}@{server.host or '127.0.0.1'}:"
        f"{server.port or 5432}/{name}"
    )
    try:
        yield url
    finally:
        with _admin_connect() as admin:  # type: ignore[attr-defined]
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            admin.execute(drop.format(sql.Identifier(name)))
            admin.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


def _shows_no_password(result: Result, secret: str) -> None:
    text = result.out + result.err
    for form in (secret, quote(secret, safe=""), quote_plus(secret), secret[:8]):
        assert form not in text, f"the password shows in: {text}"
    assert "Traceback" not in text


@pytest.mark.postgres
def test_a_postgres_url_with_an_encoded_password_works_and_never_shows_it(
    postgres_role: str, tmp_path: Path
) -> None:
    secret = make_url(postgres_role).password
    assert secret is not None and secret.startswith(PASSWORD)  # the URL round-trips
    assert parse_url(postgres_role).password == secret
    cli = Cli(postgres_role, tmp_path)

    upgrade = cli("db", "upgrade")
    assert upgrade.code == 0, upgrade.err
    assert "is now at revision" in upgrade.out and ":***@" in upgrade.out
    _shows_no_password(upgrade, secret)
    working: list[tuple[str, ...]] = [
        ("db", "upgrade"),
        ("import", "register", str(EXAMPLES / "register.yaml")),
        ("status", "--today", TODAY),
        ("audit", "verify"),
    ]
    for args in working:
        result = cli(*args)
        assert result.code == 0, (args, result.err)
        _shows_no_password(result, secret)
    engine = make_engine(postgres_role)
    with engine.connect() as connection:
        assert (
            connection.execute(text("SELECT current_user")).scalar()
            == make_url(postgres_role).username
        )
    engine.dispose()

    wrong_port = make_url(postgres_role).set(port=1).render_as_string(hide_password=False)
    failing: list[tuple[str, ...]] = [("status",), ("db", "upgrade"), ("run", "--http")]
    for args in failing:
        result = cli(*args, env={"PMF_DATABASE_URL": wrong_port})
        assert result.code == 1, (args, result.out)
        assert "Cannot open the database postgresql+psycopg://" in result.err
        assert ":***@" in result.err
        _shows_no_password(result, secret)


def test_a_sqlite_path_with_quotes_spaces_and_percent_signs_works(tmp_path: Path) -> None:
    folder = tmp_path / 'it\'s a "folder" with 100% spaces'
    cli = Cli(f"sqlite:///{folder / 'pmf 100% db.sqlite'}", tmp_path)
    result = cli("db", "upgrade")
    assert result.code == 0, result.err
    assert "is now at revision" in result.out
    assert (folder / "pmf 100% db.sqlite").is_file()
    result = cli("import", "register", str(EXAMPLES / "register.yaml"))
    assert result.code == 0, result.err


def test_a_url_that_cannot_be_read_is_refused_without_echoing_it(sqlite_cli: Cli) -> None:
    for url in (
        "postgresql://officer:Hunter2-secret@db.example:notaport/pmf",
        "not a url at all Hunter2-secret",
        "oracle://officer:Hunter2-secret@db.example/pmf",
    ):
        result = sqlite_cli("status", env={"PMF_DATABASE_URL": url})
        assert result.code == 1
        assert result.err.startswith("PMF_DATABASE_URL "), result.err
        assert "Hunter2" not in result.out + result.err and "Traceback" not in result.err


def test_redact_blanks_a_password_in_every_form() -> None:
    url = f"postgresql://u:{quote(PASSWORD, safe='')}@h/d"
    message = f"bad conninfo: password={PASSWORD} url={url} form={quote_plus(PASSWORD)}"
    cleaned = redact(message, url)
    assert PASSWORD not in cleaned and quote(PASSWORD, safe="") not in cleaned
    assert cleaned.count("***") == 3
    assert display_url(url) == "postgresql+psycopg://u:***@h/d"
    assert redact("no password here", "sqlite:///pmf.db") == "no password here"
