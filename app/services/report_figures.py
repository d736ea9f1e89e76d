"""Which figures a report has, and each one drawn from the evaluator's result dict.

The report page lists `report_figures(result)`; the figure route calls
`render_figure(name, result)`, which returns None when the result lacks the data
(e.g. no precision–recall curve without confidence scores).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from app.services.plots import confusion_heatmap_svg, f1_bars_svg, precision_recall_svg
from app.services.report import build_report, group_of_class

CURVES = ("localization", "classification")


@dataclass(frozen=True)
class Figure:
    """A report figure: its URL name, alternative text, caption and how to draw it."""

    name: str
    alt: str
    caption: str
    draw: Callable[[Mapping[str, Any]], str | None]


def _confusion_matrix(result: Mapping[str, Any]) -> Mapping[str, Any] | None:
    confusion = (result.get("classification") or {}).get("confusion_matrix")
    return confusion if isinstance(confusion, Mapping) else None


def _curves(result: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """The precision-recall curves of a result's ranking section (empty without scores, and
    in a participant's view of an open version, which withholds the curves' points)."""
    ranking = result.get("ranking")
    if not isinstance(ranking, Mapping):
        return {}
    return {
        name: ranking[name]
        for name in CURVES
        if isinstance(ranking.get(name), Mapping) and "recall" in ranking[name]
    }


def _f1_bars(result: Mapping[str, Any]) -> str:
    f1_by_class = build_report(result).f1_by_class
    return f1_bars_svg(f1_by_class, group_of_class(), title="F1 per class (Table 2)")


def _confusion(result: Mapping[str, Any]) -> str | None:
    confusion = build_report(result).confusion
    return confusion_heatmap_svg(confusion.labels, confusion.matrix) if confusion else None


def _precision_recall(result: Mapping[str, Any]) -> str | None:
    curves = _curves(result)
    if not curves:
        return None
    points = {name: (curve["recall"], curve["precision"]) for name, curve in curves.items()}
    best = {
        name: (curve["best_f1"]["recall"], curve["best_f1"]["precision"])
        for name, curve in curves.items()
        if isinstance(curve.get("best_f1"), Mapping)
    }
    return precision_recall_svg(points, best)


FIGURES: dict[str, Figure] = {
    figure.name: figure
    for figure in (
        Figure(
            "f1",
            "Bar chart of the F1 score of each of the 12 classes, coloured by size group",
            "F1 per class, coloured by size group; n/a marks an undefined F1.",
            _f1_bars,
        ),
        Figure(
            "confusion",
            "Heatmap of the confusion matrix: true classes in rows, predicted classes in columns",
            "Found particles by true and predicted class; colour is the share of the true class.",
            _confusion,
        ),
        Figure(
            "precision-recall",
            "Precision against recall as the confidence threshold is lowered, for localization"
            " and classification",
            "Precision–recall as the score threshold sweeps; dots mark the best-F1 thresholds.",
            _precision_recall,
        ),
    )
}


def render_figure(name: str, result: Mapping[str, Any]) -> str | None:
    """The SVG of figure `name` for `result`, or None when the result lacks its data.

    Raises:
        KeyError: if `name` is not one of `FIGURES`.
        ValueError: if the result's numbers cannot be plotted (see `app.services.plots`).
    """
    return FIGURES[name].draw(result)


def report_figures(result: Mapping[str, Any]) -> dict[str, Figure]:
    """The figures this result can show, by name (cheap: nothing is drawn)."""
    available = {
        "f1": True,
        "confusion": _confusion_matrix(result) is not None,
        "precision-recall": bool(_curves(result)),
    }
    return {name: figure for name, figure in FIGURES.items() if available[name]}
