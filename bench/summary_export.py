"""Summary and committee-export benchmark (issue 5): `python -m bench.summary_export`.

Loads a generated 1,000-measure register with four years of history (bench.data), then times,
each `--repeats` times: building the quarter's summary (bot.summaries.summary), rendering it
for Slack (bot.chat.summaries, rendered by handlers.slack.render), gathering the committee
paper (five quarters), its XLSX and HTML forms, and the chart. A
baseline measured in the same run (whole-council status, which the summary is built on) gives
ratios, since wall-clock times on a shared 2-core machine are noisy. It also counts the SQL
statements per summary for 100 and 1,000 measures, to show they do not grow with the register.
Figures, not a pass/fail test; goals: summary < 2 s, XLSX export < 2 s.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from bench.data import generate
from bench.foundation import StatementCounter, throwaway_postgres
from bot import services, summaries
from bot.chart import ragg_chart
from bot.chat.summaries import summary_messages
from bot.export import board_html, board_workbook
from bot.paper import load_paper
from bot.periods import Period
from handlers.slack.render import message as slack_message
from storage.engine import make_engine
from storage.migrate import upgrade

QUARTER = Period.parse("2025-26 Q4")
TODAY = date(2026, 5, 1)
NOW = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)


def load(url: str, folder: Path, measures: int) -> Any:
    (folder / f"data-{measures}").mkdir(exist_ok=True)
    data = generate(folder / f"data-{measures}", measures)
    engine = make_engine(url)
    upgrade(engine)
    services.import_register(engine, data.register, actor="bench", now=NOW)
    admin = services.admins(engine)[0]
    services.import_actuals(engine, data.actuals, actor=admin, now=NOW, today=TODAY)
    return engine


def timed(action: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = action()
        times.append(time.perf_counter() - start)
    return times, result


def statements_per_summary(url_for: Callable[[int], str], folder: Path, size: int) -> int:
    engine = load(url_for(size), folder, size)
    council = services.council_info(engine)
    summaries.summary(engine, council, QUARTER, today=TODAY)  # warm: as a running bot is
    counter = StatementCounter(engine)
    summaries.summary(engine, council, QUARTER, today=TODAY)
    count = counter.take()
    counter.remove()
    engine.dispose()
    return count


def run(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pmf-bench-") as temp:
        folder = Path(temp)
        if args.postgres:
            with throwaway_postgres("postgresql://postgres@127.0.0.1:5432") as url:
                return measure(lambda _size: url, folder, args, "PostgreSQL")
        return measure(
            lambda size: f"sqlite:///{folder / f'bench-{size}.db'}", folder, args, "SQLite"
        )


def measure(
    url_for: Callable[[int], str], folder: Path, args: argparse.Namespace, database: str
) -> dict[str, Any]:
    small = statements_per_summary(url_for, folder, 100)
    if database == "PostgreSQL":  # one database: empty it for the full-size register
        engine = make_engine(url_for(0))
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        engine.dispose()
    engine = load(url_for(args.measures), folder, args.measures)
    council = services.council_info(engine)
    counter = StatementCounter(engine)
    summaries.summary(engine, council, QUARTER, today=TODAY)
    counter.take()
    summaries.summary(engine, council, QUARTER, today=TODAY)
    large = counter.take()
    counter.remove()
    steps: dict[str, list[float]] = {}
    steps["status, whole council (baseline)"], _ = timed(
        lambda: services.status(engine, None, QUARTER, today=TODAY), args.repeats
    )
    steps["summary (built from the database)"], built = timed(
        lambda: summaries.summary(engine, council, QUARTER, today=TODAY), args.repeats
    )
    steps["summary rendered for Slack"], messages = timed(
        lambda: [slack_message(m) for m in summary_messages(built)], args.repeats
    )
    out = folder / "board.xlsx"
    steps["committee paper gathered (five quarters)"], _ = timed(
        lambda: load_paper(engine, council, QUARTER, committee=None, today=TODAY), args.repeats
    )
    steps["XLSX export (paper + workbook)"], _ = timed(
        lambda: board_workbook(
            load_paper(engine, council, QUARTER, committee=None, today=TODAY), out
        ),
        args.repeats,
    )
    steps["HTML export (paper + page, no chart)"], _ = timed(
        lambda: board_html(
            load_paper(engine, council, QUARTER, committee=None, today=TODAY), chart=False
        ),
        args.repeats,
    )
    steps["RAGG chart (PNG)"], _ = timed(lambda: ragg_chart(built), args.repeats)
    engine.dispose()
    baseline = statistics.median(steps["status, whole council (baseline)"])
    return {
        "database": database,
        "measures": args.measures,
        "repeats": args.repeats,
        "reds": len(built.reds),
        "slack_messages": len(messages),
        "largest_message_blocks": max(len(blocks) for _, blocks in messages),
        "statements_per_summary": {"100": small, str(args.measures): large},
        "steps": {
            name: {
                "median": statistics.median(times),
                "min": min(times),
                "max": max(times),
                "ratio": statistics.median(times) / baseline,
            }
            for name, times in steps.items()
        },
    }


def render(figures: dict[str, Any]) -> str:
    goals = {
        "summary (built from the database)": "< 2 s",
        "XLSX export (summary + workbook)": "< 2 s",
    }
    lines = [
        f"Summary and export, {figures['measures']:,} measures, {figures['database']}, "
        f"median of {figures['repeats']}",
        "",
        f"{'step':<42}{'median s':>10}{'min':>8}{'max':>8}{'vs status':>11}  goal",
    ]
    for name, step in figures["steps"].items():
        lines.append(
            f"{name:<42}{step['median']:>10.3f}{step['min']:>8.3f}{step['max']:>8.3f}"
            f"{step['ratio']:>10.2f}×  {goals.get(name, '')}"
        )
    counts = figures["statements_per_summary"]
    lines += [
        "",
        "SQL statements per summary (warm, as in a running bot): "
        + ", ".join(f"{size} measures: {count}" for size, count in counts.items()),
        f"Slack: {figures['slack_messages']} messages (first + thread), largest "
        f"{figures['largest_message_blocks']} blocks (limit 50); "
        f"{figures['reds']} Red exception reports",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.summary_export", description=__doc__)
    parser.add_argument("--measures", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--postgres", action="store_true", help="use a throwaway database on 127.0.0.1:5432"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args)
    print(render(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
