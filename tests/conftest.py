"""Shared fixtures: real databases and the real `pmf-bot` entry point.

* `sqlite_url`: a fresh SQLite file per test.
* `postgres_url`: a fresh PostgreSQL database per test, cloned from a migrated template that
  this run creates; both are dropped afterwards. Skipped with the reason when the server at
  PMF_TEST_POSTGRES (default postgresql://postgres@127.0.0.1:5432/test) is unreachable, unless
  PMF_REQUIRE_POSTGRES=1 (as in .ci/run), when that is a failure instead.
* `db_url` / `engine`: parametrised over both databases; tests that need no PostgreSQL
  behaviour use `sqlite_url` directly. `module_db_url` is the same, one per test module, for
  tests that share one running bot.
* `cli`: runs the installed `pmf-bot` console script in a subprocess, as a user would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from storage.engine import make_engine
from storage.migrate import upgrade
from tests.slack_harness import ADMIN, Bot, running_bot
from tests.test_slack_support import settle

__all__ = ["ADMIN", "EXAMPLES", "Cli"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SERVER_URL = os.environ.get("PMF_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/test")


def _admin_connect() -> object:
    import psycopg

    url = make_url(SERVER_URL)
    return psycopg.connect(
        host=url.host or "127.0.0.1",
        port=url.port or 5432,
        user=url.username or "postgres",
        password=url.password,
        dbname=url.database or "postgres",
        autocommit=True,
        connect_timeout=3,
    )


def _database_url(name: str) -> str:
    return (
        make_url(SERVER_URL)
        .set(drivername="postgresql+psycopg", database=name)
        .render_as_string(hide_password=False)
    )


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated database to clone for each test (CREATE DATABASE … TEMPLATE is fast)."""
    try:
        admin = _admin_connect()
    except Exception as error:
        reason = f"PostgreSQL is not reachable at {SERVER_URL} ({type(error).__name__}: {error})"
        if os.environ.get("PMF_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason + " and PMF_REQUIRE_POSTGRES=1")
        pytest.skip(reason)
    name = f"pmf_tpl_{uuid.uuid4().hex[:10]}"
    with admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}"')  # type: ignore[attr-defined]
    engine = make_engine(_database_url(name))
    upgrade(engine)
    engine.dispose()
    try:
        yield name
    finally:
        with _admin_connect() as admin:  # type: ignore[attr-defined]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def _cloned(template: str) -> Iterator[str]:
    name = f"pmf_t_{uuid.uuid4().hex[:10]}"
    with _admin_connect() as admin:  # type: ignore[attr-defined]
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield _database_url(name)
    finally:
        with _admin_connect() as admin:  # type: ignore[attr-defined]
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    with _cloned(postgres_template) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'pmf.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return str(request.getfixturevalue(name))


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def module_db_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Like `db_url`, but one database per test module: for tests that share a running bot."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('module_db') / 'pmf.db'}"
        return
    with _cloned(str(request.getfixturevalue("postgres_template"))) as url:
        yield url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    upgrade(engine)
    yield engine
    engine.dispose()


@dataclass
class Result:
    code: int
    out: str
    err: str


class Cli:
    """The installed `pmf-bot` command, with PMF_DATABASE_URL pointing at the test database."""

    def __init__(self, database_url: str, cwd: Path) -> None:
        self.database_url = database_url
        self.cwd = cwd
        found = shutil.which("pmf-bot", path=str(Path(sys.executable).parent))
        self.command = [found] if found else [sys.executable, "-m", "handlers.cli"]

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        environ = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PMF_", "SLACK_", "TEAMS_"))
        }
        environ |= {"PMF_DATABASE_URL": self.database_url, "COLUMNS": "200"}
        environ |= env or {}
        done = subprocess.run(
            [*self.command, *args],
            cwd=self.cwd,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def cli(db_url: str, tmp_path: Path) -> Cli:
    return Cli(db_url, tmp_path)


@pytest.fixture
def sqlite_cli(sqlite_url: str, tmp_path: Path) -> Cli:
    return Cli(sqlite_url, tmp_path)


@pytest.fixture
def bot(sqlite_url: str) -> Iterator[Bot]:
    """The whole bot over HTTP against the Slack stand-in, on a fresh SQLite file."""
    with running_bot(sqlite_url) as running:
        yield running
        settle(running)  # let work after the last ack finish before Slack goes away


@pytest.fixture(scope="module")
def reader(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Bot]:
    """One bot per test module, for tests that only read (each start costs about 1.5 s)."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    with running_bot(f"sqlite:///{tmp_path_factory.mktemp(name) / 'pmf.db'}") as running:
        yield running
        settle(running)
