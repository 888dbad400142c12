"""Slack's markup for the chat-neutral messages (`handlers.slack.render`) on its own: escaping,
links, clipping, and reading a person's message back into words (issue 9, item 5). The whole
bot is checked end to end in tests/test_slack_escaping.py."""

from __future__ import annotations

import re

import pytest

from bot.chat.model import Code, Em, Facts, Link, Message, Note, Para, Strong, UnsafeLink, text
from handlers.slack import render


def test_plain_text_is_escaped_by_slacks_rule_and_nothing_more() -> None:
    assert render.escape("<!channel> & <@U1> *bold* 'q' \"q\"") == (
        "&lt;!channel&gt; &amp; &lt;@U1&gt; *bold* 'q' \"q\""
    )
    assert render.escape("&lt;") == "&amp;lt;"  # typed literally, shown literally


def test_every_part_of_a_text_is_escaped_and_only_our_markup_is_markup() -> None:
    inject = "<!here> & <https://evil.example|GOV.UK>"
    shown = render.mrkdwn(text(inject, Strong(inject), Em(inject), Code(f"`{inject}`")))
    escaped = "&lt;!here&gt; &amp; &lt;https://evil.example|GOV.UK&gt;"
    assert shown == f"{escaped}*{escaped}*_{escaped}_`ʹ{escaped}ʹ`"


def test_a_link_is_the_bots_own_with_the_real_site_beside_it() -> None:
    shown = render.mrkdwn(text(Link("https://intranet.example.gov.uk/carbon/q2?a=1&b=2")))
    assert shown == (
        "<https://intranet.example.gov.uk/carbon/q2?a=1&amp;b=2|"
        "intranet.example.gov.uk/carbon/q2?a=1&amp;b=2> (intranet.example.gov.uk)"
    )
    labelled = render.mrkdwn(text(Link("https://www.gov.uk/guidance", "GOV.UK <guidance>")))
    assert labelled == "<https://www.gov.uk/guidance|GOV.UK &lt;guidance&gt;> (www.gov.uk)"
    for unsafe in ("http://intranet.example.gov.uk/", "https://evil.example|GOV.UK", "<x>"):
        with pytest.raises(UnsafeLink):
            Link(unsafe)


@pytest.mark.parametrize("limit", range(2, 40))
def test_clipping_never_cuts_an_entity_or_one_of_our_links(limit: int) -> None:
    words = render.mrkdwn(text("a<b&c>d" * 3, " ", Link("https://x.example/a")))
    clipped = render.fit(words, limit)
    assert len(clipped) <= limit
    if clipped != words:
        body = clipped.removesuffix("…")
        assert words.startswith(body)
        assert not re.search(r"&[a-z]*$", body), body  # no half entity at the end
        assert body.count("<") == body.count(">")  # no half link


def test_long_text_is_clipped_after_escaping_within_slacks_limits() -> None:
    inject = "<&>" * 1000
    _, shown = render.message(
        Message.of("x", Para(text(inject)), Facts((("Label", text(inject)),)), Note(text(inject)))
    )
    texts = [
        shown[0]["text"]["text"],
        shown[1]["fields"][0]["text"],
        shown[2]["elements"][0]["text"],
    ]
    for words, limit in zip(texts, (3000, 2000, 3000), strict=True):
        assert limit - 6 < len(words) <= limit  # cut before an entity, never inside one
    for words in texts:
        body = words.removeprefix("*Label*\n").removesuffix("…")
        assert re.fullmatch(r"(&lt;|&amp;|&gt;)+", body), body[-12:]


def test_mrkdwn_objects_are_verbatim_so_slack_does_not_add_links_or_mentions() -> None:
    _, shown = render.message(
        Message.of("x", Para(text("@channel #general www.example.com")), Facts((("A", text("b")),)))
    )
    assert shown[0]["text"]["verbatim"] is True
    assert all(field["verbatim"] is True for field in shown[1]["fields"])


def test_the_notification_text_is_escaped_too() -> None:
    words, _ = render.message(Message.of("<!channel> SE1.1 & co", Para(text("x"))))
    assert words == "&lt;!channel&gt; SE1.1 &amp; co"


def test_a_persons_message_is_read_back_into_the_words_they_typed() -> None:
    sent = (
        "87.5 &lt;!channel&gt; typed, <!here> said, <@U123|sam> and <@U456>, "
        "<#C1|general>, <https://x.example/a|the report>, <https://x.example/b>, "
        "<mailto:a@b.example|a@b.example>, <!subteam^S1|@team>, R&amp;D"
    )
    assert render.from_message(sent) == (
        "87.5 <!channel> typed, @here said, @sam and @U456, #general, "
        "the report (https://x.example/a), https://x.example/b, a@b.example, @team, R&D"
    )
