"""The RAGG chart in the summaries reads at a glance (issue 13): counts per colour in the
framework's order, the words and the counts on the chart, and measures with no data said
quietly rather than drawn as a block as large as the rest.

The checks read the PNG's pixels; tests/artifacts/ragg-chart.png is saved to look at."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

from PIL import Image

from bot.chart import RAGG_COLOURS, ragg_chart
from bot.periods import Period
from bot.ragg import Ragg
from bot.summary import Summary, Tally

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
QUARTER = Period.parse("2026-27 Q1")


def _tally(code: str, name: str, counts: dict[Ragg, int]) -> Tally:
    return Tally(code, name, {status: counts.get(status, 0) for status in Ragg}, {})


def _summary(priorities: list[Tally]) -> Summary:
    overall = {status: sum(t.counts.get(status, 0) for t in priorities) for status in Ragg}
    return Summary(
        council="Example District Council",
        quarter=QUARTER,
        board_date=date(2026, 7, 21),
        rows=[],
        overall=_tally("ALL", "Example District Council", overall),
        priorities=priorities,
    )


def _pixels(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    assert image.size == (1200, 600)
    return image


def _where(image: Image.Image, colour: str) -> list[tuple[int, int]]:
    """Every pixel painted exactly in the RRGGBB colour."""
    wanted = tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4))
    data, width = image.tobytes(), image.width
    return [
        (i // 3 % width, i // 3 // width)
        for i in range(0, len(data), 3)
        if (data[i], data[i + 1], data[i + 2]) == wanted
    ]


def _ink(image: Image.Image) -> int:
    """How many pixels are not white: how much the chart draws."""
    data = image.tobytes()
    return sum(1 for i in range(0, len(data), 3) if min(data[i : i + 3]) < 235)


def test_each_colour_is_a_bar_in_the_frameworks_order_sized_by_its_count() -> None:
    chart = ragg_chart(
        _summary(
            [
                _tally(
                    "SE",
                    "Shape our Environment",
                    {Ragg.RED: 1, Ragg.AMBER: 2, Ragg.GREEN: 4, Ragg.GREY: 1, Ragg.NONE: 3},
                )
            ]
        )
    )
    image = _pixels(chart)
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "ragg-chart.png")
    found = {}
    for status in (Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY):
        colour = RAGG_COLOURS[status]
        assert colour is not None
        # the legend's swatch is small and below the bars: keep the bars only
        bar = [(x, y) for x, y in _where(image, colour) if y < 520]
        assert bar, f"no {status.word} bar"
        found[status] = bar
    lefts = [min(x for x, _ in found[s]) for s in (Ragg.RED, Ragg.AMBER, Ragg.GREEN, Ragg.GREY)]
    assert lefts == sorted(lefts), "Red, Amber, Green, Grey from left to right"

    def height(status: Ragg) -> int:
        ys = [y for _, y in found[status]]
        return max(ys) - min(ys) + 1

    assert abs(height(Ragg.GREEN) / height(Ragg.RED) - 4) < 0.15
    assert abs(height(Ragg.AMBER) / height(Ragg.RED) - 2) < 0.1
    assert abs(height(Ragg.GREY) / height(Ragg.RED) - 1) < 0.05


def test_no_data_is_counted_in_words_not_drawn_as_a_block() -> None:
    def chart(no_data: int) -> Image.Image:
        counts = {Ragg.GREEN: 2, Ragg.GREY: 1, Ragg.NONE: no_data}
        return _pixels(ragg_chart(_summary([_tally("SE", "Shape our Environment", counts)])))

    few, many = chart(1), chart(17)
    # Sixteen more measures with no data change a digit or two of text, not a block.
    assert abs(_ink(many) - _ink(few)) < 400, (_ink(few), _ink(many))


def test_every_priority_has_a_panel_on_one_scale() -> None:
    priorities = [
        _tally("SE", "Shape our Environment", {Ragg.GREEN: 4}),
        _tally("DE", "Drive our Economy", {Ragg.GREEN: 2}),
        _tally("SC", "Support our Communities", {Ragg.GREEN: 1}),
    ]
    image = _pixels(ragg_chart(_summary(priorities)))
    colour = RAGG_COLOURS[Ragg.GREEN]
    assert colour is not None
    green = [(x, y) for x, y in _where(image, colour) if y < 520]
    columns: dict[int, list[int]] = {}
    for x, y in green:
        columns.setdefault(x * 3 // image.width, []).append(y)
    heights = [max(ys) - min(ys) + 1 for _, ys in sorted(columns.items())]
    assert len(heights) == 3
    assert abs(heights[0] / heights[2] - 4) < 0.2 and abs(heights[1] / heights[2] - 2) < 0.1
