"""Server-side figures for the report page, rendered by matplotlib as SVG text.

Every figure is built on its own `matplotlib.figure.Figure` (never `pyplot`), so no global
figure state survives a call, and it is written with a fixed hash salt and no date, so the
same numbers always give byte-identical SVG (cacheable, testable). Text stays text
(`svg.fonttype = none`): it is searchable, selectable and read by screen readers.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.patches import Patch

# One palette for the figures and the style sheet (app/static/style.css uses the same hues).
GROUP_COLOURS: dict[str, str] = {
    "tiny": "#b2182b",
    "small": "#ef8a62",
    "medium": "#67a9cf",
    "large": "#2166ac",
}
DEFAULT_COLOUR = "#4c566a"
HEATMAP_COLOURS = "Blues"

_SVG_SETTINGS: dict[Any, Any] = {
    "svg.hashsalt": "tomobench",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
}


def figure_to_svg(figure: Figure) -> str:
    """Return `figure` as standalone SVG text, without a date, so output is reproducible."""
    buffer = io.StringIO()
    with matplotlib.rc_context(_SVG_SETTINGS):
        figure.savefig(buffer, format="svg", metadata={"Date": None}, bbox_inches="tight")
    return buffer.getvalue()


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A fresh figure with one axes, styled under the SVG settings."""
    with matplotlib.rc_context(_SVG_SETTINGS):
        figure = Figure(figsize=(width, height), dpi=96)
        axes = figure.add_subplot()
    return figure, axes


def f1_bars_svg(
    f1_by_class: Mapping[str, float | None],
    group_by_class: Mapping[str, str] | None = None,
    title: str = "F1 per class",
) -> str:
    """Bar chart of one F1 value per class, coloured by size group.

    An undefined F1 (None) gets no bar and an "n/a" mark, so it is never mistaken for 0.

    Raises:
        ValueError: when `f1_by_class` is empty or a value lies outside [0, 1].
    """
    if not f1_by_class:
        raise ValueError("f1_by_class is empty: nothing to plot")
    for name, value in f1_by_class.items():
        if value is not None and not 0.0 <= value <= 1.0:
            raise ValueError(f"F1 of {name} must lie in [0, 1], got {value}")
    groups = group_by_class or {}
    names = list(f1_by_class)
    heights = [f1_by_class[name] or 0.0 for name in names]
    colours = [GROUP_COLOURS.get(groups.get(name, ""), DEFAULT_COLOUR) for name in names]
    figure, axes = _new_figure(7.0, 3.0)
    with matplotlib.rc_context(_SVG_SETTINGS):
        bars = axes.bar(names, heights, color=colours)
        for bar, name in zip(bars, names, strict=True):
            value = f1_by_class[name]
            label = "n/a" if value is None else f"{value:.3f}"
            axes.annotate(
                label,
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                xytext=(0, 2),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=7,
            )
        axes.set_ylim(0.0, 1.08)
        axes.set_ylabel("F1")
        axes.set_title(title)
        axes.tick_params(axis="x", labelrotation=45)
        present = [group for group in GROUP_COLOURS if group in set(groups.values())]
        if present:
            handles = [Patch(color=GROUP_COLOURS[group], label=group) for group in present]
            axes.legend(
                handles=handles, title="size group", loc="upper left", bbox_to_anchor=(1.0, 1.0)
            )
    return figure_to_svg(figure)


def confusion_heatmap_svg(labels: Sequence[str], matrix: Sequence[Sequence[int]]) -> str:
    """Heatmap of a confusion matrix (rows: true class, columns: predicted class).

    Each cell prints its count; colours are scaled by row so that rare classes stay legible.

    Raises:
        ValueError: when the matrix is not square with one row per label.
    """
    size = len(labels)
    if size == 0 or len(matrix) != size or any(len(row) != size for row in matrix):
        raise ValueError(f"confusion matrix must be {size}x{size} to match its labels")
    shares = []
    for row in matrix:
        total = sum(row)
        shares.append([count / total if total else 0.0 for count in row])
    figure, axes = _new_figure(6.4, 5.6)
    with matplotlib.rc_context(_SVG_SETTINGS):
        image = axes.imshow(shares, cmap=HEATMAP_COLOURS, vmin=0.0, vmax=1.0)
        for row_index, row in enumerate(matrix):
            for column_index, count in enumerate(row):
                if count == 0:
                    continue
                dark = shares[row_index][column_index] > 0.6
                axes.text(
                    column_index,
                    row_index,
                    str(count),
                    ha="center",
                    va="center",
                    fontsize=6,
                    color="white" if dark else "black",
                )
        axes.set_xticks(range(size), labels=list(labels), rotation=60)
        axes.set_yticks(range(size), labels=list(labels))
        axes.set_xlabel("predicted class")
        axes.set_ylabel("true class")
        axes.set_title("Confusion matrix (colour: share of the true class)")
        figure.colorbar(image, ax=axes, fraction=0.046, pad=0.04)
    return figure_to_svg(figure)


def precision_recall_svg(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    best_points: Mapping[str, tuple[float, float]] | None = None,
) -> str:
    """Precision–recall curves, one line per named curve, as the score threshold sweeps.

    `curves` maps a name (e.g. "localization") to (recall values, precision values);
    `best_points` optionally marks each curve's best-F1 operating point (recall, precision).

    Raises:
        ValueError: when there is no curve, a curve's lists differ in length or are empty,
            or a value is not a finite number in [0, 1].
    """
    if not curves:
        raise ValueError("no precision-recall curve to plot")
    for name, (recalls, precisions) in curves.items():
        if len(recalls) != len(precisions) or not recalls:
            raise ValueError(f"curve {name!r} needs as many precision as recall values (>0)")
        for value in (*recalls, *precisions):
            if not (math.isfinite(value) and 0.0 <= value <= 1.0):
                raise ValueError(f"curve {name!r} has a value outside [0, 1]: {value}")
    figure, axes = _new_figure(4.8, 4.0)
    with matplotlib.rc_context(_SVG_SETTINGS):
        for name, (recalls, precisions) in curves.items():
            (line,) = axes.plot(recalls, precisions, drawstyle="steps-post", label=name)
            if best_points and name in best_points:
                recall, precision = best_points[name]
                axes.plot([recall], [precision], "o", color=line.get_color())
        axes.set_xlim(0.0, 1.0)
        axes.set_ylim(0.0, 1.02)
        axes.set_xlabel("recall")
        axes.set_ylabel("precision")
        axes.set_title("Precision–recall as the score threshold sweeps")
        # below the axes: inside, it covers the low-recall end or the tail of the curves
        axes.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
        axes.grid(alpha=0.3)
    return figure_to_svg(figure)
