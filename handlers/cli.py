"""The `pmf-bot` command line (PRODUCT §8), and the composition root: the one place that
wires settings, the database, the chat surfaces and the scheduler together.

Settings come from the environment; the clock is read here, once per command, and passed down.
Errors an officer can fix are printed plainly to stderr with exit status 1; nothing is written.
"""

from __future__ import annotations

import getpass
import json
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from bot import services
from bot.errors import InputRejected, NotFound
from bot.periods import Period, PeriodError, fy_label, fy_of
from bot.projects import rule_words as project_rule_words
from bot.settings import Settings, load_settings
from bot.text import render_report
from storage import audit, migrate
from storage.engine import DatabaseURLError, display_url, make_engine, redact

app = typer.Typer(
    name="pmf-bot",
    help="Run a council's Performance Management Framework: register, calendar, RAGG status.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="The database.", no_args_is_help=True)
import_app = typer.Typer(
    help="Load the measure register or historical values.", no_args_is_help=True
)
audit_app = typer.Typer(help="The audit trail.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(audit_app, name="audit")
people_app = typer.Typer(help="Register people and their chat accounts.", no_args_is_help=True)
app.add_typer(people_app, name="people")

T = TypeVar("T")

TodayOption = Annotated[
    str | None,
    typer.Option("--today", help="Act as if today were this date (YYYY-MM-DD); for previews."),
]
ByOption = Annotated[
    str | None,
    typer.Option("--by", help="Who is importing, for the audit trail (default: your login)."),
]


def fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(message, err=True)
    raise typer.Exit(code)


def _settings() -> Settings:
    try:
        return load_settings()
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in item['loc'])}: {item['msg']}" for item in error.errors()
        )
        fail(f"The environment settings are not valid: {problems}")


def _now(settings: Settings) -> datetime:
    return datetime.now(settings.zone)


def _today(settings: Settings, given: str | None) -> date:
    if given is None:
        return _now(settings).date()
    try:
        return date.fromisoformat(given)
    except ValueError:
        fail(f"--today '{given}' is not a date: write it as YYYY-MM-DD, such as 2026-04-30.")


def _actor(given: str | None) -> str:
    if given and given.strip():
        return given.strip()
    try:
        return f"{getpass.getuser()} (command line)"
    except Exception:  # no login name in some containers
        return "command line"


def _audit_keys(settings: Settings) -> audit.AuditKeys:
    return audit.AuditKeys.from_text(settings.audit_key_text, settings.old_audit_keys)


def _open(settings: Settings) -> Engine:
    """The engine for PMF_DATABASE_URL, signing audit events with PMF_AUDIT_KEY when set."""
    try:
        return make_engine(settings.database_url, audit_keys=_audit_keys(settings))
    except DatabaseURLError as error:
        fail(str(error))


def _cannot_open(settings: Settings, error: DBAPIError) -> NoReturn:
    """A driver's error, with the password blanked out: it may quote the connection string."""
    url = settings.database_url
    fail(f"Cannot open the database {display_url(url)}: {redact(str(error.orig), url).strip()}")


def _engine(settings: Settings, *, upgrade_sqlite: bool = True) -> Engine:
    """The database, migrated if it is the embedded SQLite default; otherwise it must be
    current (several replicas must not race to migrate a shared PostgreSQL)."""
    engine = _open(settings)
    try:
        if migrate.is_current(engine):
            return engine
        if engine.dialect.name == "sqlite" and upgrade_sqlite:
            migrate.upgrade(engine)
            return engine
    except DBAPIError as error:
        _cannot_open(settings, error)
    fail("The database is not up to date: run 'pmf-bot db upgrade' first.")


def _guard(action: Callable[[], T]) -> T:
    """Turn the errors officers can fix into plain messages and exit status 1."""
    try:
        return action()
    except InputRejected as error:
        fail(error.summary())
    except NotFound as error:
        fail(str(error))
    except PeriodError as error:
        fail(f"{error}.")


def _period(text: str | None) -> Period | None:
    return None if text is None else Period.parse(text)


def _emit_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


# -- db ---------------------------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or migrate it to the latest version."""
    settings = _settings()
    engine = _open(settings)
    try:
        before, after = migrate.upgrade(engine)
    except DBAPIError as error:
        _cannot_open(settings, error)
    where = display_url(engine.url)
    if before == after:
        typer.echo(f"The database {where} is already up to date (revision {after}).")
    else:
        typer.echo(f"The database {where} is now at revision {after} (was {before or 'empty'}).")


# -- import -----------------------------------------------------------------------------------


@import_app.command("register")
def import_register(
    file: Annotated[Path, typer.Argument(help="The register: .yaml, .yml, .csv or .xlsx.")],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and report; change nothing.")
    ] = False,
    retire_missing: Annotated[
        bool,
        typer.Option(
            "--retire-missing",
            help="Retire measures the file leaves out (without it, such a file is refused).",
        ),
    ] = False,
    by: ByOption = None,
) -> None:
    """Load the measure register; every problem is listed and nothing is written if any."""
    settings = _settings()
    engine = _engine(settings)
    report = _guard(
        lambda: services.import_register(
            engine,
            file,
            actor=_actor(by),
            now=_now(settings),
            dry_run=dry_run,
            retire_missing=retire_missing,
        )
    )
    verb = "Would import" if dry_run else "Imported"
    typer.echo(
        f"{verb} {file.name}: {len(report.created)} new measures, {len(report.updated)} updated, "
        f"{report.unchanged} unchanged, {len(report.retired)} retired; "
        f"{len(report.people_added)} people added."
    )
    for label, refs in (
        ("New", report.created),
        ("Updated", report.updated),
        ("Retired (no longer in the file)", report.retired),
    ):
        if refs:
            typer.echo(f"  {label}: {', '.join(refs)}")
    for warning in report.warnings:
        typer.echo(f"  Note: {warning}")
    if dry_run:
        typer.echo("Dry run: nothing was changed.")


@import_app.command("actuals")
def import_actuals(
    file: Annotated[
        Path,
        typer.Argument(
            help="Values: .csv or .xlsx with columns ref, period, value, commentary "
            "(and optionally actions, evidence)."
        ),
    ],
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="Your e-mail as the register gives it (required): figures for periods still "
            "open are your submissions, sent for review.",
        ),
    ] = None,
    today: TodayOption = None,
) -> None:
    """Load values. Periods whose Performance Board date has passed are stored as approved
    history; later ones go to their reviewers as submissions, as in chat."""
    settings = _settings()
    if by is None or not by.strip():
        fail(
            "Say who is importing: add --by with your e-mail as the register gives it, such "
            "as --by policy.officer@council.gov.uk. Figures for periods still open for review "
            "become your submissions, so they must come from a named person."
        )
    engine = _engine(settings)
    day = _today(settings, today)
    report = _guard(
        lambda: services.import_actuals(engine, file, actor=by, now=_now(settings), today=day)
    )
    typer.echo(
        f"Imported {file.name}: {report.stored} values stored, {report.replaced} replaced "
        f"with a new version, {report.unchanged} unchanged."
    )
    if report.for_review:
        count = len(report.for_review)
        noun = "figure is" if count == 1 else "figures are"
        typer.echo(
            f"{count} {noun} for periods still open, so they went to review as your "
            "submissions (the running bot sends each review card):"
        )
        for key, names in report.for_review.items():
            typer.echo(f"  {key} — to {', '.join(names) or 'its reviewer'}")
    if report.pending_unchanged:
        typer.echo(f"{report.pending_unchanged} already waiting for review with the same figure.")


# -- calendar and status ------------------------------------------------------------------------


@app.command("calendar")
def calendar(
    year: Annotated[
        str | None,
        typer.Option("--year", help="Financial year, e.g. 2025-26 (default: the current one)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    today: TodayOption = None,
) -> None:
    """Each measure's periods, period ends and deadlines, with Performance Board dates."""
    settings = _settings()
    engine = _engine(settings)
    day = _today(settings, today)

    def build() -> tuple[Any, list[services.CalendarEntry], int]:
        fy = fy_of(day) if year is None else Period.parse(year).fy
        if year is not None and Period.parse(year).label != fy_label(fy):
            raise PeriodError(f"'{year}' is not a financial year; write it like 2025-26")
        council, entries = services.calendar(engine, fy)
        return council, entries, fy

    council, entries, fy = _guard(build)
    if as_json:
        _emit_json([entry.as_json() for entry in entries])
        return
    working = council.calendar
    typer.echo(
        f"{council.name} — reporting calendar {fy_label(fy)} "
        f"(working days in {working.region.description})"
    )
    typer.echo("")
    typer.echo("Performance Board dates:")
    for quarter in range(1, 5):
        period = Period.parse(f"{fy_label(fy)} Q{quarter}")
        board = working.performance_board_date(period, council.performance_board_weeks)
        committees = council.committee_dates.get(period.label, [])
        extra = (
            ", committees " + ", ".join(f"{d:%a %d %b}" for d in committees) if committees else ""
        )
        typer.echo(f"  {period.label}: {board:%a %d %b %Y}{extra}")
    typer.echo("")
    if not entries:
        typer.echo("There are no measures in the register yet: run 'pmf-bot import register FILE'.")
        return
    typer.echo(f"{'Deadline':<16} {'Ref':<8} {'Period':<11} Period end")
    for entry in entries:
        typer.echo(
            f"{entry.deadline:%a %d %b %Y}  {entry.ref:<8} {entry.period.label:<11} "
            f"{entry.period.end:%a %d %b %Y}"
        )


@app.command("status")
def status(
    ref: Annotated[
        str | None,
        typer.Argument(
            help="A measure (SE1.1), aim (SE1) or priority (SE); none for the whole council."
        ),
    ] = None,
    period: Annotated[
        str | None, typer.Option("--period", help="e.g. '2025-26 Q2' (default: latest ended).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    today: TodayOption = None,
) -> None:
    """RAGG status, committee view, direction of travel and workflow state."""
    settings = _settings()
    engine = _engine(settings)
    day = _today(settings, today)
    report = _guard(lambda: services.status(engine, ref, _period(period), today=day))
    if as_json:
        _emit_json(report.as_json())
    else:
        typer.echo(render_report(report), nl=False)


# -- the bot --------------------------------------------------------------------------------------


LOCAL_TEAMS_APP_ID = "00000000-0000-0000-0000-000000000011"  # Agents Playground's bot id


@app.command("run")
def run(
    http: Annotated[
        bool, typer.Option("--http", help="Slack over HTTP even if SLACK_APP_TOKEN is set.")
    ] = False,
    port: Annotated[
        int | None,
        typer.Option("--port", help="Slack's HTTP port (default PMF_PORT, 3000; 0: any free)."),
    ] = None,
    teams_port: Annotated[
        int | None,
        typer.Option(
            "--teams-port",
            min=0,
            max=65535,
            help="Teams' port (default PMF_TEAMS_PORT, 3978; 0: any free port).",
        ),
    ] = None,
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Address to listen on (default 0.0.0.0; 127.0.0.1 with --teams-local).",
        ),
    ] = None,
    teams_local: Annotated[
        bool,
        typer.Option(
            "--teams-local",
            help="Try Teams locally (Microsoft 365 Agents Playground): accept Teams requests "
            "WITHOUT checking who sent them; loopback (127.0.0.1) only.",
        ),
    ] = False,
) -> None:
    """Run the bot: Slack when SLACK_BOT_TOKEN is set (Socket Mode when SLACK_APP_TOKEN is
    set, else HTTP at /slack/events), Microsoft Teams when TEAMS_APP_ID is set (POST
    /api/messages on PMF_TEAMS_PORT), both when both are."""
    import logging

    from bot import outbox, scheduler
    from bot.delivery import Deliverer, Surfaces, Transport
    from handlers.teams.local import is_loopback

    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = _settings()
    if teams_local:
        host = host or "127.0.0.1"
        if not is_loopback(host):
            fail(
                f"--teams-local accepts Teams requests without checking who sent them, so it "
                f"listens on 127.0.0.1 only; refusing --host {host}. Leave out --host, or set "
                "TEAMS_APP_ID and TEAMS_APP_PASSWORD and run without --teams-local."
            )
    host = host or "0.0.0.0"
    engine = _engine(settings)
    slack = settings.slack_bot_token is not None
    teams = settings.teams_app_id is not None or teams_local
    if not slack and not teams:
        fail(
            "No chat surface is configured: set SLACK_BOT_TOKEN (and SLACK_SIGNING_SECRET or "
            "SLACK_APP_TOKEN) for Slack, TEAMS_APP_ID and TEAMS_APP_PASSWORD for Microsoft "
            "Teams, or both; or try Teams on this computer with 'pmf-bot run --teams-local'."
        )

    def now() -> datetime:
        return _now(settings)

    transports: list[Transport] = []
    serve: list[tuple[str, Callable[[], None]]] = []  # (thread name, how), each in a thread
    vital: list[tuple[str, threading.Thread]] = []  # other threads the process lives by
    if teams:
        serve.append(
            _teams_surface(
                settings, engine, now, transports, teams_local, host, teams_port, vital=vital
            )
        )
    if slack:
        serve.append(_slack_surface(settings, engine, now, transports, http, host, port))
    surfaces = Surfaces(transports)
    deliverer = Deliverer(
        engine,
        lambda: services.council_info(engine),
        surfaces,
        zone=settings.zone,
        clock=now,
        worker=f"{scheduler.worker_name()}/run",
    ).start()
    outbox.listen(engine, deliverer.wake)
    scheduler.start(engine, surfaces, settings.zone, now)
    serve_until_one_stops(serve, vital)


SERVING = {  # a serving thread's name → what it is, for the message when it stops
    "teams-http": "the Microsoft Teams server",
    "slack-http": "the Slack server",
    "slack-socket-mode": "the Slack Socket Mode connection",
}


def serve_until_one_stops(
    serve: list[tuple[str, Callable[[], None]]],
    vital: list[tuple[str, threading.Thread]],
    *,
    poll: float = 0.5,
) -> NoReturn:
    """Run each server in a thread of its own and watch them and the `vital` threads (the
    Teams SDK's event loop): when any stops, so does the process, saying which — a bot that
    stays up with one surface dead would look alive and answer nobody there."""
    watched = list(vital)
    for name, how in serve:
        thread = threading.Thread(target=how, name=name, daemon=True)
        thread.start()
        watched.append((SERVING.get(name, name), thread))
    while True:
        for what, thread in watched:
            if not thread.is_alive():
                fail(
                    f"pmf-bot run is stopping: {what} stopped unexpectedly (any error is "
                    "above), and the bot would not answer there. Start pmf-bot run again; "
                    "a service manager set to restart it will."
                )
        time.sleep(poll)


def _teams_surface(
    settings: Settings,
    engine: Engine,
    now: Callable[[], datetime],
    transports: list[Any],
    local: bool,
    host: str,
    port: int | None,
    *,
    vital: list[tuple[str, threading.Thread]],
) -> tuple[str, Callable[[], None]]:
    """The Teams surface's server, bound (so a port in use fails here), not yet serving; its
    SDK's event loop, already running, joins `vital`."""
    from handlers.teams.app import NotConfigured, build, http_server

    if local:
        if settings.teams_app_id is None:
            settings = settings.model_copy(update={"teams_app_id": LOCAL_TEAMS_APP_ID})
            typer.echo(
                f"TEAMS_APP_ID is not set: using {LOCAL_TEAMS_APP_ID} (Microsoft 365 Agents "
                "Playground's own bot id) as the bot's app id for this local try-out."
            )
        typer.echo(_LOCAL_WARNING)
    chosen = settings.teams_port if port is None else port  # 0: any free port
    try:
        deps = build(settings, engine, clock=now, local=local, deliver=False)
        server = http_server(deps, host=host, port=chosen)
    except NotConfigured as error:
        fail(str(error))
    except OSError as error:
        fail(f"Cannot listen on {host}:{chosen} for Teams: {error.strerror}.")
    transports.append(deps.transport)
    vital.append(("the Teams SDK's event loop", deps.loop.thread))
    shown = f"[{host}]" if ":" in host else host
    typer.echo(
        f"pmf-bot is serving Microsoft Teams at http://{shown}:{server.effective_port}/api/messages"
        + (" (local try-out, no sign-in checks)" if local else "")
    )
    return "teams-http", server.run


_LOCAL_WARNING = "\n".join(
    [
        "!" * 78,
        "!! --teams-local: Teams requests are accepted WITHOUT checking who sent them.",
        "!! Anyone who can reach this port can act as anyone in the register.",
        "!! It listens on 127.0.0.1 only and answers only loopback service URLs: it is",
        "!! for trying pmf-bot with Microsoft 365 Agents Playground, never for real use.",
        "!" * 78,
    ]
)


def _slack_surface(
    settings: Settings,
    engine: Engine,
    now: Callable[[], datetime],
    transports: list[Any],
    http: bool,
    host: str,
    port: int | None,
) -> tuple[str, Callable[[], None]]:
    from handlers.slack.app import NotConfigured, build_app, http_server, serve_socket_mode

    socket_mode = settings.slack_app_token is not None and not http
    try:
        bolt, deps = build_app(settings, engine, clock=now, socket_mode=socket_mode, deliver=False)
    except NotConfigured as error:
        fail(str(error))
    transports.append(deps.transport)
    threading.Thread(target=deps.directory.warm_up, name="directory-warm-up", daemon=True).start()
    if socket_mode:
        assert settings.slack_app_token is not None
        token = settings.slack_app_token.get_secret_value()
        typer.echo("pmf-bot is serving Slack in Socket Mode.")
        return "slack-socket-mode", lambda: serve_socket_mode(bolt, token)
    chosen = settings.port if port is None else port  # 0: any free port
    assert settings.slack_signing_secret is not None  # build_app refuses HTTP mode without it
    try:
        server = http_server(
            bolt, settings.slack_signing_secret.get_secret_value(), host=host, port=chosen
        )
    except OSError as error:
        fail(f"Cannot listen on {host}:{chosen} for Slack: {error.strerror}.")
    typer.echo(f"pmf-bot is serving Slack at http://{host}:{server.effective_port}/slack/events")
    return "slack-http", server.run


# -- summaries and exports -----------------------------------------------------------------------


def _summary(settings: Settings, engine: Engine, period: str | None, today: str | None) -> Any:
    from bot import summaries

    day = _today(settings, today)
    quarter = _guard(lambda: summaries.quarter_of(period, day))
    return summaries.summary(engine, services.council_info(engine), quarter, today=day)


@app.command("summary")
def summary(
    period: Annotated[
        str | None,
        typer.Option(
            "--period", help="The quarter, e.g. '2025-26 Q4' (default: the latest ended)."
        ),
    ] = None,
    post: Annotated[
        str | None,
        typer.Option(
            "--post",
            help="Post it to this channel: Slack (#name or id) or Teams (the channel's link or "
            "its 19:…@thread.tacv2 id).",
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Who posts it, for the record of published figures (default: your login)."
        ),
    ] = None,
    today: TodayOption = None,
) -> None:
    """Print the quarter's RAGG summary, or post it to a Slack or Teams channel (which records
    the quarter's figures as published)."""
    from bot.text import render_summary

    settings = _settings()
    engine = _engine(settings)
    built = _summary(settings, engine, period, today)
    if post is None:
        typer.echo(render_summary(built), nl=False)
        return
    from bot.chat import channels
    from bot.delivery import DeliveryError, Transport
    from bot.summaries import post_to_channel
    from storage import summary_store
    from storage.engine import write_session

    try:
        post = channels.address(post)
    except ValueError as error:
        fail(f"--post {error}.")
    teams = bool(channels.TEAMS_CHANNEL.match(post))
    try:
        transport: Transport
        if teams:
            from handlers.teams.app import NotConfigured as TeamsNotConfigured
            from handlers.teams.app import build

            try:
                transport = build(settings, engine, deliver=False).transport
            except TeamsNotConfigured as error:
                fail(str(error))
        else:
            from handlers.slack.app import NotConfigured, make_client
            from handlers.slack.context import Directory
            from handlers.slack.transport import SlackTransport

            try:
                client = make_client(settings)
            except NotConfigured as error:
                fail(str(error))
            transport = SlackTransport(
                engine, client, Directory(engine, client, lambda: _now(settings))
            )
        key = f"manual|{built.quarter}|{post}|{_now(settings):%Y%m%dT%H%M%S}"
        posted = post_to_channel(transport, built, key=key, channel=post)
    except DeliveryError as error:
        where, what = (
            ("Teams", "Is the app added to that channel's team?")
            if teams
            else (
                "Slack",
                "Is the bot in that channel?",
            )
        )
        fail(f"{where} would not post to {post}: {error}. {what}")
    with write_session(engine) as session:
        summary_store.record_manual_post(
            session,
            quarter=built.quarter.label,
            target=post,
            channel=posted.ref.channel,
            ts=posted.ref.ts,
            thread=posted.thread,
            now=_now(settings),
            by=_actor(by),
        )
    from bot import summaries

    summaries.publish(
        engine, built, by=_actor(by), occasion=f"posted to {post}", now=_now(settings)
    )
    typer.echo(
        f"Posted the {built.quarter} summary to {post} ({len(posted.thread)} thread messages). "
        "Its figures are recorded as published."
    )


export_app = typer.Typer(help="Exports for committee papers.", no_args_is_help=True)
app.add_typer(export_app, name="export")


@export_app.command("board")
def export_board(
    period: Annotated[str, typer.Option("--period", help="The quarter, e.g. '2025-26 Q4'.")],
    out: Annotated[
        Path, typer.Option("--out", help="FILE.xlsx (Excel) or FILE.html (printable page).")
    ],
    committee: Annotated[
        str | None,
        typer.Option(
            "--committee",
            help="One committee's paper, named as in the register (e.g. 'E&DS'); "
            "the whole council if left out.",
        ),
    ] = None,
    as_published: Annotated[
        bool,
        typer.Option(
            "--as-published",
            help="Exactly the figures last published for the quarter (posted or signed off), "
            "whatever has changed since.",
        ),
    ] = False,
    today: TodayOption = None,
) -> None:
    """The committee paper: cover and RAGG key, every measure with its trend and commentary,
    and an exception report per Red measure (seed 002 Appendix 1)."""
    from bot import summaries
    from bot.export import write_board
    from bot.paper import load_paper

    settings = _settings()
    engine = _engine(settings)
    day = _today(settings, today)
    quarter = _guard(lambda: summaries.quarter_of(period, day))
    council = services.council_info(engine)
    try:
        paper = _guard(
            lambda: load_paper(
                engine,
                council,
                quarter,
                committee=committee,
                today=day,
                as_published=as_published,
            )
        )
    except summaries.NotPublished as error:
        fail(str(error))
    built = paper.summary
    try:
        write_board(paper, out)
    except ValueError as error:
        fail(str(error))
    except OSError as error:
        fail(f"Cannot write {out}: {error.strerror}.")
    who = "all committees" if paper.committee is None else paper.audience
    typer.echo(
        f"Wrote the {built.quarter} Performance Board for {who} "
        f"({_plural(len(built.rows), 'measure')}, "
        f"{_plural(len(built.exceptions), 'exception report')}"
        f"{', as published' if as_published else ''}) to {out}."
    )


@export_app.command("methodology")
def export_methodology(
    out: Annotated[
        Path, typer.Option("--out", help="FILE.html (printable page) or FILE.xlsx (Excel).")
    ],
    ref: Annotated[
        str | None, typer.Argument(help="One measure, e.g. SE1.1; every measure if left out.")
    ] = None,
    today: TodayOption = None,
) -> None:
    """Methodology statements, one per measure, laid out as the framework's form."""
    from bot import methodology

    settings = _settings()
    engine = _engine(settings)
    measures = services.measures(engine)
    if not measures:
        fail("The register is empty: import it first with 'pmf-bot import register FILE'.")
    try:
        found = methodology.statements(measures, ref)
    except KeyError:
        fail(f"There is no measure '{ref}' in the register. Measures look like SE1.1.")
    council = services.council_info(engine).name
    try:
        methodology.write_statements(council, found, out, _today(settings, today))
    except ValueError as error:
        fail(str(error))
    except OSError as error:
        fail(f"Cannot write {out}: {error.strerror}.")
    missing = sum(1 for item in found if item.gaps)
    typer.echo(
        f"Wrote {_plural(len(found), 'methodology statement')} to {out}"
        + (
            f"; {missing} still {'has' if missing == 1 else 'have'} gaps "
            "(see 'pmf-bot register check')."
            if missing
            else "."
        )
    )


@export_app.command("annual")
def export_annual(
    year: Annotated[str, typer.Option("--year", help="The financial year, e.g. 2025-26.")],
    out: Annotated[
        Path, typer.Option("--out", help="FILE.xlsx (Excel) or FILE.html (printable page).")
    ],
    today: TodayOption = None,
) -> None:
    """The annual outturn report: every measure's year-end figure against its annual target."""
    from bot import annual

    settings = _settings()
    engine = _engine(settings)
    try:
        wanted = annual.year_of(year)
    except ValueError as error:
        fail(str(error))
    report = annual.annual_report(engine, wanted, today=_today(settings, today))
    if not report.summary.rows:
        fail("The register is empty: import it first with 'pmf-bot import register FILE'.")
    try:
        annual.write_annual(report, out)
    except ValueError as error:
        fail(str(error))
    except OSError as error:
        fail(f"Cannot write {out}: {error.strerror}.")
    draft = (
        f" It is a draft: {_plural(report.outstanding, 'measure')} still "
        f"{'has' if report.outstanding == 1 else 'have'} no approved year-end figure."
        if report.outstanding
        else ""
    )
    typer.echo(
        f"Wrote the {wanted} annual outturn report "
        f"({_plural(len(report.rows), 'measure')}) to {out}.{draft}"
    )


register_app = typer.Typer(help="The measure register.", no_args_is_help=True)
app.add_typer(register_app, name="register")


@register_app.command("check")
def register_check(today: TodayOption = None) -> None:
    """List the methodology statement fields each measure still lacks, and each project with
    its milestones."""
    from bot import methodology

    settings = _settings()
    engine = _engine(settings)
    everything = services.measures(engine)
    if not everything:
        fail("The register is empty: import it first with 'pmf-bot import register FILE'.")
    measures = {ref: item for ref, item in everything.items() if not item.is_project}
    projects = [item for item in everything.values() if item.is_project]
    incomplete = 0
    for ref, measure in measures.items():
        missing = methodology.gaps(measure)
        if missing:
            incomplete += 1
            typer.echo(f"{ref} {measure.title}: missing {', '.join(missing)}")
    if incomplete:
        typer.echo(
            f"{incomplete} of {_plural(len(measures), 'methodology statement')} "
            "still have gaps; add the fields to the register and import it again."
        )
    elif measures:
        typer.echo(f"All {_plural(len(measures), 'methodology statement')} are complete.")
    if projects:
        council = services.council_info(engine)
        on = _today(settings, today)
        typer.echo("")
        typer.echo(
            f"{_plural(len(projects), 'project')}, RAGG by milestones. "
            + project_rule_words(council.project_amber_days)
        )
        for project in projects:
            typer.echo(
                f"{project.ref} {project.title} — owner {project.head_of_service_name}, "
                f"collector {project.collector_name}, reviewer {project.reviewer_name}"
            )
            for milestone in project.milestones:
                typer.echo(f"    {milestone.due:%d %b %Y}  {milestone.title}")
            if all(milestone.due < on for milestone in project.milestones):
                typer.echo(
                    "    Every milestone is past its due date: add the next milestones, or "
                    "take the project out of the register once it is closed."
                )


# -- Microsoft Teams ---------------------------------------------------------------------------

teams_app = typer.Typer(help="Microsoft Teams.", no_args_is_help=True)
app.add_typer(teams_app, name="teams")


@teams_app.command("package")
def teams_package(
    out: Annotated[Path, typer.Option("--out", help="The zip file to write, e.g. pmf-bot.zip.")],
    host: Annotated[
        str | None,
        typer.Option(
            "--host",
            help="Where pmf-bot is reached from the internet, as in the bot's messaging "
            "endpoint, e.g. pmf.example.gov.uk.",
        ),
    ] = None,
    council: Annotated[
        str | None,
        typer.Option(
            "--council",
            help="Your council's name, shown in Teams as the app's publisher (up to 32 "
            "characters; default: The council).",
        ),
    ] = None,
    website: Annotated[
        str | None,
        typer.Option(
            "--website",
            help="Your council's page about the app (default: https://HOST/).",
        ),
    ] = None,
    privacy_url: Annotated[
        str | None,
        typer.Option("--privacy-url", help="Your privacy notice (default: the website)."),
    ] = None,
    terms_url: Annotated[
        str | None,
        typer.Option("--terms-url", help="Your terms of use (default: the website)."),
    ] = None,
    app_version: Annotated[
        str | None,
        typer.Option(
            "--app-version",
            help="The package's version, three numbers (default: pmf-bot's own); raise it "
            "when you upload a changed package.",
        ),
    ] = None,
) -> None:
    """The Teams app package to upload in the Teams admin centre (manifest and icons)."""
    from handlers.teams import package

    settings = _settings()
    try:
        built = package.details(
            settings.teams_app_id,
            host=host,
            council=council,
            website=website,
            privacy_url=privacy_url,
            terms_url=terms_url,
            version=app_version,
        )
        package.write(built, out)
    except package.PackageError as error:
        fail(str(error))
    typer.echo(
        f"Wrote the Teams app package to {out}: {package.MANIFEST_FILE} (app manifest "
        f"{package.MANIFEST_VERSION}, version {built.version}, bot {built.app_id}), "
        f"{package.COLOR_ICON} and {package.OUTLINE_ICON}."
    )
    if built.messaging_endpoint:
        typer.echo(f"The Azure Bot's messaging endpoint should be {built.messaging_endpoint}")
    typer.echo(
        "Next, upload it in the Teams admin centre under Teams apps, Manage apps "
        "(see 'Microsoft Teams' in the README)."
    )


# -- reminders ---------------------------------------------------------------------------------

reminders_app = typer.Typer(help="Reminders and escalations.", no_args_is_help=True)
app.add_typer(reminders_app, name="reminders")


@reminders_app.command("preview")
def reminders_preview(
    at: Annotated[
        str,
        typer.Option(
            "--at", help="The moment, e.g. 2026-07-07T09:00 (local time unless it has an offset)."
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """What would be sent at that moment, and to whom (nothing is sent)."""
    from bot import delivery

    settings = _settings()
    engine = _engine(settings)
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        fail(f"--at '{at}' is not a date and time: write it like 2026-07-07T09:00.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.zone)
    found = delivery.preview(engine, services.council_info(engine), at=moment, zone=settings.zone)
    if as_json:
        _emit_json([reminder.as_json() for reminder in found])
        return
    local = moment.astimezone(settings.zone)
    if not found:
        typer.echo(f"Nothing would be sent at {local:%a %d %b %Y %H:%M}.")
        return
    noun = "reminder" if len(found) == 1 else "reminders"
    typer.echo(f"At {local:%a %d %b %Y %H:%M}, {len(found)} {noun} would be sent:")
    for reminder in found:
        what = reminder.kind.value.replace("_", " ")
        if reminder.working_days_before:
            n = reminder.working_days_before
            after = "after" if reminder.kind.value == "overdue" else "before"
            what = f"{n} working day{'s' if n != 1 else ''} {after}"
        subject = f"{reminder.ref} {reminder.period}" if reminder.ref else "missing-data digest"
        if reminder.figures:  # an escalation: every figure of the Head of Service's that day
            subject = ", ".join(f"{ref} {period}" for ref, period, _ in reminder.figures)
        due = f", deadline {reminder.deadline:%a %d %b}" if reminder.deadline else ""
        covering = f" (covering for {reminder.on_behalf_of})" if reminder.on_behalf_of else ""
        typer.echo(f"  {what:<24} {subject:<20} to {reminder.recipient}{covering}{due}")


# -- sandbox ------------------------------------------------------------------------------------


@app.command("sandbox")
def sandbox(
    port: Annotated[int, typer.Option("--port", help="Port for the page (loopback only).")] = 8765,
    no_browser: Annotated[
        bool, typer.Option("--no-browser", help="Do not open a browser.")
    ] = False,
) -> None:
    """Try the whole bot in a browser, without a Slack workspace (loopback only)."""
    import logging
    import webbrowser

    from sandbox.app import Sandbox, StopSignals

    logging.basicConfig(level=logging.WARNING)
    with StopSignals() as stop:  # from here on, SIGTERM stops it as Ctrl+C does
        try:
            box = Sandbox(port).start()
        except FileNotFoundError as error:
            fail(str(error))
        except OSError as error:
            fail(f"Cannot listen on port {port}: {error.strerror}. Try --port with another number.")
        try:
            typer.echo(f"pmf-bot sandbox is running at {box.url} — press Ctrl+C to stop.")
            typer.echo(
                f"Simulated clock: {box.clock():%a %d %b %Y %H:%M}. Data is in a temporary "
                "folder and is deleted when you stop."
            )
            if not no_browser:
                webbrowser.open(box.url)
            stop.wait()
            typer.echo("Stopping the sandbox.")
        finally:
            box.stop()


# -- audit --------------------------------------------------------------------------------------


@audit_app.command("export")
def audit_export(
    out: Annotated[Path, typer.Option("--out", help="The CSV file to write.")],
) -> None:
    """Write the whole audit trail to a CSV file."""
    settings = _settings()
    engine = _engine(settings)
    try:
        count = audit.export_csv(engine, out)
    except OSError as error:
        fail(f"Cannot write {out}: {error.strerror}.")
    typer.echo(f"Wrote {count} audit events to {out}.")


AnchorOption = Annotated[
    list[str] | None,
    typer.Option(
        "--anchor",
        help="An anchor printed by 'pmf-bot audit anchor' (SEQ:HASH); repeat for several.",
    ),
]


def _plural(count: int, noun: str) -> str:
    return f"{count:,} {noun}{'' if count == 1 else 's'}"


@audit_app.command("verify")
def audit_verify(anchor: AnchorOption = None) -> None:
    """Check that no audit event was edited, deleted, re-written or cut off (exit status 1 if
    any was). With --anchor, also that nothing up to each anchored event changed."""
    settings = _settings()
    try:
        anchors = [audit.Anchor.parse(text) for text in anchor or []]
    except ValueError as error:
        fail(f"--anchor {error}.")
    engine = _engine(settings)
    result = audit.verify(engine, anchors)
    notes = _verify_notes(settings, result)
    if result.ok:
        typer.echo(
            f"The audit trail is intact: {_plural(result.events, 'event')}, each linked to the "
            "one before it."
        )
        for note in notes:
            typer.echo(f"  {note}")
        return
    lines: list[str] = []
    if result.problems:
        count = _plural(len(result.problems), "problem")
        lines.append(f"The audit trail has been tampered with ({count}):")
        lines += [f"  - {problem}" for problem in result.problems]
    if result.unchecked:
        lines.append("Some events could not be checked, because their key is not set:")
        lines += [f"  - {item}" for item in result.unchecked]
    fail("\n".join(lines + [f"  {note}" for note in notes]))


def _verify_notes(settings: Settings, result: audit.Verification) -> list[str]:
    """What the check proves: which keys signed the events, and which anchors held."""
    notes: list[str] = []
    keys = _audit_keys(settings)
    for kid, count in result.signed.items():
        if kid is None:
            notes.append(
                f"{_plural(count, 'event')} unkeyed (written before PMF_AUDIT_KEY was set): an "
                "edit or deletion shows, but someone able to write to the database could re-write "
                "them and their hashes; an anchor taken before that would show it."
            )
        else:
            if kid == keys.current_id:
                which = "PMF_AUDIT_KEY"
            elif keys.find(kid):
                which = "an earlier key, from PMF_AUDIT_KEYS_OLD"
            else:
                which = "a key not set here"
            notes.append(f"{_plural(count, 'event')} signed with key {kid} ({which}).")
    for held in result.held:
        notes.append(
            f"Anchor {held.short} holds: nothing at or before event {held.seq} has been changed "
            "or removed since it was taken."
        )
    return notes


@audit_app.command("anchor")
def audit_anchor(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Print the audit trail's head (event number and hash) to keep outside the database."""
    settings = _settings()
    engine = _engine(settings)
    result = audit.verify(engine)
    if not result.ok:
        fail(
            "The audit trail does not verify, so it cannot be anchored: run "
            "'pmf-bot audit verify' to see why."
        )
    head = result.head
    if as_json:
        _emit_json(
            {
                "anchor": str(head),
                "seq": head.seq,
                "hash": head.hash,
                "key_id": result.head_key,
                "taken_at": _now(settings).astimezone(UTC).isoformat(timespec="seconds"),
            }
        )
        return
    if head.seq == 0:
        typer.echo("The audit trail is empty: there is nothing to anchor yet.")
        return
    taken = _now(settings)
    typer.echo(f"pmf-bot audit anchor, {taken:%d %b %Y %H:%M %Z}: {head}")
    typer.echo(
        "Keep this line outside the database (for example in the committee minutes). Later, "
        "'pmf-bot audit verify --anchor \"<this line>\"' proves that nothing up to event "
        f"{head.seq} has been changed or removed since."
    )


# -- people -------------------------------------------------------------------------------------


@people_app.command("list")
def people_list(
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Everyone in the register: name, e-mail, roles and the chat accounts linked to them."""
    from bot import people

    settings = _settings()
    engine = _engine(settings)
    rows = people.everyone(engine)
    if as_json:
        _emit_json(
            [{"name": r.name, "email": r.email, "roles": list(r.roles), **r.accounts} for r in rows]
        )
        return
    if not rows:
        typer.echo("Nobody is in the register yet: import it with 'pmf-bot import register'.")
        return
    table = [
        (
            r.name,
            r.email,
            ", ".join(r.roles) or "-",
            *(r.accounts.get(surface) or "-" for surface in people.SURFACES),
        )
        for r in rows
    ]
    header = ("name", "e-mail", "roles", *(f"{s} account" for s in people.SURFACES))
    widths = [max(len(str(row[i])) for row in [header, *table]) for i in range(len(header))]
    for row in [header, *table]:
        typer.echo(
            "  ".join(
                str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)
            ).rstrip()
        )


@people_app.command("rebind")
def people_rebind(
    email: Annotated[str, typer.Argument(help="The person's e-mail, as the register gives it.")],
    by: Annotated[
        str,
        typer.Option("--by", help="Your e-mail: an admin in the register (recorded)."),
    ],
    slack_user: Annotated[
        str | None,
        typer.Option("--slack-user", help="The Slack member id (U…) to link them to."),
    ] = None,
    teams_user: Annotated[
        str | None,
        typer.Option(
            "--teams-user",
            help="The Teams account id (29:…) to link them to, as the admins' notice gives it.",
        ),
    ] = None,
) -> None:
    """Link a register person to another chat account (a new Slack or Teams account), audited.
    An account claiming a linked person's e-mail is refused until an admin does this."""
    from bot import people

    if (slack_user is None) == (teams_user is None):
        fail(
            "Say which account to link: --slack-user with the Slack member id (U…), or "
            "--teams-user with the Teams account id (29:…) — one of them."
        )
    surface, user_id = ("slack", slack_user) if slack_user is not None else ("teams", teams_user)
    assert user_id is not None
    settings = _settings()
    engine = _engine(settings)
    try:
        done = people.rebind(
            engine, email=email, surface=surface, user_id=user_id, by=by, now=_now(settings)
        )
    except people.PeopleProblem as error:
        fail(str(error))
    was = f" (was {done.before})" if done.before else ""
    where = people.SURFACE_NAMES[surface]
    typer.echo(f"{done.name} is now linked to {where} account {done.user_id}{was}.")
    if done.taken_from:
        typer.echo(f"That account was linked to {done.taken_from}; that link is removed.")
    typer.echo("Recorded in the audit trail.")


def main() -> None:
    app()


if __name__ == "__main__":
    main()
