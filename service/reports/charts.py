"""Pure charts: labelled values in, PNG bytes out (matplotlib's Agg backend, no pyplot).

matplotlib is imported on first use, not at import time: most processes never draw a chart,
and its import reads a font cache. The figure is built with the object API, so concurrent
requests share no global pyplot state.
"""

import io
import os
import tempfile
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from babel.numbers import format_decimal

# DejaVu Sans ships with matplotlib and covers Cyrillic and Kazakh letters.
FONT = "DejaVu Sans"
MAX_LABEL = 60
TITLE_WIDTH = 60  # characters a title line holds before it wraps (tests: every title fits)
# Part of every chart's ETag (reports/cache.py): raise it when a chart is drawn differently,
# so no client keeps a picture drawn the old way on a 304.
STYLE = 4
WIDTH_IN = 11.0
DPI = 100


@dataclass(frozen=True)
class Bar:
    """One row of a chart: the bar's value, a second figure drawn as a marker, and ``n``,
    the sample the value rests on (printed beside the label: a mean of 3 is not one of 300)."""

    label: str
    value: float | None
    second: float | None = None
    n: int | None = None


def _configure_cache() -> None:
    # Without this matplotlib writes its font cache under $HOME, which a service account may
    # not have or may not be allowed to write. Read once, before matplotlib's first import.
    if "MPLCONFIGDIR" not in os.environ:
        cache = Path(tempfile.gettempdir()) / "mshop-matplotlib"
        cache.mkdir(mode=0o700, exist_ok=True)
        os.environ["MPLCONFIGDIR"] = str(cache)


@dataclass(frozen=True)
class ChartWords:
    """What a chart says besides its title and axes, and the locale its numbers are written
    in (a decimal comma in ru and kk, as the console's tables beside the chart write them)."""

    no_data: str
    unrated: str
    locale: str

    def number(self, value: float, digits: int) -> str:
        pattern = "0." + "0" * digits if digits else "0"
        return format_decimal(value, format=pattern, locale=self.locale)


def _short(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1].rstrip() + "…"


def bar_chart_png(
    bars: Sequence[Bar],
    *,
    title: str,
    value_label: str,
    value_max: float,
    second_label: str,
    words: "ChartWords",
) -> bytes:
    """Draw ``bars`` top to bottom as horizontal bars, ``second`` as markers on a top axis.

    Args:
        bars: rows in display order (the first is drawn at the top).
        title: the chart's title.
        value_label: the bottom axis' label, for ``Bar.value`` (0..``value_max``).
        value_max: the end of the bottom axis.
        second_label: the top axis' label, for ``Bar.second`` (a percentage, 0..100).
        words: what the chart says besides, in its language (``reports.words.WORDS``).

    Returns:
        A PNG image, ``WIDTH_IN`` × ``DPI`` pixels wide, taller the more rows it has.
    """
    _configure_cache()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    rows = max(len(bars), 1)
    figure = Figure(figsize=(WIDTH_IN, 1.6 + 0.32 * rows), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    # Over the whole figure, not the axes, which long row labels push to the right; wrapped,
    # as a long title (Kazakh runs longer than Russian) would be cut at the edge.
    figure.suptitle(textwrap.fill(title, TITLE_WIDTH), fontfamily=FONT, fontsize=12)
    positions = list(range(len(bars)))
    values = [bar.value or 0.0 for bar in bars]
    drawn = axes.barh(positions, values, color="#4C78A8", height=0.6, label=value_label)
    axes.bar_label(
        drawn,
        labels=[_value_text(bar, words) for bar in bars],
        padding=3,
        fontsize=8,
        fontfamily=FONT,
    )
    axes.set_yticks(positions, [_tick(bar) for bar in bars], fontfamily=FONT, fontsize=8)
    axes.set_ylim(len(bars) - 0.5 if bars else 0.5, -0.5)
    axes.set_xlim(0, value_max * 1.15)
    axes.set_xlabel(value_label, fontfamily=FONT)
    share = axes.twiny()
    marked = [(p, b.second) for p, b in zip(positions, bars, strict=True) if b.second is not None]
    share.scatter([s for _, s in marked], [p for p, _ in marked], color="#F58518", marker="D", s=18)
    share.set_xlim(0, 115)
    share.set_xlabel(second_label, fontfamily=FONT, color="#F58518")
    if not bars:
        axes.text(
            value_max / 2, 0, words.no_data, ha="center", va="center", fontfamily=FONT, fontsize=14
        )
        axes.set_yticks([])
    for tick in [*axes.get_xticklabels(), *share.get_xticklabels()]:
        tick.set_fontfamily(FONT)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def _tick(bar: Bar) -> str:
    label = _short(bar.label)
    return label if bar.n is None else f"{label} (n={bar.n})"


def _value_text(bar: Bar, words: "ChartWords") -> str:
    if bar.value is None:
        return words.unrated
    text = words.number(bar.value, 2)
    return text if bar.second is None else f"{text} · {words.number(bar.second, 0)}%"
