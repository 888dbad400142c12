"""Engine and sessions. SQLite runs with WAL, a busy timeout and foreign keys on (issue 2).

SQLite transactions are started explicitly so that a writing session can take the write lock at
`BEGIN IMMEDIATE` and wait on the busy timeout, instead of failing half-way when two threads
upgrade a read to a write at once.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

from sqlalchemy import URL, Engine, Executable, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlmodel import Session

if TYPE_CHECKING:
    from storage.audit import AuditKeys

SQLITE_BUSY_TIMEOUT_MS = 10_000
AUDIT_KEYS_OPTION = "pmf_audit_keys"  # the engine's execution option that carries the keys


class DatabaseURLError(ValueError):
    """PMF_DATABASE_URL cannot be used. The message never holds the URL (it may hold a
    password)."""


def parse_url(url: str | URL) -> URL:
    """`url` parsed; `postgres://` and `postgresql://` mean PostgreSQL through psycopg 3."""
    try:
        parsed = make_url(url)
        parsed.port  # noqa: B018  (a port that is not a number raises here, not at connect)
    except (ArgumentError, ValueError):
        raise DatabaseURLError(
            "PMF_DATABASE_URL is not a database URL: write it like "
            "postgresql://user:password@host:5432/name (password URL-encoded) or sqlite:///pmf.db"
        ) from None
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise _unusable(parsed)
    return parsed


def _unusable(parsed: URL) -> DatabaseURLError:
    return DatabaseURLError(
        f"PMF_DATABASE_URL names a kind of database pmf-bot cannot use ({parsed.drivername}): "
        "use postgresql://… (PostgreSQL) or sqlite:///… (a SQLite file)"
    )


def display_url(url: str | URL) -> str:
    """The URL to show people and logs: the password is always '***'."""
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except DatabaseURLError:
        return "(PMF_DATABASE_URL, which cannot be read)"


def redact(text: str, url: str | URL) -> str:
    """`text` (a driver's error message, say) with the URL's password blanked out, as
    written and URL-encoded, wherever it appears."""
    try:
        password = make_url(url).password
    except (ArgumentError, ValueError):
        return text
    if not password:
        return text
    secret = str(password)
    for form in sorted({secret, quote(secret, safe=""), quote_plus(secret)}, key=len, reverse=True):
        text = text.replace(form, "***")
    return text


def make_engine(url: str | URL, *, audit_keys: AuditKeys | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (PMF_DATABASE_URL), with the per-database settings applied.

    `audit_keys` (PMF_AUDIT_KEY) travel with the engine, so every audit append made through
    it is signed; raises `DatabaseURLError` for a URL that cannot be used.
    """
    parsed = parse_url(url)
    if audit_keys is not None:
        options = {**kwargs.pop("execution_options", {}), AUDIT_KEYS_OPTION: audit_keys}
        kwargs["execution_options"] = options
    try:
        if parsed.get_backend_name() == "sqlite":
            database = parsed.database
            if database and database != ":memory:":
                Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            connect_args = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            engine = create_engine(parsed, connect_args=connect_args, **kwargs)
            _tune_sqlite(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    except (NoSuchModuleError, ImportError):  # a driver SQLAlchemy or this install lacks
        raise _unusable(parsed) from None


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_postgres(engine: Engine) -> bool:
    return engine.dialect.name == "postgresql"


def plain(
    session: Session,
    statement: Executable,
    params: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None,
) -> Any:
    """Run a statement of plain columns (it reads no ORM objects) on the session's connection,
    in its transaction: the ORM's execution layer around such a statement cost as much as the
    statement itself (~0.1 ms each, dozens in a decision and its home pages; issue 11). What the
    session holds is flushed first, as the ORM's autoflush would. `params`: one set, or a list
    of them for an insert of many rows (executemany)."""
    session.flush()
    return session.connection().execute(statement, params)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reading; it never commits."""
    with Session(engine) as session:
        yield session


_WRITERS: weakref.WeakKeyDictionary[Engine, threading.RLock] = weakref.WeakKeyDictionary()
_WRITERS_LOCK = threading.Lock()


def _writer_lock(engine: Engine) -> threading.RLock:
    with _WRITERS_LOCK:
        found = _WRITERS.get(engine)
        if found is None:
            found = _WRITERS[engine] = threading.RLock()
        return found


@contextmanager
def _all_or_nothing(bind: Engine) -> Iterator[Session]:
    with Session(bind, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error: all or nothing.

    On SQLite the threads of one process take turns at a lock of their own before `BEGIN
    IMMEDIATE`: SQLite has one writer at a time, and a writer that finds the database locked
    sleeps in its busy handler (up to 100 ms a try), so under a burst of clicks the waits,
    not the work, made the slowest acknowledgements. Other processes still wait on the busy
    timeout.
    """
    if is_postgres(engine):
        with _all_or_nothing(engine) as session:
            yield session
        return
    bind = engine.execution_options(sqlite_immediate=True)
    turn = _writer_lock(engine)
    # after as long as SQLite itself would wait, go on and let SQLite decide (as before)
    mine = turn.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000)
    try:
        with _all_or_nothing(bind) as session:
            yield session
    finally:
        if mine:
            turn.release()
