"""The program's picture: a small PNG of the last twelve months and of the pipeline today.

It draws the figures it is given (`ProgramChart`) and nothing else, so the
digest and the report show the same picture of the same numbers. Drawn with
matplotlib's object interface on the Agg canvas: no display, no global
state shared between threads. `chart_alt_text` says in words what the
picture shows, for the `alt` of its image and for anyone who cannot see it.
"""
from __future__ import annotations

import io
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

# Colours that stay apart for the common kinds of colour blindness (Okabe and Ito).
PROTEGES, MENTORS, STARTED, ACTIVE = "#0072B2", "#E69F00", "#009E73", "#CC79A7"
PIPELINE = ("#D55E00", "#F0E442", "#009E73", "#999999")
# Drawn at twice the size it is shown, so it stays sharp on a high-density screen.
SHOWN_WIDTH, SHOWN_HEIGHT = 600, 420
_DPI = 200


@dataclass(frozen=True)
class ProgramChart:
    """The numbers the picture shows. The monthly lists run oldest first, one value per month."""

    months: list[str]          # short month names, "Mar" ... "Feb"
    proteges: list[int]        # protégé applications received in each month
    mentors: list[int]         # mentor applications received in each month
    pairs_started: list[int]   # relationships that began in each month
    active_pairs: list[int]    # relationships under way at the end of each month
    # The pipeline today, in the order a protégé walks it: (label, how many).
    pipeline: list[tuple[str, int]]
    title: str = "The program over the last twelve months"


def render_chart(chart: ProgramChart, cache_dir: Path | None = None) -> bytes:
    """The picture as PNG bytes, SHOWN_WIDTH by SHOWN_HEIGHT pixels at twice the density.

    matplotlib keeps a font cache, by default in the user's home, which a service may not write
    (and which the program should not litter): given `cache_dir`, it is kept there instead.
    """
    if cache_dir is not None and "matplotlib" not in sys.modules:
        os.environ.setdefault("MPLCONFIGDIR", str(cache_dir / "matplotlib"))
    from matplotlib.figure import Figure

    figure = Figure(figsize=(SHOWN_WIDTH / 100, SHOWN_HEIGHT / 100), dpi=_DPI, layout="constrained")
    history, pipeline = figure.subplots(2, 1, height_ratios=[3, 1.15])
    _draw_history(history, chart)
    _draw_pipeline(pipeline, chart.pipeline)
    drawn = io.BytesIO()
    figure.savefig(drawn, format="png", dpi=_DPI)
    # A chart has few colours: a palette of 64 keeps it looking the same at a third of the bytes.
    # Nothing but pixels is written, so the same numbers give the same file.
    out = io.BytesIO()
    Image.open(drawn).convert("RGB").quantize(colors=64, method=Image.Quantize.MEDIANCUT).save(
        out, format="PNG", optimize=True)
    return out.getvalue()


def _draw_history(ax, chart: ProgramChart) -> None:
    x = list(range(len(chart.months)))
    width = 0.38
    ax.bar([i - width / 2 for i in x], chart.proteges, width, color=PROTEGES, label="protégé applications")
    ax.bar([i + width / 2 for i in x], chart.mentors, width, color=MENTORS, label="mentor applications")
    ax.plot(x, chart.pairs_started, color=STARTED, marker="o", markersize=3, linewidth=1.6,
            label="pairs started")
    ax.plot(x, chart.active_pairs, color=ACTIVE, marker="s", markersize=3, linewidth=1.6,
            label="pairs under way")
    ax.set_xticks(x, chart.months, fontsize=8.5)
    ax.tick_params(axis="y", labelsize=8.5)
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(chart.title, fontsize=10.5, loc="left")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=8, frameon=False, ncols=2, loc="upper left", bbox_to_anchor=(0, -0.12))


def _draw_pipeline(ax, stages: list[tuple[str, int]]) -> None:
    total = sum(n for _label, n in stages) or 1
    left = 0
    for (label, n), colour in zip(stages, PIPELINE, strict=False):
        # Each part's count is in the legend, which never overlaps however thin a part is.
        ax.barh(0, n, left=left, color=colour, height=0.8, label=f"{label}: {n}")
        left += n
    ax.set_xlim(0, total)
    ax.set_ylim(-0.5, 0.5)
    ax.set_axis_off()
    ax.legend(fontsize=8, frameon=False, ncols=len(stages), loc="upper left", bbox_to_anchor=(0, 0.05))
    ax.set_title("Where protégés stand today", fontsize=10.5, loc="left")


def chart_alt_text(chart: ProgramChart) -> str:
    """What the picture shows, in a few sentences."""
    first, last = (chart.months[0], chart.months[-1]) if chart.months else ("", "")
    pipeline = ", ".join(f"{n} {label}" for label, n in chart.pipeline)
    return (f"Chart of the program from {first} to {last}: {sum(chart.proteges)} protégé and "
            f"{sum(chart.mentors)} mentor applications, {sum(chart.pairs_started)} pairs started, "
            f"{chart.active_pairs[-1] if chart.active_pairs else 0} pairs under way now. "
            f"Protégés today: {pipeline}.")
