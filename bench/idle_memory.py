"""`pmf-bot run`'s resident memory at rest, Slack only, with a generated register (issue 11's
"idle RSS < 120 MB").

    python -m bench.idle_memory                            # 1,000 and 10,000 measures, SQLite
    python -m bench.idle_memory --measures 10000 --tracemalloc 25

For each register size: a SQLite database gets the generated register (bench/data.py) and
its actuals once (kept with `--keep DIR`; each run works on a fresh copy); the Slack stand-in
(sandbox.slack_api) knows the register's people; the real `pmf-bot run --host 127.0.0.1
--port 0` command starts against it (from `--code DIR`, a "before" worktree, if given). Its
`VmRSS` (and `VmHWM`, threads, CPU seconds) is read from /proc `--after` seconds after start
(or when it says it is serving, if later), again once settled (no CPU used for 3 s: the first
scheduler tick and the people's look-up done), and again, settled, after one signed
`/pmf status REF` and one App Home open by the first measure's collector. With
`--tracemalloc N` the command runs under `-X tracemalloc` and the N biggest allocation sites
(by line) are printed at the last two readings — ~3× slower, and its RSS is not the figure.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.data import generate, register_document
from bench.foundation import Workload
from bench.slack_ack import measures_of, people_of
from sandbox.slack_api import SlackStandIn
from sandbox.slack_client import SlackClientSimulator
from storage.engine import make_engine
from storage.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-signing-secret"
SERVING = re.compile(r"serving Slack at (http://\S+)")

# Run pmf-bot's own entry point; on SIGUSR1 write tracemalloc's top sites, and how many
# measures the register caches hold, to the given file.
TRACED = """
import signal, sys, tracemalloc
out, top = sys.argv[1], int(sys.argv[2])
rss = lambda: int(open("/proc/self/statm").read().split()[1]) * 4096 / 1e6
def dump(*_):
    before = rss()
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    stats = snapshot.statistics("lineno")
    total = sum(s.size for s in stats)
    peak = tracemalloc.get_traced_memory()[1]
    with open(out, "a", encoding="utf-8") as f:
        f.write(f"traced {total / 1e6:.1f} MB in {len(stats)} sites (peak {peak / 1e6:.1f} MB); ")
        f.write(f"RSS {before:.1f} MB before the snapshot\\n")
        from storage import queries
        kept = {name: [len(c[1]) for c in getattr(queries, name).values()]
                for name in ("_CATALOGUE", "_EVERY")}
        f.write(f"register caches (measures in each): {kept}\\n")
        for s in stats[:top]:
            f.write(f"{s.size / 1e6:8.2f} MB {s.count:8d} {s.traceback[0]}\\n")
        f.write("--\\n")
signal.signal(signal.SIGUSR1, dump)
sys.argv = ["pmf-bot", *sys.argv[3:]]
from handlers.cli import main
main()
"""


def proc_status(pid: int) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) / 1000  # kB → MB
        elif name == "Threads":
            fields[name] = int(value)
    parts = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = os.sysconf("SC_CLK_TCK")
    fields["cpu_s"] = (int(parts[11]) + int(parts[12])) / ticks  # utime + stime
    return fields


def prepare(directory: Path, measures: int, seed: int) -> tuple[Path, dict[str, Any], float]:
    """A SQLite database holding the register and its actuals, made once in `directory` (a
    second run with the same `--keep` directory uses it again); each run works on a copy."""
    database = directory / f"pmf-{measures}-{seed}.db"
    document, _plans = register_document(measures, seed)
    began = time.perf_counter()
    if database.exists():
        return database, document, 0.0
    files = generate(directory, measures, seed=seed)
    making = database.with_suffix(".making")
    engine = make_engine(f"sqlite:///{making}")
    upgrade(engine)
    work = Workload(files)  # as bench.foundation imports them (actuals in parts if large)
    work.import_register(engine, expect_created=True)
    work.import_actuals(engine)
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    making.rename(database)
    return database, document, time.perf_counter() - began


def measure(
    measures: int,
    *,
    after: float,
    seed: int,
    tracemalloc: int,
    keep: Path | None = None,
    code: Path | None = None,
    log: Any = print,
) -> dict[str, Any]:
    with ExitStack() as stack:
        if keep is None:
            keep = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="pmf-idle-")))
        directory = keep
        slack = stack.enter_context(SlackStandIn())
        pristine, document, prepared_s = prepare(directory, measures, seed)
        database = directory / "run.db"
        for leftover in directory.glob("run.db*"):
            leftover.unlink()
        shutil.copyfile(pristine, database)
        url = f"sqlite:///{database}"
        log(f"{measures} measures: database ready in {prepared_s:.1f} s")
        uids = {email: slack.add_user(email, name) for email, name in people_of(document)}
        env = {
            **os.environ,
            "PMF_DATABASE_URL": url,
            "SLACK_BOT_TOKEN": "xoxb-bench-token",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "PYTHONPATH": str(code or ROOT),
            "PYTHONUNBUFFERED": "1",
        }
        for name in ("TEAMS_APP_ID", "SLACK_APP_TOKEN"):
            env.pop(name, None)
        dump = directory / "tracemalloc.txt"
        dump.unlink(missing_ok=True)
        run_args = ["run", "--host", "127.0.0.1", "--port", "0"]
        if tracemalloc:
            command = [sys.executable, "-X", "tracemalloc=1", "-c", TRACED, str(dump)]
            command += [str(tracemalloc), *run_args]
        else:
            command = [str(Path(sys.executable).with_name("pmf-bot")), *run_args]
        started = time.monotonic()
        process = subprocess.Popen(
            command,
            cwd=directory,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        app_url = _serving(process, timeout=180)
        serving_s = time.monotonic() - started
        drained = threading.Thread(target=_drain, args=(process,), daemon=True)
        drained.start()
        try:
            time.sleep(max(0.0, started + after - time.monotonic()))
            idle = proc_status(process.pid)
            idle["since_start_s"] = time.monotonic() - started
            idle["web_api_calls"] = Counter(c.method for c in list(slack.calls))
            settled = _quiet(process.pid)  # the first scheduler tick and the warm-up done
            settled["since_start_s"] = time.monotonic() - started
            _trace(process, dump, tracemalloc)

            first = measures_of(document)[0]
            ref, user = str(first["ref"]), uids[str(first["collector"])]
            client = SlackClientSimulator(app_url, SECRET, stand_in=slack)
            began = time.perf_counter()
            status = client.command(user, f"status {ref}")
            if status.status != 200:
                log(f"/pmf status {ref}: {status.status} {status.text[:300]}")
            home = client.app_home_opened(user)
            asked_s = time.perf_counter() - began
            used = _quiet(process.pid)
            used["web_api_calls"] = Counter(c.method for c in list(slack.calls))
            _trace(process, dump, tracemalloc)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
        return {
            "measures": measures,
            "serving_after_s": round(serving_s, 1),
            "idle": idle,
            "settled": settled,
            "after_status_and_home": used,
            "status_http": status.status,
            "home_http": home.status,
            "asked_s": round(asked_s, 2),
            "tracemalloc": dump.read_text() if dump.exists() else "",
        }


def _serving(process: subprocess.Popen[str], timeout: float) -> str:
    assert process.stdout is not None
    end = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < end:
        line = process.stdout.readline()
        if not line:
            break
        seen.append(line)
        found = SERVING.search(line)
        if found:
            return found.group(1).rstrip(".")
    process.kill()
    raise RuntimeError("pmf-bot run did not start serving Slack:\n" + "".join(seen[-30:]))


def _drain(process: subprocess.Popen[str]) -> None:
    assert process.stdout is not None
    for _line in process.stdout:
        pass


def _quiet(pid: int, *, within: float = 240.0) -> dict[str, Any]:
    """The process's figures once it has used under 0.05 s of CPU in 3 s (nothing left to do
    but wait), or after `within` seconds."""
    end = time.monotonic() + within
    last = proc_status(pid)
    while time.monotonic() < end:
        time.sleep(3)
        now = proc_status(pid)
        if now["cpu_s"] - last["cpu_s"] < 0.05:
            return now
        last = now
    return last


def _trace(process: subprocess.Popen[str], dump: Path, top: int) -> None:
    if not top:
        return
    size = dump.stat().st_size if dump.exists() else 0
    process.send_signal(signal.SIGUSR1)
    end = time.monotonic() + 600
    while time.monotonic() < end:
        if dump.exists() and dump.stat().st_size > size and dump.read_text().endswith("--\n"):
            return
        time.sleep(0.2)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--measures", type=int, action="append", help="(1000 and 10000)")
    parser.add_argument("--after", type=float, default=12.0, help="seconds after start (12)")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--tracemalloc", type=int, default=0, metavar="N")
    parser.add_argument("--keep", type=Path, help="keep the databases here, to run again")
    parser.add_argument(
        "--code", type=Path, help="run pmf-bot from this checkout (a 'before' worktree)"
    )
    args = parser.parse_args(argv)
    print(f"load average at start: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")
    for measures in args.measures or [1000, 10000]:
        got = measure(
            measures,
            after=args.after,
            seed=args.seed,
            tracemalloc=args.tracemalloc,
            keep=args.keep,
            code=args.code,
        )
        idle, settled, used = got["idle"], got["settled"], got["after_status_and_home"]
        print(
            f"{measures:>6} measures: serving after {got['serving_after_s']} s; "
            f"at {idle['since_start_s']:.0f} s: VmRSS {idle['VmRSS']:.1f} MB "
            f"(VmHWM {idle['VmHWM']:.1f}, {idle['Threads']} threads, CPU {idle['cpu_s']:.1f} s); "
            f"settled at {settled['since_start_s']:.0f} s: VmRSS {settled['VmRSS']:.1f} MB "
            f"(VmHWM {settled['VmHWM']:.1f}, CPU {settled['cpu_s']:.1f} s); "
            f"after /pmf status ({got['status_http']}, {got['asked_s']} s with App Home "
            f"({got['home_http']})) and settled: VmRSS {used['VmRSS']:.1f} MB "
            f"(VmHWM {used['VmHWM']:.1f}, CPU {used['cpu_s']:.1f} s)"
        )
        print(f"        Web API calls by the first reading: {dict(idle['web_api_calls'])}")
        print(f"        … and by the last: {dict(used['web_api_calls'])}")
        if got["tracemalloc"]:
            print(got["tracemalloc"])
    print(f"load average at end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


if __name__ == "__main__":
    main()
