"""`pmf-bot sandbox` (issue 6): the JSON API the page uses, and the page in a real browser.

The API tests run a whole `Sandbox` in-process (the stand-in, the real bot in HTTP mode and the
example register) and talk to it over HTTP as the page does. The end-to-end test drives Debian's
Chromium with Playwright for Python through a collector's submission, the reviewer's approval
and `/pmf status`, and saves a screenshot to tests/artifacts/sandbox.png. It is skipped, with the
reason, when Playwright or /usr/bin/chromium is missing, unless PMF_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from bot import delivery
from sandbox.app import Sandbox

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WAIT = 20.0  # seconds to wait for the bot, which answers some requests after acknowledging

T = TypeVar("T")
State = dict[str, Any]


# -- helpers ------------------------------------------------------------------------------------


def fetch(box: Sandbox, path: str, body: Any = None) -> tuple[int, str, bytes]:
    """GET `path` (or POST `body` as JSON) on the sandbox: (status, content type, body)."""
    data = None if body is None else json.dumps(body).encode()
    headers = {} if body is None else {"Content-Type": "application/json"}
    request = urllib.request.Request(
        box.url.rstrip("/") + path,
        data=data,
        headers=headers,
        method="GET" if data is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


def api(box: Sandbox, name: str, body: Any = None) -> Any:
    status, content_type, content = fetch(box, f"/sandbox/api/{name}", body)
    assert status == 200, content
    assert content_type.startswith("application/json")
    return json.loads(content)


def state(box: Sandbox, user: str) -> State:
    return dict(api(box, f"state?user={user}"))


def wait_for(box: Sandbox, user: str, find: Callable[[State], T | None], what: str) -> T:
    """Poll the person's state, as the page does, until `find` returns something."""
    deadline = time.monotonic() + WAIT
    while True:
        found = find(state(box, user))
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def person(box: Sandbox, name: str) -> str:
    return next(uid for uid, facts in box.people.items() if facts["name"] == name)


def dm(seen: State) -> tuple[str, list[dict[str, Any]]]:
    first = seen["conversations"][0]
    assert first["kind"] == "dm" and first["name"] == "pmf-bot"
    return first["id"], seen["messages"][first["id"]]


def words(message: dict[str, Any]) -> str:
    """Everything a message says, text and blocks, to search in."""
    return json.dumps({k: message.get(k) for k in ("text", "blocks", "files")}, ensure_ascii=False)


def message_with(
    seen: State, needle: str, *, ephemeral: bool | None = None
) -> dict[str, Any] | None:
    _, messages = dm(seen)
    for message in reversed(messages):
        if needle in words(message) and (
            ephemeral is None or bool(message.get("ephemeral")) == ephemeral
        ):
            return message
    return None


def element(message: dict[str, Any], action_id: str) -> tuple[str | None, dict[str, Any]]:
    """(block_id, element) of the first interactive element with `action_id`."""
    for block in message.get("blocks") or []:
        for candidate in [*(block.get("elements") or []), block.get("accessory") or {}]:
            if candidate.get("action_id") == action_id:
                return block.get("block_id"), candidate
    raise AssertionError(f"no {action_id} in {words(message)[:300]}")


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def box() -> Iterator[Sandbox]:
    """One sandbox for the API tests that leave the clock alone (each uses its own people)."""
    with Sandbox(0, examples=EXAMPLES) as sandbox:
        yield sandbox


@pytest.fixture
def fresh() -> Iterator[Sandbox]:
    with Sandbox(0, examples=EXAMPLES) as sandbox:
        yield sandbox


# -- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "role"),
    [
        ("Jane Doe", "collector of SE1.1"),
        ("Helen Carter", "reviewer of SE1.1"),
        ("Helen Carter", "head of service of SE1.1"),
        ("Priya Shah", "Performance & Policy Officer (admin)"),
        ("Cllr Pat Morgan", "councillor"),
    ],
)
def test_state_shows_what_each_role_sees(box: Sandbox, name: str, role: str) -> None:
    uid = person(box, name)
    seen = state(box, uid)
    assert set(seen) >= {
        "clock",
        "clock_words",
        "me",
        "people",
        "conversations",
        "messages",
        "home",
        "modal",
        "files",
    }
    assert seen["me"]["id"] == uid and seen["me"]["name"] == name
    assert any(r.startswith(role) for r in seen["me"]["roles"]), seen["me"]["roles"]
    assert seen["clock"] == "2026-07-03T09:00:00+01:00"
    assert seen["clock_words"] == "Fri 03 Jul 2026, 09:00"
    assert len(seen["people"]) == len(box.people)
    assert {p["name"] for p in seen["people"]} >= {"Jane Doe", "Helen Carter", "Cllr Pat Morgan"}
    dm_id, _ = dm(seen)
    channels = [c for c in seen["conversations"] if c["kind"] == "channel"]
    assert "#performance" in [c["name"] for c in channels]
    assert all(c["name"].startswith("#") and c["name"] != "#general" for c in channels)
    assert set(seen["messages"]) >= {c["id"] for c in seen["conversations"]}
    assert dm_id.startswith("D")
    assert seen["modal"] is None


def test_the_sandbox_opens_on_a_fresh_reminder_with_nobody_overdue(box: Sandbox) -> None:
    """The clock starts at the quarter's first reminders, which have just gone out, and the
    page opens as someone who received one; no figure is overdue that nobody was asked for."""
    seen = api(box, "state")
    assert seen["me"]["id"] == box.first_reader
    assert any(r.startswith("collector") for r in seen["me"]["roles"])
    _, messages = dm(seen)
    assert messages, "the first reader has a reminder"
    assert all(m["time"] == seen["clock"] for m in messages)
    assert all("due in 5 working days" in m["text"] for m in messages), messages[0]["text"]
    assert box.deps is not None
    council = box.deps.council()
    planned = delivery.situation_plan(box.deps.engine, council, box.clock(), box.deps.zone)
    assert planned.overdue == []
    for uid in box.people:  # nobody has heard of anything late
        for message in dm(state(box, uid))[1]:
            assert "overdue" not in words(message).lower() and "ago" not in message["text"]


def test_a_command_answers_with_an_ephemeral_in_the_dm(box: Sandbox) -> None:
    councillor = person(box, "Cllr Pat Morgan")
    answer = api(box, "command", {"user": councillor, "text": "/pmf help"})
    assert answer["status"] == 200
    reply = wait_for(
        box,
        councillor,
        lambda s: message_with(s, "What I can do", ephemeral=True),
        "the help",
    )
    assert reply["author"] == "pmf-bot"
    assert reply["user"] == councillor
    assert reply["blocks"][0]["type"] == "section"

    api(box, "command", {"user": councillor, "text": "/pmf status SE1"})
    status = wait_for(
        box, councillor, lambda s: message_with(s, "Aim SE1", ephemeral=True), "aim SE1's status"
    )
    assert status["author"] == "pmf-bot"


def test_modal_errors_inline_then_submits_and_the_reviewer_approves(box: Sandbox) -> None:
    sam, gareth = person(box, "Sam Lee"), person(box, "Gareth Price")
    api(box, "command", {"user": sam, "text": "/pmf submit SE1.2 2026-27 Q1"})
    modal = wait_for(box, sam, lambda s: s["modal"], "the submission modal")
    assert modal["title"]["text"] == "Submit a figure"
    inputs = {b["block_id"]: b for b in modal["blocks"] if b["type"] == "input"}
    assert set(inputs) == {"value", "overview", "actions", "evidence"}
    assert inputs["overview"]["element"]["multiline"] is True

    def values(value: str, overview: str) -> dict[str, dict[str, str]]:
        return {
            "value": {inputs["value"]["element"]["action_id"]: value},
            "overview": {inputs["overview"]["element"]["action_id"]: overview},
            "actions": {inputs["actions"]["element"]["action_id"]: ""},
            "evidence": {inputs["evidence"]["element"]["action_id"]: ""},
        }

    bad = api(box, "submit", {"user": sam, "view_id": modal["id"], "values": values("lots", "")})
    assert bad["status"] == 200
    assert bad["response"]["response_action"] == "errors"
    assert set(bad["response"]["errors"]) == {"value", "overview"}
    assert "not a number" in bad["response"]["errors"]["value"]
    assert state(box, sam)["modal"]["id"] == modal["id"]  # still open, with its errors

    good = api(
        box,
        "submit",
        {
            "user": sam,
            "view_id": modal["id"],
            "values": values("53.1", "The new kerbside food waste round lifted recycling."),
        },
    )
    assert good["status"] == 200
    assert not (isinstance(good["response"], dict) and good["response"].get("response_action"))
    assert state(box, sam)["modal"] is None
    wait_for(box, sam, lambda s: message_with(s, "has gone to Gareth Price"), "the thanks")

    card = wait_for(
        box, gareth, lambda s: message_with(s, "SE1.2 2026-27 Q1", ephemeral=False), "the card"
    )
    block_id, approve = element(card, "pmf_approve")
    dm_id, _ = dm(state(box, gareth))
    clicked = api(
        box,
        "action",
        {
            "user": gareth,
            "action_id": approve["action_id"],
            "value": approve["value"],
            "block_id": block_id,
            "message_ts": card["ts"],
            "channel": dm_id,
        },
    )
    assert clicked["status"] == 200
    approved = wait_for(
        box,
        gareth,
        lambda s: next(
            (m for m in dm(s)[1] if m["ts"] == card["ts"] and "Approved* by" in words(m)), None
        ),
        "the card to show the approval",
    )
    assert "edited" in approved
    assert "Gareth Price" in words(approved)
    wait_for(box, sam, lambda s: message_with(s, "was *approved*"), "the collector's notice")


def test_buttons_on_ephemeral_messages_work_and_a_modal_can_be_closed(box: Sandbox) -> None:
    ben = person(box, "Ben Clarke")
    api(box, "command", {"user": ben, "text": "/pmf due"})
    due = wait_for(
        box, ben, lambda s: message_with(s, "Due from you", ephemeral=True), "the due list"
    )
    block_id, submit = element(due, "pmf_open_submit")
    clicked = api(
        box,
        "action",
        {
            "user": ben,
            "action_id": submit["action_id"],
            "value": submit["value"],
            "block_id": block_id,
            "message_ts": due["ts"],
            "channel": due["channel"],
        },
    )
    assert clicked["status"] == 200
    modal = wait_for(box, ben, lambda s: s["modal"], "the modal from the ephemeral's button")
    ref = submit["value"].split("|")[0]
    assert ref in json.dumps(modal["blocks"])
    assert api(box, "close", {"user": ben, "view_id": modal["id"]}) == {"ok": True}
    assert state(box, ben)["modal"] is None


def test_the_home_tab_is_published_when_opened(box: Sandbox) -> None:
    helen = person(box, "Helen Carter")
    assert api(box, "home", {"user": helen})["status"] == 200
    home = wait_for(box, helen, lambda s: s["home"], "the Home tab")
    assert home["type"] == "home"
    assert home["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Performance measures", "emoji": True},
    }
    refresh = next(
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["action_id"] == "pmf_refresh_home"
    )
    clicked = api(
        box,
        "action",
        {
            "user": helen,
            "action_id": refresh["action_id"],
            "value": refresh["value"],
            "view_id": home["id"],
        },
    )
    assert clicked["status"] == 200


def test_a_message_in_the_dm_is_answered_in_its_thread(box: Sandbox) -> None:
    councillor = person(box, "Cllr Pat Morgan")
    dm_id, _ = dm(state(box, councillor))
    api(box, "message", {"user": councillor, "channel": dm_id, "text": "hello"})
    mine = wait_for(box, councillor, lambda s: message_with(s, '"hello"'), "my message")
    assert mine["author"] == "Cllr Pat Morgan"
    reply = wait_for(
        box,
        councillor,
        lambda s: next((m for m in dm(s)[1] if m.get("thread_ts") == mine["ts"] != m["ts"]), None),
        "the bot's answer in the thread",
    )
    assert reply["author"] == "pmf-bot"


def test_every_jump_stops_at_the_next_event_of_any_kind_and_runs_all_on_the_way(
    fresh: Sandbox,
) -> None:
    ben, sam, priya = (person(fresh, n) for n in ("Ben Clarke", "Sam Lee", "Priya Shah"))
    jumped = api(fresh, "clock", {"jump": "next_event"})
    assert jumped["clock"] == "2026-07-06T09:00:00+01:00"
    assert [r["at_words"] for r in jumped["ran"]] == ["Mon 06 Jul 09:00"]
    assert jumped["ran"][0]["what"] == ["reminders to Ben Clarke"]
    reminder = wait_for(fresh, ben, lambda s: message_with(s, "is due in 1 working day"), "it")
    assert reminder["time"] == "2026-07-06T09:00:00+01:00"

    # The Board date: every event on the way, in order, at its own time.
    board = api(fresh, "clock", {"jump": "board_date"})
    assert board["clock"] == "2026-07-21T09:00:00+01:00"
    steps = [(r["at"][:16], "; ".join(r["what"])) for r in board["ran"]]
    times = [at for at, _ in steps]
    assert times == sorted(times) and len(set(times)) == len(times)
    assert times[0] == "2026-07-07T09:00" and times[-1] == "2026-07-21T09:00"
    said = dict(steps)
    assert "reminders to Jane Doe and Sam Lee" in said["2026-07-07T09:00"]
    assert "the missing-data digest to Priya Shah" in said["2026-07-08T09:00"]
    assert "escalations to" in said["2026-07-13T09:00"]
    # Overdue nudges (issue 13) go every 2 working days counted back from the Board date, so
    # each collector hears about all their late figures on the same days; the draft goes alone.
    assert said["2026-07-16T09:00"] == "the 2026-27 Q1 summary draft to Priya Shah"
    for nudged in ("2026-07-13T09:00", "2026-07-15T09:00", "2026-07-17T09:00"):
        assert "overdue nudges to " in said[nudged], nudged
    assert "2026-07-14T09:00" not in said or "overdue nudges" not in said["2026-07-14T09:00"]
    assert "the 2026-27 Q1 summary posted to #performance" in said["2026-07-21T09:00"]
    assert "Sent on the way" in board["message"]

    # Each message shows its own time: the draft went on 16 Jul, the digests on their days.
    seen = state(fresh, priya)
    _, to_priya = dm(seen)
    draft = next(m for m in to_priya if "draft" in words(m).lower())
    assert draft["time"] == "2026-07-16T09:00:00+01:00"
    assert {m["time"][:10] for m in to_priya} >= {"2026-07-08", "2026-07-13", "2026-07-16"}
    performance = next(c["id"] for c in seen["conversations"] if c["name"] == "#performance")
    posted = seen["messages"][performance]
    first = posted[0]
    assert first["time"] == "2026-07-21T09:00:00+01:00"
    assert "2026-27 Q1 performance" in first["blocks"][0]["text"]["text"]
    chart = next(m for m in posted if m.get("files"))
    assert chart["thread_ts"] == first["ts"]
    file_id = chart["files"][0]["id"]
    status, content_type, content = fetch(fresh, seen["files"][file_id])
    assert (status, content_type) == (200, "image/png")
    assert content.startswith(b"\x89PNG")
    sams = {m["time"][:10] for m in dm(state(fresh, sam))[1]}
    assert sams >= {"2026-07-03", "2026-07-07", "2026-07-09", "2026-07-14"}

    day = api(fresh, "clock", {"jump": "next_day"})
    assert day["clock"] == "2026-07-22T09:00:00+01:00"
    status, _, content = fetch(fresh, "/sandbox/api/clock", {"jump": "2026-07-01T09:00"})
    assert status == 400 and "only moves forward" in json.loads(content)["error"]


def test_next_event_stops_at_the_admins_summary_draft(fresh: Sandbox) -> None:
    """Between the last escalation and the Board date the only event is the draft: the
    jump stops there (it used to look for reminders only, and skip it)."""
    api(fresh, "clock", {"jump": "2026-07-15T10:00"})
    jumped = api(fresh, "clock", {"jump": "next_event"})
    assert jumped["clock"] == "2026-07-16T09:00:00+01:00"
    assert "the 2026-27 Q1 summary draft to Priya Shah" in jumped["ran"][0]["what"]


def test_bad_requests_are_answered_in_json(box: Sandbox) -> None:
    for path, body in [
        ("/sandbox/api/state?user=U9999", None),
        ("/sandbox/api/command", {"user": "nobody", "text": "/pmf help"}),
        ("/sandbox/api/submit", {"user": person(box, "Jane Doe")}),
    ]:
        status, content_type, content = fetch(box, path, body)
        assert status == 400, (path, content)
        assert content_type.startswith("application/json")
        assert json.loads(content)["error"]
    assert fetch(box, "/sandbox/api/nothing", {})[0] == 404
    assert fetch(box, "/sandbox/api/command")[0] == 404  # a GET


def test_the_page_is_served_with_its_content_types(box: Sandbox) -> None:
    expected = {
        "/": "text/html; charset=utf-8",
        "/index.html": "text/html; charset=utf-8",
        "/app.js": "text/javascript; charset=utf-8",
        "/style.css": "text/css; charset=utf-8",
    }
    served = {}
    for path, content_type in expected.items():
        status, got, content = fetch(box, path)
        assert (status, got) == (200, content_type), path
        served[path] = content.decode()
    assert '<script src="/app.js"' in served["/"]
    assert 'href="/style.css"' in served["/"]
    for text in served.values():  # nothing from the network: no CDNs, no web fonts
        assert "http://" not in text and "https://" not in text
    assert "innerHTML" not in served["/app.js"]  # every text goes in with textContent
    for missing in ("/nothing.js", "/secret.txt", "/../pyproject.toml"):
        assert fetch(box, missing)[0] == 404


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_stopping_with_sigterm_deletes_the_data_as_ctrl_c_does(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """`pmf-bot sandbox` keeps its data in a temporary folder; SIGTERM (a service manager,
    `kill`) deletes it just as Ctrl+C does."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "handlers.cli", "sandbox", "--no-browser", "--port", "0"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "deleted when you stop" in line:
                break
        assert any("is running at http://127.0.0.1:" in line for line in lines), lines
        folders = list(tmp_path.glob("pmf-sandbox-*"))
        assert len(folders) == 1 and (folders[0] / "sandbox.db").is_file(), folders
        process.send_signal(sig)
        out, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, out
    assert "Stopping the sandbox." in out
    assert not folders[0].exists()
    assert list(tmp_path.iterdir()) == []


# -- the page in a real browser -----------------------------------------------------------------


def _browser_or_skip() -> None:
    reason = None
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reason = "Playwright for Python is not installed (pip install playwright)"
    else:
        if not os.access(CHROMIUM, os.X_OK):
            reason = f"{CHROMIUM} is missing (apt-get install chromium)"
    if reason is None:
        return
    if os.environ.get("PMF_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}, and PMF_REQUIRE_BROWSER=1")
    pytest.skip(reason)


def test_collector_submits_reviewer_approves_in_the_browser(fresh: Sandbox) -> None:
    _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    jane, helen = person(fresh, "Jane Doe"), person(fresh, "Helen Carter")
    timeout = WAIT * 1000
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1200})
            page.set_default_timeout(timeout)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(fresh.url)

            people = page.locator("#person option")
            expect(people).to_have_count(len(fresh.people), timeout=timeout)
            page.select_option("#person", jane)
            pane, composer = page.locator("#pane"), page.get_by_label("Message pmf-bot")
            expect(page.locator("#roles")).to_contain_text("collector of SE1.1")

            composer.fill("/pmf submit SE1.1")
            composer.press("Enter")
            dialog = page.get_by_role("dialog", name="Submit a figure")
            expect(dialog).to_be_visible(timeout=timeout)
            expect(dialog).to_contain_text("SE1.1 Reduction in the council's own CO2 emissions")
            value = dialog.get_by_label("Value (a percentage, 0 to 100)")
            value.fill("lots")
            dialog.get_by_label("Performance overview").fill(
                "Emissions fell again as the LED street lighting programme finished."
            )
            dialog.get_by_role("button", name="Submit").click()
            error = dialog.locator(".bk-input-invalid .bk-error")
            expect(error).to_contain_text("'lots' is not a number", timeout=timeout)
            expect(value).to_have_attribute("aria-invalid", "true")
            value.fill("36.2")
            dialog.get_by_role("button", name="Submit").click()
            expect(dialog).to_be_hidden(timeout=timeout)
            expect(pane).to_contain_text("has gone to Helen Carter for review", timeout=timeout)

            # What people type is shown as text, with Slack's formatting, never run as HTML;
            # markup typed by hand stays text too, as in Slack (which escapes what is typed).
            composer.fill('<img src=x onerror="window.pwned=1"> *bold* `code` <#C0002|general>')
            composer.press("Enter")
            typed = pane.locator(".msg", has_text="onerror").last
            expect(typed).to_contain_text('<img src=x onerror="window.pwned=1">', timeout=timeout)
            expect(typed.locator("strong")).to_have_text("bold")
            expect(typed.locator("code")).to_have_text("code")
            expect(typed).to_contain_text("<#C0002|general>")
            assert typed.locator(".mention").count() == 0
            assert typed.locator("img").count() == 0
            assert page.evaluate("window.pwned") is None

            page.select_option("#person", helen)
            page.locator("#conversations [data-conv]").first.click()
            expect(page.locator("#conv-title")).to_have_text("pmf-bot")
            card = pane.locator(".msg", has_text=" · version ")
            expect(card).to_contain_text("36.2%", timeout=timeout)
            card.get_by_role("button", name="Approve").click()
            expect(card).to_contain_text("Approved by Helen Carter", timeout=timeout)
            expect(card).to_contain_text("(edited)")
            expect(card.get_by_role("button", name="Approve")).to_have_count(0)

            composer.fill("/pmf status SE1.1 2026-27 Q1")
            composer.press("Enter")
            status = pane.locator(".msg-ephemeral", has_text="Direction of travel")
            expect(status).to_contain_text("Only visible to you", timeout=timeout)
            expect(status).to_contain_text("36.2%")
            expect(status).to_contain_text("Green")
            expect(status).to_contain_text("approved")

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "sandbox.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
        finally:
            browser.close()
    assert problems == []


def test_officers_markup_is_shown_as_typed_in_the_browser(fresh: Sandbox) -> None:
    """Issue 9 item 5 on the page that plays Slack's client: `<!channel>`, `<@U…>` and a
    disguised link typed by an officer are shown literally — in their own message, on the
    reviewer's card and in the bot's answers — never as mentions or links; the evidence link
    the bot builds shows the real site."""
    _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    inject = "<!channel> <@U0001> <https://evil.example|GOV.UK guidance> & co"
    evidence = "https://intranet.example.gov.uk/carbon/q2"
    jane, helen = person(fresh, "Jane Doe"), person(fresh, "Helen Carter")
    timeout = WAIT * 1000
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(timeout)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(fresh.url)
            expect(page.locator("#person option")).to_have_count(len(fresh.people))
            page.select_option("#person", jane)
            pane, composer = page.locator("#pane"), page.get_by_label("Message pmf-bot")

            # Typed in the DM: stored escaped, as Slack does, and the bot's hint follows.
            composer.fill(f"{inject} typed")
            composer.press("Enter")
            typed = pane.locator(".msg", has_text="typed").last
            expect(typed).to_contain_text(f"{inject} typed", timeout=timeout)
            assert typed.locator(".mention, a").count() == 0

            # Submitted through the form, with an evidence link.
            composer.fill("/pmf submit SE1.1 2026-27 Q1")
            composer.press("Enter")
            dialog = page.get_by_role("dialog", name="Submit a figure")
            expect(dialog).to_be_visible(timeout=timeout)
            dialog.get_by_label("Value (a percentage, 0 to 100)").fill("36.2")
            dialog.get_by_label("Performance overview").fill(f"{inject} overview")
            dialog.get_by_label("Evidence link").fill(evidence)
            dialog.get_by_role("button", name="Submit").click()
            expect(dialog).to_be_hidden(timeout=timeout)
            expect(pane).to_contain_text("has gone to Helen Carter", timeout=timeout)

            page.select_option("#person", helen)
            page.locator("#conversations [data-conv]").first.click()
            card = pane.locator(".msg", has_text=" · version ").last
            expect(card).to_contain_text(f"{inject} overview", timeout=timeout)
            assert card.locator(".mention").count() == 0
            links = card.locator("a")
            expect(links).to_have_count(1)
            expect(links).to_have_attribute("href", evidence)
            expect(links).to_have_text("intranet.example.gov.uk/carbon/q2")
            expect(card).to_contain_text(
                "intranet.example.gov.uk/carbon/q2 (intranet.example.gov.uk)"
            )
            card.scroll_into_view_if_needed()

            ARTIFACTS.mkdir(exist_ok=True)
            shot = ARTIFACTS / "sandbox-escaping.png"
            card.screenshot(path=str(shot))
            assert shot.stat().st_size > 5_000
        finally:
            browser.close()
    assert problems == []


def test_a_jump_in_the_browser_says_what_ran_and_each_message_keeps_its_time(
    fresh: Sandbox,
) -> None:
    """Jump to the Board date on the page: the panel lists what ran, in order; the DM shows
    each message at its own simulated time under a line for its day; a new tab shows the
    same times (nothing is restamped with the time the tab was opened)."""
    _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    sam = person(fresh, "Sam Lee")
    timeout = WAIT * 1000
    problems: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.set_default_timeout(timeout)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(fresh.url)
            # The page opens as someone with the fresh reminder, stamped with the clock.
            expect(page.locator("#person")).to_have_value(str(fresh.first_reader))
            pane = page.locator("#pane")
            expect(pane.locator(".day-divider")).to_have_text(["Friday 03 Jul 2026"])
            expect(pane.locator(".msg-time").first).to_have_text("09:00")

            page.select_option("#person", sam)
            page.get_by_role("button", name="Jump to Performance Board date").click()
            ran = page.locator("#ran")
            expect(ran).to_be_visible(timeout=120_000)
            expect(ran).to_contain_text("It is now Tue 21 Jul 2026, 09:00")
            steps = ran.locator("li")
            expect(steps.first).to_contain_text("Mon 06 Jul 09:00 — reminders to Ben Clarke")
            # Overdue nudges may share a moment with the post: each moment is one line, listing
            # everything sent then.
            thursday = steps.filter(has_text="Thu 16 Jul 09:00 —")
            expect(thursday).to_contain_text("the 2026-27 Q1 summary draft to Priya Shah")
            expect(steps.last).to_contain_text("Tue 21 Jul 09:00 —")
            expect(steps.last).to_contain_text("overdue nudges to ")
            expect(steps.last).to_contain_text("the 2026-27 Q1 summary posted to #performance")
            expect(page.locator("#clock")).to_have_text("Tue 21 Jul 2026, 09:00")

            dividers = pane.locator(".day-divider")
            # Sam's last message: an overdue nudge on the Board date, the last of them (every 2
            # working days, counted back from it).
            expect(dividers.last).to_have_text("Tuesday 21 Jul 2026", timeout=timeout)
            days = dividers.all_inner_texts()
            assert days[0] == "Friday 03 Jul 2026"
            assert {"Tuesday 07 Jul 2026", "Thursday 09 Jul 2026", "Tuesday 14 Jul 2026"} <= set(
                days
            )
            assert len(set(days)) == len(days)
            reminder = pane.locator(".msg", has_text="is due in 1 working day").first
            expect(reminder.locator(".msg-time")).to_have_attribute(
                "datetime", "2026-07-09T09:00:00+01:00"
            )
            expect(reminder.locator(".msg-time")).to_have_text("09:00")
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "sandbox-jump.png"))

            again = browser.new_page(viewport={"width": 1280, "height": 1000})
            again.set_default_timeout(timeout)
            again.on("pageerror", lambda error: problems.append(str(error)))
            again.goto(fresh.url)
            again.select_option("#person", sam)
            expect(again.locator("#pane .day-divider")).to_have_text(days, timeout=timeout)
            times = again.locator("#pane .msg-time")
            assert times.evaluate_all("ts => ts.map(t => t.dateTime)") == pane.locator(
                ".msg-time"
            ).evaluate_all("ts => ts.map(t => t.dateTime)")
        finally:
            browser.close()
    assert problems == []


def test_the_page_turns_a_typed_name_into_a_mention_as_slacks_client_does(
    fresh: Sandbox,
) -> None:
    """`/pmf away today 31 Jul @Sam Lee` — the form /pmf help suggests — reaches the bot
    with `<@U…|sam.lee>` as Slack sends it, and the bot books Sam Lee as cover; in a message,
    `@sam lee` and `#performance` become `<@U…>` and `<#C…|performance>`, shown as
    mentions, while `&`, `<` and `>` stay text."""
    _browser_or_skip()
    from playwright.sync_api import expect, sync_playwright

    jane, sam = person(fresh, "Jane Doe"), person(fresh, "Sam Lee")
    timeout = WAIT * 1000
    problems: list[str] = []
    sent: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(timeout)
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.on(
                "request",
                lambda r: (
                    sent.append(json.loads(r.post_data or "{}"))
                    if r.method == "POST" and r.url.endswith(("/api/command", "/api/message"))
                    else None
                ),
            )
            page.goto(fresh.url)
            expect(page.locator("#person option")).to_have_count(len(fresh.people))
            page.select_option("#person", jane)
            pane, composer = page.locator("#pane"), page.get_by_label("Message pmf-bot")

            composer.fill("/pmf away today 31 Jul @Sam Lee")
            composer.press("Enter")
            expect(pane).to_contain_text(
                "Sam Lee will get your reminders and review requests", timeout=timeout
            )
            assert sent[-1]["text"] == f"/pmf away today 31 Jul <@{sam}|sam.lee>"

            composer.fill("Thanks @sam lee, see #performance & <b>this</b>")
            composer.press("Enter")
            typed = pane.locator(".msg", has_text="Thanks").last
            expect(typed.locator(".mention")).to_have_text(["@Sam Lee", "#performance"])
            expect(typed).to_contain_text("& <b>this</b>")
            channel = next(
                c["id"] for c in state(fresh, jane)["conversations"] if c["name"] == "#performance"
            )
            assert sent[-1]["text"] == (
                f"Thanks <@{sam}>, see <#{channel}|performance> &amp; &lt;b&gt;this&lt;/b&gt;"
            )
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "sandbox-mentions.png"))
        finally:
            browser.close()
    assert problems == []
