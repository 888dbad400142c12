"""A real Teams client: Microsoft 365 Agents Playground against the bot's loopback-only local mode
(issue 12), and what it taught us.

The Playground (npm `@microsoft/m365agentsplayground`, pinned in examples/playground/) serves a
Teams-like web page with its own mock Bot Connector, offline, talks to `pmf-bot run
--teams-local` (the real command, in a subprocess) and plays the person set in
examples/playground/.m365agentsplayground.yml (Helen Carter, the reviewer of SE1.1). The
end-to-end test drives that page with Playwright and Debian's Chromium: `status SE1`, `due`,
then Approve on the `due` list, which the bot's invoke answer redraws. It saves
tests/artifacts/playground.png. It is skipped, with the reason, when Playwright, Chromium, node
or the Playground (`cd examples/playground && npm ci`) is missing, unless
PMF_REQUIRE_PLAYGROUND=1 (as in .ci/run).

What the Playground showed, each with its own test below: Teams sends an `installationUpdate`
and a `conversationUpdate` for one install (the bot greeted twice); a single newline in a card's
text runs the lines together (Microsoft: use a blank line).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import select

from bot import services, submissions
from bot.chat.model import Para, Strong, text
from bot.periods import latest_ended
from handlers.teams import render
from storage.engine import make_engine, read_session
from storage.migrate import upgrade
from storage.models import Person, Review
from tests.conftest import Cli
from tests.slack_harness import ADMIN, EXAMPLES, LONDON
from tests.teams_harness import running_teams_bot
from tests.test_teams_run import SERVING, pmf_bot_run

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "tests" / "artifacts"
PLAYGROUND = ROOT / "examples" / "playground"
PLAYGROUND_CLI = PLAYGROUND / "node_modules" / ".bin" / "agentsplayground"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT = 20.0
JANE = "jane.doe@example.gov.uk"
HELEN = "hos.environment@example.gov.uk"


# -- what the Playground showed -----------------------------------------------------------------


def test_one_install_says_welcome_once(db_url: str) -> None:
    """Teams sends `installationUpdate` (add) and then `conversationUpdate` (the bot added) for
    one install; the person is greeted once, and both store the conversation."""
    with running_teams_bot(db_url, actuals=False, deliver=False) as bot:
        answer = bot.client.install(bot.people[JANE])
        assert answer.status_code == 200, answer.text
        chat = bot.chat(JANE)
        assert len(chat) == 1, chat
        assert "Hello Jane Doe" in json.dumps(chat[0])
        again = bot.client.activity(
            bot.people[JANE],
            "conversationUpdate",
            membersAdded=[{"id": bot.people[JANE].id}, {"id": f"28:{bot.teams.app_id}"}],
        )
        assert bot.client.post(again).status_code == 200
        assert len(bot.chat(JANE)) == 1
        assert bot.client.say(bot.people[JANE], "help").status_code == 200
        assert len(bot.chat(JANE)) == 2


def test_a_line_break_is_a_blank_line_in_a_card() -> None:
    """Adaptive Card markdown joins lines split by one newline (Teams and the Playground alike);
    Microsoft's advice outside lists is a blank line. Typed text's own breaks count too."""
    shown = render.elements(Para(text(Strong("Performance overview"), "\n", "Fell.\r\nAgain.")))
    assert shown[0]["text"] == "**Performance overview**\n\nFell\\.\n\nAgain\\."
    assert render.markdown(text("a", "\n\n\n", "b")) == "a\n\nb"


# -- the Playground in a real browser -----------------------------------------------------------


def _playground_or_skip() -> None:
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is not installed (pip install -e '.[test]')"
    else:
        if not os.access(CHROMIUM, os.X_OK):
            reason = f"{CHROMIUM} is missing (apt-get install chromium)"
        elif shutil.which("node") is None:
            reason = "node is missing (apt-get install nodejs npm)"
        elif not PLAYGROUND_CLI.exists():
            reason = "the Agents Playground is not installed (cd examples/playground && npm ci)"
    if reason is None:
        return
    if os.environ.get("PMF_REQUIRE_PLAYGROUND") == "1":
        pytest.fail(f"{reason}, and PMF_REQUIRE_PLAYGROUND=1")
    pytest.skip(reason)


def _with_a_figure_to_review(database_url: str) -> tuple[str, int]:
    """The example register and history, and Jane Doe's figure for SE1.1's latest quarter,
    waiting for Helen Carter's review: (that quarter, the submission's id)."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        now = datetime.now(LONDON)
        services.import_register(engine, EXAMPLES / "register.yaml", actor="setup", now=now)
        services.import_actuals(
            engine, EXAMPLES / "actuals.csv", actor=ADMIN, now=now, today=now.date()
        )
        measure = services.measures(engine)["SE1.1"]
        quarter = latest_ended(measure.interval, now.date()).label
        done = submissions.submit(
            engine,
            services.council_info(engine),
            ref="SE1.1",
            period_text=quarter,
            value_text="36.2",
            overview="Emissions fell again as the LED street lighting programme finished.",
            actions=None,
            evidence_url=None,
            actor=JANE,
            now=now,
        )
        return quarter, done.submission.id
    finally:
        engine.dispose()


@contextmanager
def _playground(endpoint: str, folder: Path) -> Iterator[str]:
    """The Playground on a free port, talking to `endpoint`: its page's address."""
    env = {
        **os.environ,
        "TEAMSAPPTESTER_BROWSER": "none",  # it would open a browser itself
        "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(PLAYGROUND / ".m365agentsplayground.yml"),
        "M365_AGENTS_PLAYGROUND_LOGFILE": str(folder / "playground.log"),
    }
    process = subprocess.Popen(
        [str(PLAYGROUND_CLI), "-e", endpoint, "-c", "msteams", "-p", "0", "--dt"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    out = process.stdout

    def read() -> None:
        for line in out:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    try:
        seen: list[str] = []
        deadline = time.monotonic() + 30
        port = None
        while port is None and time.monotonic() < deadline and process.poll() is None:
            try:
                line = lines.get(timeout=0.5)
            except queue.Empty:
                continue
            seen.append(line)
            if line.startswith("Listening on "):
                port = int(line.split()[-1])
        assert port is not None, "the Playground did not start:\n" + "".join(seen)
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_the_playground_asks_and_approves(sqlite_url: str, tmp_path: Path) -> None:
    """Helen Carter, in the Playground's Teams chat: `status SE1` answers with SE1.1 awaiting
    review, one line each; `due` shows Jane Doe's figure with Approve; Approve redraws the list
    (the invoke answer) saying it is approved, and the figure is approved in the database."""
    _playground_or_skip()
    from playwright.sync_api import expect, sync_playwright

    quarter, submission_id = _with_a_figure_to_review(sqlite_url)
    timeout = WAIT * 1000
    with (
        pmf_bot_run(Cli(sqlite_url, tmp_path), "--teams-local", "--teams-port", "0") as bot,
        _playground(bot.wait_for(SERVING).group(1), tmp_path) as address,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1300})
            page.set_default_timeout(timeout)
            # Offline: the page's fonts from Microsoft's CDN are refused; it falls back.
            page.route(lambda url: not url.startswith("http://127.0.0.1"), lambda r: r.abort())
            page.goto(address)

            composer = page.locator('[contenteditable="true"][role="textbox"]')
            cards = page.locator(".ac-adaptiveCard")
            composer.click()
            composer.press_sequentially("status SE1")
            composer.press("Enter")
            status = cards.filter(has_text="Aim SE1")
            expect(status).to_contain_text("awaiting review", timeout=timeout)
            line = status.locator("p", has_text="SE1.1")
            expect(line).to_contain_text(f"{quarter}: no approved value")
            expect(line).not_to_contain_text("SE1.2")  # each measure on its own line
            expect(cards.filter(has_text="Hello Helen Carter")).to_have_count(1)

            composer.click()
            composer.press_sequentially("due")
            composer.press("Enter")
            review = cards.filter(has_text="Waiting for your review")
            expect(review).to_contain_text("36.2%", timeout=timeout)
            expect(review).to_contain_text("from Jane Doe")
            review.get_by_role("button", name="Approve").click()

            # The answer redraws the `due` list: what the click did, then what is left.
            decided = cards.filter(has_text=f"SE1.1 {quarter}: 36.2% from Jane Doe — approved")
            expect(decided).to_have_count(1, timeout=timeout)
            expect(decided).to_contain_text("Nothing to review.")
            expect(decided.get_by_role("button", name="Approve")).to_have_count(0)
            # The Playground warns in the chat about anything of ours it cannot show.
            expect(page.get_by_text("not supported")).to_have_count(0)

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "playground.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()

    engine = make_engine(sqlite_url)
    try:
        with read_session(engine) as session:
            decision = session.exec(
                select(Review).where(Review.submission_id == submission_id)
            ).one()
            helen = session.exec(select(Person).where(Person.email == HELEN)).one()
    finally:
        engine.dispose()
    assert (decision.decision, decision.decided_by) == ("approved", HELEN)
    assert helen.teams_user_id == "user-id-0"  # the Playground's user, matched by e-mail
