"""Which figures a report has, and each one drawn from the evaluator's result dict.

The report page lists `report_figures(result)`; the figure route calls
`render_figure(name, result)`, which returns None when the result lacks the data
(e.g. no precision–recall curve without confidence scores).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.services.plots import confusion_heatmap_svg, f1_bars_svg
from app.services.report import build_report, group_of_class


@dataclass(frozen=True)
class Figure:
    """A report figure: its URL name, alternative text and caption."""

    name: str
    alt: str
    caption: str


def _f1_bars(result: Mapping[str, Any]) -> str | None:
    report = build_report(result)
    return f1_bars_svg(report.f1_by_class, group_of_class(), title="F1 per class (Table 2)")


def _confusion(result: Mapping[str, Any]) -> str | None:
    confusion = build_report(result).confusion
    if confusion is None:
        return None
    return confusion_heatmap_svg(confusion.labels, confusion.matrix)


FIGURES: dict[str, tuple[Figure, Callable[[Mapping[str, Any]], str | None]]] = {
    "f1": (
        Figure(
            "f1",
            "Bar chart of the F1 score of each of the 12 classes, coloured by size group",
            "F1 per class, coloured by size group; n/a marks an undefined F1.",
        ),
        _f1_bars,
    ),
    "confusion": (
        Figure(
            "confusion",
            "Heatmap of the confusion matrix: true classes in rows, predicted classes in columns",
            "Confusion matrix of found particles; the table below gives the same counts.",
        ),
        _confusion,
    ),
}


def render_figure(name: str, result: Mapping[str, Any]) -> str | None:
    """The SVG of figure `name` for `result`, or None when the result lacks its data.

    Raises:
        KeyError: if `name` is not one of `FIGURES`.
        ValueError: if the result's numbers cannot be plotted (see `app.services.plots`).
    """
    _, draw = FIGURES[name]
    return draw(result)


def report_figures(result: Mapping[str, Any]) -> list[Figure]:
    """The figures this result can show, in page order."""
    available = {
        "f1": True,
        "confusion": isinstance(
            (result.get("classification") or {}).get("confusion_matrix"), Mapping
        ),
    }
    return [figure for name, (figure, _) in FIGURES.items() if available.get(name, False)]
