"""A RAGG chart for a quarter's summary (PRODUCT §7; seed 002 §6.1.6–6.1.7).

One panel per priority: a bar each for Red, Amber, Green and Grey in that order, named in
words under the bar with its count above; measures with no data are counted in quiet text, not
drawn as a block. Colour is never the only signal, and the legend names each status in words
with the council-wide count. The palette and the contrast rule live here so
the Performance Board export (`bot.export`) paints the same colours.

matplotlib is imported inside `ragg_chart` only, and through `Figure` + `FigureCanvasAgg`
directly, so importing this module is cheap and nothing global (pyplot, the backend) changes.
"""

from __future__ import annotations

import io
import textwrap

from bot.ragg import Ragg
from bot.summary import ORDER, Summary

# GOV.UK design system colours (seed 002's RAGG: red, amber, green, grey).
RAGG_COLOURS: dict[Ragg, str | None] = {
    Ragg.RED: "D4351C",
    Ragg.AMBER: "F47738",
    Ragg.GREEN: "00703C",
    Ragg.GREY: "B1B4B6",
    Ragg.NONE: None,  # no data: not a colour; quiet text in the chart, an outline elsewhere
}
BLACK = "0B0C0C"
QUIET = "505A5F"  # GOV.UK secondary text: what is not a colour, said quietly
WHITE = "FFFFFF"
LABELS = {
    Ragg.RED: "Red",
    Ragg.AMBER: "Amber",
    Ragg.GREEN: "Green",
    Ragg.GREY: "Grey",
    Ragg.NONE: "No data",
}

WIDTH_PX, HEIGHT_PX, DPI = 1200, 600, 100


def _plain(text: str) -> str:
    """Text as written: a '$' must not switch matplotlib into mathtext."""
    return text.replace("$", r"\$")


def _luminance(colour: str) -> float:
    """WCAG 2 relative luminance of an RRGGBB colour."""

    def channel(hex_pair: str) -> float:
        c = int(hex_pair, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (0, 2, 4))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_colour(background: str | None) -> str:
    """Black or white, whichever contrasts more with `background` (RRGGBB; None = white)."""
    if background is None:
        return BLACK
    lum = _luminance(background[-6:])
    on_white = 1.05 / (lum + 0.05)
    on_black = (lum + 0.05) / (_luminance(BLACK) + 0.05)
    return WHITE if on_white >= on_black else BLACK


def ragg_chart(summary: Summary, *, title: str | None = None) -> bytes:
    """A 1200×600 PNG of RAGG counts per priority; the same summary gives the same bytes.
    `title` replaces the quarter's ("<council> — <quarter>: RAGG by priority").

    One panel per priority (up to four a row), each with a bar for Red, Amber, Green and Grey
    in the framework's order, the word under each bar and its count above it, on one scale so
    panels compare. Measures with no data are a quiet line of text under the bars, not a
    block: they are not a colour and must not look like one. The legend names each colour
    with the council-wide count."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.layout_engine import ConstrainedLayoutEngine
    from matplotlib.patches import Patch

    figure = Figure(
        figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI),
        dpi=DPI,
        layout=ConstrainedLayoutEngine(wspace=0.06, hspace=0.08),
    )
    FigureCanvasAgg(figure)
    figure.suptitle(
        _plain(title or f"{summary.council} — {summary.quarter}: RAGG by priority"),
        fontsize=17,
        weight="bold",
    )
    priorities = summary.priorities
    coloured = [status for status in ORDER if RAGG_COLOURS[status] is not None]
    if not priorities:
        axes = figure.add_subplot()
        axes.set_axis_off()
        axes.text(
            0.5,
            0.5,
            "No measures in the register",
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=15,
        )
    else:
        columns = min(len(priorities), 4)
        rows = -(-len(priorities) // columns)
        grid = figure.subplots(rows, columns, squeeze=False, sharey=True)
        highest = max([t.counts.get(s, 0) for t in priorities for s in coloured] + [1])
        words = [LABELS[status] for status in coloured]
        for index, axes in enumerate(grid.flat):
            if index >= len(priorities):
                axes.set_axis_off()
                continue
            tally = priorities[index]
            counts = [tally.counts.get(status, 0) for status in coloured]
            bars = axes.bar(
                range(len(coloured)),
                counts,
                width=0.72,
                color=[f"#{RAGG_COLOURS[status]}" for status in coloured],
                edgecolor=f"#{BLACK}",
                linewidth=0.8,
            )
            axes.bar_label(
                bars, labels=[str(n) for n in counts], padding=3, fontsize=14, weight="bold"
            )
            axes.set_xticks(range(len(coloured)), words, fontsize=12)
            axes.tick_params(axis="x", length=0)
            axes.set_ylim(0, highest * 1.22)
            axes.set_yticks([])
            axes.spines[["top", "right", "left"]].set_visible(False)
            name = f"{tally.code} {tally.name}".strip()
            name = textwrap.fill(_plain(textwrap.shorten(name, 48, placeholder="…")), 24)
            axes.set_title(name, fontsize=13, weight="bold", loc="left")
            missing = tally.counts.get(Ragg.NONE, 0)
            axes.set_xlabel(
                f"No data: {missing}",
                fontsize=12,
                color=f"#{QUIET}",
                style="italic",
                labelpad=8,
            )

    overall = summary.overall.counts
    handles = [
        Patch(
            facecolor=f"#{RAGG_COLOURS[status]}",
            edgecolor=f"#{BLACK}",
            label=f"{LABELS[status]} ({overall.get(status, 0)})",
        )
        for status in coloured
    ]
    handles.append(
        Patch(
            facecolor="white",
            edgecolor=f"#{QUIET}",
            linestyle=":",
            label=f"{LABELS[Ragg.NONE]} ({overall.get(Ragg.NONE, 0)})",
        )
    )
    legend = figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=13,
        frameon=False,
        handlelength=2.0,
        handleheight=1.2,
    )
    legend.get_texts()[-1].set_color(f"#{QUIET}")

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
