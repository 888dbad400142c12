"""Kill test (issue 11): `kill -9` pmf-bot in the middle of 400 approvals, restart it, and
count the decisions lost and the messages sent twice. Goal: 0 and 0.

    python -m bench.kill_test                    # SQLite in a temporary directory
    python -m bench.kill_test --postgres         # a throwaway PostgreSQL database
    python -m bench.kill_test --postgres --replicas 2   # two servers; one killed, no restart
    python -m bench.slack_ack --kill [--postgres] # the same

One run imports a generated register (bench/data.py; no actuals are needed), starts the Slack
Web API stand-in in this process, and serves pmf-bot alone in a child process
(`python -m bench.slack_support serve`, the app `pmf-bot run` serves, with its outbox
deliverer), on a clock that starts at a fixed moment and runs in real time. Then:

1. each measure's collector submits a figure (`view_submission`, signed as Slack signs it)
   and the bot posts the review cards;
2. `--clients` clients click Approve on `--clicks` cards, as their reviewers; once about
   half of the decisions are in the database (`--kill-at`), the server gets SIGKILL (no
   shutdown, no flush: rows half-sent, clicks half-answered);
3. the server is started again on the same database, with its clock ten minutes later than
   the killed one's (so the rows the dead process had claimed look abandoned, as they would
   after five minutes, and are taken over; the clock then runs in real time), and the
   clicks that were not answered 200 are sent again, as a reviewer who
   saw an error would click again;
   With `--replicas 2` two servers share the database and the requests (round robin, by a
   load child each); the first is killed and never restarted: the other's clock moves on
   ten minutes instead, so it takes over the dead one's claims, and the clicks not answered
   are sent to it;
4. once the outbox is empty and Slack has been quiet for a while, the stand-in's record and
   the database are compared:

* **lost**: a click answered 200 whose submission has no review row;
* **duplicated**: messages posted more than once with the same key (every message the outbox
  sends carries its key in Slack message metadata), counted from every `chat.postMessage` the
  stand-in answered `ok`;
* **missing**: a decision whose card was never rewritten after it, or whose submitter was
  never told; **left in the outbox**: rows still pending or sending at the end.

This is a measurement (it prints figures and exits 0); `tests/test_kill.py` runs a smaller
one on both databases and asserts 0 lost, 0 duplicated, 0 missing.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlmodel import col, func, select

from bench.data import generate, register_document
from bench.slack_support import (
    LONDON,
    NOW,
    POSTGRES_SERVER,
    Child,
    Prepared,
    fixed_clock,
    throwaway_postgres,
)
from bot import services
from bot.chat.conversation import Core
from sandbox.slack_api import SlackStandIn
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import OutboxItem, Review

RESTART_LATER_S = 600.0  # the restarted server's clock: past the outbox's 5-minute stale claim
QUIET_S = 1.5  # Slack silent this long (and the outbox empty): the work is over


def _send_split(
    loads: list[Child],
    urls: list[str],
    items: list[Prepared],
    clients: int,
    rate: float | None = None,
) -> None:
    """Start sending `items` round robin over `urls` (a load balancer): item i to server
    i mod n, by its own load child with its share of the clients (and of `rate`, requests a
    second in all; None: each client sends again as soon as it is answered)."""
    for number, (load, url) in enumerate(zip(loads, urls, strict=False)):
        load.send(
            {
                "url": url,
                "items": [[item.body, item.content_type] for item in items[number :: len(urls)]],
                "clients": max(1, clients // len(urls)),
                "max_seconds": 600.0,
                "rate": rate / len(urls) if rate else None,
            }
        )


def _receive_split(loads: list[Child], urls: list[str], total: int) -> list[list[float] | None]:
    """The results of `_send_split`, back in the items' order."""
    results: list[list[float] | None] = [None] * total
    for number, load in enumerate(loads[: len(urls)]):
        for j, result in enumerate(load.receive()["results"]):
            results[number + j * len(urls)] = result
    return results


def _load(
    loads: list[Child], urls: list[str], items: list[Prepared], clients: int
) -> list[list[float] | None]:
    _send_split(loads, urls, items, clients)
    return _receive_split(loads, urls, len(items))


def _homes_asked(engine: Any) -> int:
    """How many App Home refreshes changes have asked for so far: each person's `home|` row
    counts one when stored and one more each time it is re-armed (its generation)."""
    with read_session(engine) as session:
        found = session.exec(
            select(func.count(), func.coalesce(func.sum(OutboxItem.generation), 0)).where(
                col(OutboxItem.key).startswith("home|")
            )
        ).one()
    return int(found[0]) + int(found[1])


def _reviews(engine: Any) -> int:
    with read_session(engine) as session:
        return int(session.exec(select(func.count()).select_from(Review)).one())


def _settle(engine: Any, slack: SlackStandIn, timeout: float) -> bool:
    """Until nothing is pending or being sent and Slack has been quiet for QUIET_S."""
    from bench.slack_ack import outbox_busy

    deadline = time.monotonic() + timeout
    seen, quiet_since = len(slack.calls), time.monotonic()
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if len(slack.calls) != seen:
            seen, quiet_since = len(slack.calls), time.monotonic()
            continue
        if not outbox_busy(engine) and time.monotonic() - quiet_since >= QUIET_S:
            return True
    return False


def _start_server(
    url: str, api_url: str, log_file: Any, offset_s: float, threads: int
) -> tuple[Child, str]:
    server = Child("serve", stderr=log_file)
    ready = server.ask(
        {
            "database_url": url,
            "api_url": api_url,
            "threads": threads,
            "apps": ["pmf"],
            "clock_offset_s": offset_s,
        }
    )
    return server, str(ready["urls"]["pmf"])


def run_kill(
    url: str,
    *,
    measures: int = 560,
    clicks: int = 400,
    clients: int = 20,
    kill_at: float = 0.5,
    threads: int = 16,
    seed: int = 2026,
    log: Callable[[str], None] = lambda text: None,
    directory: Path | None = None,
    replicas: int = 1,
    rate: float | None = None,
) -> dict[str, Any]:
    """The kill test on the (empty or freshly migrated) database at `url`; its figures.

    With `rate`, the clicks go at that many a second instead of as fast as they are answered:
    a small run (the test's 40) is otherwise all decided before the kill can land half-way.

    With `replicas` 2 (PostgreSQL), two servers share the database and the requests (round
    robin); the first is killed and not restarted: the other takes over what it left, once
    its clock has passed the stale claim."""
    from bench.slack_ack import (
        CapturingSimulator,
        click_items,
        people_of,
        posted_cards,
        submission_items,
        wait_idle,
    )

    began = time.perf_counter()
    with ExitStack() as stack:
        if directory is None:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pmf-kill-")))
        files = generate(directory, measures, seed=seed)
        document, _plans = register_document(measures, seed)
        engine = make_engine(url)
        stack.callback(engine.dispose)
        upgrade(engine)
        services.import_register(engine, files.register, actor="bench (kill)", now=NOW)
        slack = stack.enter_context(SlackStandIn())
        uids = {email: slack.add_user(email, name) for email, name in people_of(document)}
        simulator = CapturingSimulator(slack)
        core = Core(engine, fixed_clock, LONDON)
        forms, _keys = submission_items(simulator, core, document, uids, clicks, seed)
        log(f"{len(forms)} submission forms for {measures} measures")

        server_log = (directory / "server.log").open("w+", encoding="utf-8")
        stack.callback(server_log.close)
        loads = [Child("load") for _ in range(replicas)]
        for load in loads:
            stack.callback(load.close)
        started = time.monotonic()
        servers = [
            _start_server(url, slack.api_url, server_log, 0.0, threads) for _ in range(replicas)
        ]
        for server, _ in servers:
            stack.callback(server.close)
        urls = [app_url for _, app_url in servers]
        victim = servers[0][0]

        # 1. The submissions and their review cards.
        _load(loads, urls, forms, clients)
        wait_idle(engine)
        cards = posted_cards(engine, slack, uids)[:clicks]
        items, _done = click_items(simulator, cards)
        log(f"{len(cards)} review cards posted; clicking Approve on each")

        # 2. The approvals, and kill -9 once about half are decided.
        reviews_before = _reviews(engine)
        homes_before = _homes_asked(engine)
        calls_before = len(slack.calls)
        wanted = reviews_before + max(1, int(len(items) * kill_at))
        _send_split(loads, urls, items, clients, rate)
        killed_at_reviews = None
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            decided = _reviews(engine)
            if decided >= wanted:
                os.kill(victim.pid, signal.SIGKILL)
                victim.process.wait(timeout=30)
                killed_at_reviews = decided - reviews_before
                break
            time.sleep(0.02)
        first_results = _receive_split(loads, urls, len(items))
        if killed_at_reviews is None:  # all done before half: kill now anyway
            os.kill(victim.pid, signal.SIGKILL)
            victim.process.wait(timeout=30)
            killed_at_reviews = _reviews(engine) - reviews_before
        log(f"killed a server with {killed_at_reviews} of {len(items)} decisions recorded")

        # 3. One replica: restart it later on the same database. Two: the survivor's clock
        #    moves on as far. Then send again what was not answered 200.
        if replicas == 1:
            later = time.monotonic() - started + RESTART_LATER_S
            server, app_url = _start_server(url, slack.api_url, server_log, later, threads)
            stack.callback(server.close)
            survivor_url = app_url
        else:
            survivor, survivor_url = servers[1]
            survivor.ask({"cmd": "jump", "seconds": RESTART_LATER_S})
        answered = {i for i, r in enumerate(first_results) if r is not None and int(r[2]) == 200}
        again = [i for i in range(len(items)) if i not in answered]
        second_results: list[list[float] | None] = []
        if again:
            second_results = _load(loads, [survivor_url], [items[i] for i in again], clients)
        acked = set(answered) | {
            again[j] for j, r in enumerate(second_results) if r is not None and int(r[2]) == 200
        }
        settled = _settle(engine, slack, timeout=900)
        log(f"{len(again)} clicks sent again; outbox drained: {settled}")

        # 4. Count.
        ids = [card.submission_id for card in cards]
        with read_session(engine) as session:
            decided_ids = set(
                session.exec(select(Review.submission_id).where(col(Review.submission_id).in_(ids)))
            )
            left = Counter(
                status
                for status in session.exec(
                    select(OutboxItem.status).where(
                        col(OutboxItem.status).in_(["pending", "sending"]),
                        col(OutboxItem.urgent).is_(True),
                    )
                )
            )
        lost = sorted(
            cards[i].submission_id for i in acked if cards[i].submission_id not in decided_ids
        )
        calls = slack.calls[calls_before:]
        posted = Counter(
            str(((c.params.get("metadata") or {}).get("event_payload") or {}).get("key") or "")
            for c in calls
            if c.method == "chat.postMessage" and c.ok
        )
        unkeyed = posted.pop("", 0)
        duplicated = {key: n for key, n in posted.items() if n > 1}
        updates = {
            (c.params.get("channel"), c.params.get("ts"))
            for c in calls
            if c.method == "chat.update" and c.ok
        }
        by_id = {card.submission_id: card for card in cards}
        not_updated = [
            sid for sid in decided_ids if (by_id[sid].channel, by_id[sid].ts) not in updates
        ]
        told = {key.split("|")[2] for key in posted if key.startswith("notice|decided|")}
        not_told = [sid for sid in decided_ids if str(sid) not in told]
        methods = Counter(c.method for c in calls if c.ok)
        for server, _ in servers:  # the ones still running (closing a dead one is a no-op)
            server.close()
        server_log.seek(0)
        errors = Counter(
            line.strip()[:120] for line in server_log if line.startswith(("ERROR", "CRITICAL"))
        )
        return {
            "benchmark": "kill_test",
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": make_engine(url).dialect.name,
            "replicas": replicas,
            "load_average": [round(x, 2) for x in os.getloadavg()],
            "measures": measures,
            "clicks": len(items),
            "clients": clients,
            "killed_after_decisions": killed_at_reviews,
            "answered_200_before_kill": len(answered),
            "not_answered_before_kill": Counter(
                "unsent" if r is None else str(int(r[2]))
                for i, r in enumerate(first_results)
                if i not in answered
            ),
            "sent_again": len(again),
            "acked": len(acked),
            "decided": len(decided_ids),
            "lost": len(lost),
            "lost_ids": lost[:20],
            "duplicated": sum(n - 1 for n in duplicated.values()),
            "duplicated_keys": dict(list(duplicated.items())[:20]),
            "unkeyed_posts": unkeyed,
            "cards_not_updated": len(not_updated),
            "submitters_not_told": len(not_told),
            "left_in_outbox": dict(left),
            "drained": settled,
            "web_api_calls": dict(methods.most_common()),
            "home_refreshes_asked": _homes_asked(engine) - homes_before,
            "home_refreshes_published": methods["views.publish"],
            "server_errors": dict(errors.most_common(5)),
            "total_s": round(time.perf_counter() - began, 1),
        }


@contextmanager
def _database(args: argparse.Namespace, directory: Path) -> Iterator[str]:
    if args.postgres:
        with throwaway_postgres(POSTGRES_SERVER) as url:
            yield url
    else:
        yield f"sqlite:///{directory / 'pmf-kill.db'}"


def report(figures: dict[str, Any]) -> str:
    verdict = "met" if figures["lost"] == 0 and figures["duplicated"] == 0 else "MISSED"
    return "\n".join(
        [
            f"pmf-bot kill test ({figures['date']}), {figures['database']}, "
            f"{figures['replicas']} replica(s), load average {figures['load_average'][0]:g}",
            f"{figures['clicks']} Approve clicks by {figures['clients']} clients; kill -9 after "
            f"{figures['killed_after_decisions']} decisions; {figures['answered_200_before_kill']}"
            f" answered 200 before the kill, not answered: "
            f"{dict(figures['not_answered_before_kill'])}; {figures['sent_again']} sent again "
            + ("after the restart" if figures["replicas"] == 1 else "to the surviving replica"),
            f"  decisions lost (answered 200, no review):  {figures['lost']}",
            f"  messages duplicated (same key twice):      {figures['duplicated']}",
            f"  cards not rewritten after the decision:    {figures['cards_not_updated']}",
            f"  submitters never told of the decision:     {figures['submitters_not_told']}",
            f"  rows left in the outbox:                   {figures['left_in_outbox'] or 0}",
            f"  posts without a key:                       {figures['unkeyed_posts']}",
            f"  App Home published / asked for by changes: "
            f"{figures['home_refreshes_published']} / {figures['home_refreshes_asked']}",
            f"goal 0 lost and 0 duplicated: {verdict}; decided {figures['decided']} of "
            f"{figures['clicks']}; Web API calls {figures['web_api_calls']}; "
            f"{figures['total_s']} s",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.kill_test", description=__doc__)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--clicks", type=int, default=400)
    parser.add_argument("--measures", type=int, default=560)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--kill-at", type=float, default=0.5)
    parser.add_argument(
        "--replicas",
        type=int,
        choices=[1, 2],
        default=1,
        help="2: two servers share the requests; one is killed and the other finishes "
        "(PostgreSQL only)",
    )
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.replicas > 1 and not args.postgres:
        parser.error("--replicas 2 needs --postgres: SQLite serves one process")

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with ExitStack() as stack:
        name = stack.enter_context(tempfile.TemporaryDirectory(prefix="pmf-kill-"))
        url = stack.enter_context(_database(args, Path(name)))
        figures = run_kill(
            url,
            measures=args.measures,
            clicks=args.clicks,
            clients=args.clients,
            kill_at=args.kill_at,
            log=log,
            directory=Path(name),
            replicas=args.replicas,
        )
    print(report(figures))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
