"""A RAGG chart for a quarter's summary (PRODUCT §7; seed 002 §6.1.6–6.1.7).

One horizontal stacked bar per priority, Red, Amber, Green, Grey and Missing in that order.
Colour is never the only signal: every segment carries its count, and the legend names each
status in words with the council-wide count. The palette and the contrast rule live here so
the Performance Board export (`bot.export`) paints the same colours.

matplotlib is imported inside `ragg_chart` only, and through `Figure` + `FigureCanvasAgg`
directly, so importing this module is cheap and nothing global (pyplot, the backend) changes.
"""

from __future__ import annotations

import io

from bot.ragg import Ragg
from bot.summary import ORDER, Summary

# GOV.UK design system colours (seed 002's RAGG: red, amber, green, grey).
RAGG_COLOURS: dict[Ragg, str | None] = {
    Ragg.RED: "D4351C",
    Ragg.AMBER: "F47738",
    Ragg.GREEN: "00703C",
    Ragg.GREY: "B1B4B6",
    Ragg.NONE: None,  # missing data: no colour, an outline (and a hatch in the chart)
}
BLACK = "0B0C0C"
WHITE = "FFFFFF"
LABELS = {
    Ragg.RED: "Red",
    Ragg.AMBER: "Amber",
    Ragg.GREEN: "Green",
    Ragg.GREY: "Grey",
    Ragg.NONE: "Missing",
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
    `title` replaces the quarter's ("<council> — <quarter>: RAGG by priority")."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    figure.suptitle(
        _plain(title or f"{summary.council} — {summary.quarter}: RAGG by priority"),
        fontsize=17,
        weight="bold",
    )

    priorities = summary.priorities
    names = [_plain(f"{t.code} {t.name}".strip()) for t in priorities]
    positions = list(range(len(priorities)))
    left = [0] * len(priorities)
    for status in ORDER:
        counts = [t.counts.get(status, 0) for t in priorities]
        colour = RAGG_COLOURS[status]
        bars = axes.barh(
            positions,
            counts,
            left=left,
            height=0.6,
            color=f"#{colour}" if colour else "white",
            edgecolor=f"#{BLACK}",
            linewidth=1.0,
            hatch="//" if colour is None else None,
        )
        texts = axes.bar_label(
            bars,
            labels=[str(n) if n else "" for n in counts],
            label_type="center",
            color=f"#{text_colour(colour)}",
            fontsize=13,
            weight="bold",
        )
        if colour is None:
            for text in texts:  # keep the count legible over the hatch
                text.set_bbox({"facecolor": "white", "edgecolor": "none", "pad": 1.5})
        left = [a + b for a, b in zip(left, counts, strict=True)]

    axes.set_yticks(positions, names, fontsize=13)
    axes.invert_yaxis()  # register order, top to bottom
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelsize=12)
    axes.set_xlabel("Number of measures", fontsize=13)
    axes.set_xlim(0, max([*left, 1]) * 1.02)
    axes.spines[["top", "right"]].set_visible(False)
    if not priorities:
        axes.set_yticks([])
        axes.set_xticks([])
        axes.text(
            0.5,
            0.5,
            "No measures in the register",
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=15,
        )

    overall = summary.overall.counts
    handles = [
        Patch(
            facecolor=f"#{RAGG_COLOURS[status]}" if RAGG_COLOURS[status] else "white",
            edgecolor=f"#{BLACK}",
            hatch="//" if RAGG_COLOURS[status] is None else None,
            label=f"{LABELS[status]} ({overall.get(status, 0)})",
        )
        for status in ORDER
    ]
    figure.legend(
        handles=handles,
        loc="outside lower center",
        ncols=len(handles),
        fontsize=13,
        frameon=False,
        handlelength=2.5,
        handleheight=1.4,
    )

    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=DPI, metadata={"Software": None})
    return out.getvalue()
