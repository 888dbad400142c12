"""Officers' and register words stay words in Slack (issue 9, item 5; PRODUCT §9).

The whole bot runs over HTTP against the Slack stand-in with a register whose every text —
council, priority, aim, measure title, definition, units, people's names — carries Slack
markup, and officers type markup into commentary, actions, reasons and replies. Whatever
the bot then sends (every chat.postMessage, chat.update, views.*, response_url answer: blocks
and the `text` fallback) may hold no live `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>` or
`<https://evil…|…>`: only the escaped forms, in mrkdwn; plain_text is shown as typed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from handlers.slack import ids
from tests.slack_harness import EXAMPLES, Bot, running_bot
from tests.test_reminders_slack import SE11_BEFORE_5, at, reminder, reply, run_tick
from tests.test_slack_support import (
    CHRIS,
    HOS,
    JANE,
    LATEST,
    POLICY,
    SAM,
    cards,
    click,
    command,
    count,
    form_values,
    open_home,
    open_submit,
    settle,
    submissions,
    submit_view,
    wait_new,
    wait_until,
)

INJECT = "<!channel> <@U123> <https://evil.example|GOV.UK guidance> & co"
ESCAPED = "&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil.example|GOV.UK guidance&gt; &amp; co"
EVIDENCE = "https://intranet.example.gov.uk/carbon/q2?a=1&b=2"
EVIDENCE_SHOWN = (
    "<https://intranet.example.gov.uk/carbon/q2?a=1&amp;b=2|"
    "intranet.example.gov.uk/carbon/q2?a=1&amp;b=2> (intranet.example.gov.uk)"
)
TITLE = "Reduction in <!here> CO2 & emissions"
NAMES = {
    JANE: "Jane <@U999> Doe",
    HOS: "Helen <!here> Carter",
    SAM: "Sam <!everyone> Lee",
}
SHOWN_TO_PEOPLE = (
    "chat.postMessage",
    "chat.update",
    "chat.postEphemeral",
    "views.open",
    "views.update",
    "views.push",
    "views.publish",
    "response_url",
)
# The only markup the bot may send: a channel Slack named, and links it built and checked.
OURS = re.compile(r"<#C[A-Z0-9]+>|<https://intranet\.example\.gov\.uk/[^|<>\s]*\|[^<>|]*>")
LIVE = ("<!channel>", "<!here>", "<!everyone>", "<@U", "<https://evil", "<#C999")


def marked_up_register(folder: Path) -> Path:
    """The example register with Slack markup in every kind of text it has."""
    data = yaml.safe_load((EXAMPLES / "register.yaml").read_text(encoding="utf-8"))
    data["council"] = "Example <!everyone> Council & Co"
    for person in data["people"]:
        person["name"] = NAMES.get(person["email"], person["name"])
    environment = next(p for p in data["priorities"] if p["code"] == "SE")
    environment["name"] = "Shape our <!channel> Environment"
    aim = next(a for a in environment["aims"] if a["code"] == "SE1")
    aim["title"] = "Tackle <#C999|general> climate change"
    for measure in aim["measures"]:
        if measure["ref"] == "SE1.1":
            measure["title"] = TITLE
            measure["definition"] = "Percentage <https://evil.example|GOV.UK guidance> reduction"
        if measure.get("units"):
            measure["units"] = "kg <!channel> per household"
    path = folder / "register.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def bot(sqlite_url: str, tmp_path: Path) -> Iterator[Bot]:
    with running_bot(sqlite_url, register=marked_up_register(tmp_path)) as running:
        yield running
        settle(running)


# -- reading what the bot sent --------------------------------------------------------------


def raw(thing: Any) -> str:
    """A message, view or block list exactly as sent, entities and all."""
    return json.dumps(thing, ensure_ascii=False)


def _texts(thing: Any, kind: str | None = None) -> Iterator[tuple[str, str]]:
    """(kind, text) of every text object in a block list or view."""
    if isinstance(thing, dict):
        if thing.get("type") in ("mrkdwn", "plain_text") and isinstance(thing.get("text"), str):
            yield str(thing["type"]), thing["text"]
            return
        for value in thing.values():
            yield from _texts(value)
    elif isinstance(thing, list):
        for value in thing:
            yield from _texts(value)


def shown(bot: Bot) -> list[tuple[str, str, str]]:
    """(method, kind, text) of everything the bot asked Slack to show: mrkdwn and plain_text
    objects, and each message's `text` (which Slack also reads as mrkdwn)."""
    found: list[tuple[str, str, str]] = []
    for method in SHOWN_TO_PEOPLE:
        for call in bot.slack.calls_to(method):
            params = call.params
            if isinstance(params.get("text"), str):
                found.append((method, "mrkdwn", params["text"]))
            for key in ("blocks", "view"):
                value = params.get(key)
                if isinstance(value, str):
                    value = json.loads(value)
                found += [(method, kind, text) for kind, text in _texts(value)]
    return found


def assert_words_stay_words(bot: Bot) -> str:
    """No live mention or foreign link anywhere; plain_text not escaped; returns all the
    mrkdwn, joined, for more specific checks."""
    everything = shown(bot)
    assert everything, "the bot showed nothing"
    for method, kind, text in everything:
        if kind == "plain_text":
            assert not re.search(r"&(amp|lt|gt);", text), (method, text)  # never double-escaped
            continue
        for live in LIVE:
            assert live not in text, (method, live, text)
        assert "<" not in OURS.sub("", text), (method, text)
        assert ">" not in OURS.sub("", text), (method, text)
    return "\n".join(text for _, kind, text in everything if kind == "mrkdwn")


def plain_texts(bot: Bot) -> str:
    return "\n".join(text for _, kind, text in shown(bot) if kind == "plain_text")


# -- the whole cycle ------------------------------------------------------------------------


def test_officers_and_register_words_never_become_mentions_or_links(bot: Bot) -> None:
    # Reminders, an escalation and the digest name the marked-up measure and people.
    run_tick(bot, at("2026-10-07"))
    run_tick(bot, at("2026-10-08"))
    bot.clock.now = at("2026-10-08", 11)

    # A reply to a reminder: Slack sends what Jane typed escaped, and her real @-mention as
    # markup; both are read back as words and stored as words.
    typed = INJECT.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    answer = reply(
        bot,
        JANE,
        reminder(bot, JANE, SE11_BEFORE_5),
        f"36.5 {typed} and <!channel>",
        ts="1800000001.1",
    )
    assert f"with the overview: “{ESCAPED} and @channel”" in answer["text"]
    click(bot, JANE, ids.REPLY_CONFIRM, answer)
    wait_until(lambda: len(cards(bot, HOS)) == 1, what="the card for the reply")
    settle(bot)
    [from_reply] = submissions(bot, "SE1.1")
    assert from_reply.overview == f"{INJECT} and @channel"  # stored once, as typed

    # The modal: title, definition and units; then a Red figure with commentary and evidence.
    view = open_submit(bot, JANE, f"SE1.1 {LATEST}")
    assert view["blocks"][0]["text"]["text"] == f"SE1.1 {TITLE}"  # plain_text, as typed
    modal = raw(view["blocks"])
    assert "Percentage &lt;https://evil.example|GOV.UK guidance&gt; reduction" in modal
    answer_ = submit_view(
        bot,
        JANE,
        view["id"],
        form_values("20", f"{INJECT} overview", f"{INJECT} actions", EVIDENCE),
    )
    assert answer_.body == b"", answer_.text
    wait_until(lambda: len(cards(bot, HOS)) == 2, what="the card for version 2")
    settle(bot)
    card = cards(bot, HOS)[-1]
    on_card = raw(card["blocks"])
    assert f"{ESCAPED} overview" in on_card and f"{ESCAPED} actions" in on_card
    assert json.dumps(EVIDENCE_SHOWN)[1:-1] in on_card
    assert "Jane &lt;@U999&gt; Doe" in on_card
    assert "&lt;@U999&gt;" in card["text"]  # the notification text too

    # Reject with a marked-up reason: the card in place and Jane's notice.
    before = count(bot, "views.open")
    click(bot, HOS, ids.REJECT, card)
    form = wait_new(bot, "views.open", before)[0].response["view"]
    updates = count(bot, "chat.update")
    bot.user.view_submission(
        bot.uid(HOS), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: f"{INJECT} reason"}}
    )
    wait_new(bot, "chat.update", updates)
    settle(bot)
    assert f"{ESCAPED} reason" in raw(cards(bot, HOS)[-1]["blocks"])
    assert f"{ESCAPED} reason" in raw(bot.dms(JANE)[-1]["blocks"])

    # Resubmit, approve; then status, due, App Home and the summary show the words.
    view = open_submit(bot, JANE, f"SE1.1 {LATEST}")
    submit_view(bot, JANE, view["id"], form_values("20", f"{INJECT} overview", f"{INJECT} actions"))
    wait_until(lambda: len(cards(bot, HOS)) == 3, what="the card for version 3")
    settle(bot)
    updates = count(bot, "chat.update")
    click(bot, HOS, ids.APPROVE, cards(bot, HOS)[-1])
    wait_new(bot, "chat.update", updates)
    settle(bot)
    status = command(bot, CHRIS, f"status SE1.1 {LATEST}")
    assert f"{ESCAPED} overview" in raw(status["blocks"])
    assert "Shape our &lt;!channel&gt; Environment" in raw(command(bot, CHRIS, "status SE"))
    command(bot, JANE, "due")
    command(bot, HOS, "due")
    open_home(bot, HOS)
    open_home(bot, JANE)
    preview = command(bot, POLICY, f"summary {LATEST}")
    assert "Example &lt;!everyone&gt; Council &amp; Co" in preview["text"]
    channel = bot.slack.add_channel("performance")
    posted = command(bot, POLICY, f"summary {LATEST} <#{channel}|performance>")
    assert f"Posted the {LATEST} summary" in posted["text"]
    in_channel = raw(bot.slack.messages(channel))  # the exception report is in the thread
    assert f"*Performance overview:* {ESCAPED} overview" in in_channel
    assert f"*Actions to improve:* {ESCAPED} actions" in in_channel

    # Reopen with a marked-up reason: the card's note and the notices.
    approved = cards(bot, HOS)[-1]
    before = count(bot, "views.open")
    click(bot, HOS, ids.REOPEN, approved)
    form = wait_new(bot, "views.open", before)[0].response["view"]
    updates = count(bot, "chat.update")
    bot.user.view_submission(
        bot.uid(HOS), form["id"], {ids.REASON_BLOCK: {ids.REASON_INPUT: f"{INJECT} reopen"}}
    )
    wait_new(bot, "chat.update", updates)
    settle(bot)
    assert f"{ESCAPED} reopen" in raw(cards(bot, HOS)[-1]["blocks"])
    assert f"{ESCAPED} reopen" in raw(bot.dms(JANE)[-1]["blocks"])

    # Leave: the cover's register name in the answer.
    away = command(bot, JANE, f"away 2026-10-12 2026-10-16 <@{bot.uid(SAM)}>")
    assert "Sam &lt;!everyone&gt; Lee will get your reminders" in away["text"]

    mrkdwn = assert_words_stay_words(bot)
    for escaped in (
        ESCAPED,
        "Reduction in &lt;!here&gt; CO2 &amp; emissions",
        "Helen &lt;!here&gt; Carter",
        "kg &lt;!channel&gt; per household",
    ):
        assert escaped in mrkdwn, escaped
    assert f"SE1.1 {TITLE}" in plain_texts(bot)  # headers show the title exactly as written


def test_long_text_is_clipped_after_escaping_within_block_kit_limits(bot: Bot) -> None:
    """Escaping lengthens text (`<` becomes four characters): the card still fits Slack's
    3000 characters a text, and is cut between entities, never inside one."""
    overview = ("<&>" * 1000)[:2900]  # the longest overview the form takes
    view = open_submit(bot, JANE, f"SE1.1 {LATEST}")
    sent = count(bot, "chat.postMessage")
    answer = submit_view(bot, JANE, view["id"], form_values("36.5", overview))
    assert answer.body == b"", answer.text
    calls = wait_new(bot, "chat.postMessage", sent)
    settle(bot)
    assert all(call.ok for call in calls), [call.response for call in calls]  # within limits
    [card] = cards(bot, HOS)
    [text] = [
        block["text"]["text"]
        for block in card["blocks"]
        if block.get("text", {}).get("text", "").startswith("*Performance overview*")
    ]
    assert len(text) <= 3000 and text.endswith("…")
    body = text.removeprefix("*Performance overview*\n").removesuffix("…")
    assert re.fullmatch(r"(&lt;|&amp;|&gt;)+", body), body[-20:]
    assert_words_stay_words(bot)


@pytest.mark.parametrize(
    ("link", "words"),
    [
        ("http://intranet.example.gov.uk/carbon", "starting https://"),
        ("https://evil.example|GOV.UK", "cannot contain the characters"),
        ("https://intranet.example.gov.uk/<!channel>", "cannot contain the characters"),
        ("https://intranet.example.gov.uk/a b", "cannot contain spaces"),
        ("https://www.gov.uk@evil.example/guidance", "before the site"),
        ("javascript:alert(1)", "starting https://"),
    ],
)
def test_an_evidence_link_that_could_disguise_itself_is_refused_on_the_field(
    reader: Bot, link: str, words: str
) -> None:
    view = open_submit(reader, JANE, "SE1.1")
    answer = submit_view(reader, JANE, view["id"], form_values("36.5", evidence=link))
    body = answer.json()
    assert body["response_action"] == "errors", body
    assert list(body["errors"]) == [ids.EVIDENCE_BLOCK]
    assert words in body["errors"][ids.EVIDENCE_BLOCK]
    assert submissions(reader, "SE1.1") == []
