"""The metrics we report beyond SHREC'19, as the report page shows them.

Each section is None when the result has nothing to show: orientation needs angles in the
submission, ranking needs confidence scores. Shapes follow `evaluation.result`:
`strict_classification` {class: counts + fp_background/fp_duplicate/fp_misclassified,
"overall"}, `orientation` {count, mean, median, per_class}, `ranking` {localization,
classification: curve, per_class, mean_average_precision}, `fbeta` {beta, multiplier,
distance_thresholds, per_class, overall, macro_fbeta}, `bootstrap` {resamples, seed, confidence}.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.services.report_format import Cell, cell, finite_number
from evaluation.classes import CLASSES

STRICT_BREAKDOWN = ("fp_background", "fp_duplicate", "fp_misclassified")


@dataclass(frozen=True)
class MetricRow:
    """A labelled row of formatted values (a class, or "all classes")."""

    label: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class MetricTable:
    """A small table: headers, rows, and a summary row (None when there is none)."""

    headers: tuple[str, ...]
    rows: tuple[MetricRow, ...]
    summary: MetricRow | None = None


@dataclass(frozen=True)
class BestThreshold:
    """The score threshold with the best F1 on one curve, formatted."""

    curve: str
    average_precision: Cell
    threshold: Cell
    f1: Cell
    precision: Cell
    recall: Cell
    predictions: Cell


@dataclass(frozen=True)
class RankingView:
    """Average precision and best-F1 thresholds, overall and per class."""

    curves: tuple[BestThreshold, ...]
    mean_average_precision: Cell
    per_class: MetricTable


@dataclass(frozen=True)
class AddedMetrics:
    """Every added section of the report (None: not available for this submission)."""

    strict: MetricTable | None
    orientation: MetricTable | None
    ranking: RankingView | None
    fbeta: MetricTable | None
    fbeta_settings: str
    bootstrap_settings: str
    warnings: tuple[str, ...]


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _row(
    label: str, metrics: Mapping[str, Any], keys: tuple[tuple[str, int | None], ...]
) -> MetricRow:
    return MetricRow(label, tuple(cell(metrics.get(key), digits) for key, digits in keys))


def _class_table(
    section: Mapping[str, Any],
    headers: tuple[str, ...],
    keys: tuple[tuple[str, int | None], ...],
    summary: tuple[str, Mapping[str, Any]] | None = None,
) -> MetricTable:
    """One row per class in canonical order, plus an optional summary row."""
    rows = tuple(_row(name, _mapping(section.get(name)), keys) for name in CLASSES)
    total = _row(summary[0], summary[1], keys) if summary and summary[1] else None
    return MetricTable(headers, rows, total)


COUNTS = (("tp", None), ("fp", None), ("fn", None))
RATES = (("precision", 3), ("recall", 3))


def strict_table(section: Any) -> MetricTable | None:
    """Strict per-class scores: every prediction counts, with false positives by cause."""
    if not isinstance(section, Mapping):
        return None
    per_class = _mapping(section.get("per_class")) or section
    keys = (*COUNTS, *((key, None) for key in STRICT_BREAKDOWN), *RATES, ("f1", 3))
    headers = (
        *("TP", "FP", "FN", "FP background", "FP duplicate", "FP wrong class"),
        *("Precision", "Recall", "F1"),
    )
    overall = ("all classes", _mapping(section.get("overall")))
    return _class_table(per_class, headers, keys, overall)


def orientation_table(section: Any) -> MetricTable | None:
    """Angular error (degrees) of first hits, per class and over all."""
    if not isinstance(section, Mapping):
        return None
    keys = (("count", None), ("mean", 2), ("median", 2))
    headers = ("First hits", "Mean error (°)", "Median error (°)")
    return _class_table(_mapping(section.get("per_class")), headers, keys, ("all classes", section))


def _best(curve_name: str, curve: Mapping[str, Any]) -> BestThreshold:
    best = _mapping(curve.get("best_f1"))
    return BestThreshold(
        curve=curve_name,
        average_precision=cell(curve.get("average_precision"), 3),
        threshold=cell(best.get("threshold"), 3),
        f1=cell(best.get("f1"), 3),
        precision=cell(best.get("precision"), 3),
        recall=cell(best.get("recall"), 3),
        predictions=cell(best.get("predictions")),
    )


def ranking_view(section: Any) -> RankingView | None:
    """Average precision and best thresholds of the localization and classification curves."""
    if not isinstance(section, Mapping):
        return None
    curves = tuple(
        _best(name, _mapping(section.get(name))) for name in ("localization", "classification")
    )
    rows = []
    for name in CLASSES:
        per_class = _mapping(_mapping(section.get("per_class")).get(name))
        best = _mapping(per_class.get("best_f1"))
        average_precision = cell(per_class.get("average_precision"), 3)
        rows.append(
            MetricRow(
                name, (average_precision, cell(best.get("threshold"), 3), cell(best.get("f1"), 3))
            )
        )
    table = MetricTable(("AP", "Best threshold", "F1 there"), tuple(rows))
    return RankingView(curves, cell(section.get("mean_average_precision"), 3), table)


def fbeta_table(section: Any) -> tuple[MetricTable | None, str]:
    """Distance-matched F-beta per class, and a line stating beta and the distance rule."""
    if not isinstance(section, Mapping):
        return None, ""
    thresholds = _mapping(section.get("distance_thresholds"))
    per_class = {
        name: {
            **_mapping(_mapping(section.get("per_class")).get(name)),
            "within": thresholds.get(name),
        }
        for name in CLASSES
    }
    keys = (("within", 2), *COUNTS, *RATES, ("fbeta", 3))
    headers = ("Match within (voxels)", "TP", "FP", "FN", "Precision", "Recall", "F-beta")
    table = _class_table(
        per_class, headers, keys, ("all classes", _mapping(section.get("overall")))
    )
    beta, multiplier = cell(section.get("beta"), 2).text, cell(section.get("multiplier"), 2).text
    macro = cell(section.get("macro_fbeta"), 3).text
    settings = f"β = {beta}, match radius = {multiplier} × class radius; mean over classes {macro}"
    return table, settings


def bootstrap_settings(section: Any) -> str:
    """How the intervals were computed, e.g. "1000 resamples of the particles, seed 0"."""
    if not isinstance(section, Mapping):
        return "no bootstrap was run"
    confidence = finite_number(section.get("confidence"))
    share = f"{confidence * 100:g}% " if confidence is not None else ""
    resamples, seed = cell(section.get("resamples")).text, cell(section.get("seed")).text
    return f"{share}percentile intervals from {resamples} resamples of the particles (seed {seed})"


def added_metrics(result: Mapping[str, Any]) -> AddedMetrics:
    """The added sections of a result dict; missing or null sections become None."""
    fbeta, fbeta_line = fbeta_table(result.get("fbeta"))
    warnings = result.get("warnings") or ()
    return AddedMetrics(
        strict=strict_table(result.get("strict_classification")),
        orientation=orientation_table(result.get("orientation")),
        ranking=ranking_view(result.get("ranking")),
        fbeta=fbeta,
        fbeta_settings=fbeta_line,
        bootstrap_settings=bootstrap_settings(result.get("bootstrap")),
        warnings=tuple(str(warning) for warning in warnings),
    )
