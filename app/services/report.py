"""Turn the evaluator's result dict into what the report page shows.

The evaluator (`evaluation.score(...).to_dict()`) returns raw numbers, with None where a
metric is undefined. This module picks them out in the paper's order (Table 1: localization,
Table 2: per-class F1, Table 4: size groups), adds the metrics we report beyond SHREC'19, and
formats every number once, so templates only lay out text. Undefined values read "–".
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from app.services.report_added import AddedMetrics, added_metrics
from app.services.report_format import Cell, cell, finite_number, interval_text
from evaluation.classes import CLASSES, SIZE_GROUPS


@dataclass(frozen=True)
class Column:
    """One metric column: the result key, its short header and what it means."""

    key: str
    header: str
    description: str
    digits: int | None  # decimals shown; None for counts


# Table 1 of the paper, in its order; AD_first is our addition (the SHREC'20 definition).
LOCALIZATION_COLUMNS: tuple[Column, ...] = (
    Column("RR", "RR", "results reported", None),
    Column("TP", "TP", "true positives: unique particles found", None),
    Column("FP", "FP", "false positives: predictions on background", None),
    Column("FN", "FN", "false negatives: particles not found", None),
    Column("MH", "MH", "multiple hits: particles hit more than once", None),
    Column("RO", "RO", "results outside the volume (clamped)", None),
    Column("AD", "AD", "average distance of every hit to its particle centre (voxels)", 4),
    Column("AD_first", "AD first", "average distance of first hits only (voxels)", 4),
    Column("recall", "Recall", "TP / number of particles", 4),
    Column("precision", "Precision", "TP / RR", 4),
    Column("miss_rate", "Miss rate", "FN / number of particles", 4),
    Column("f1", "F1", "harmonic mean of precision and recall", 4),
)


@dataclass(frozen=True)
class ClassRow:
    """One class in a per-class table (Table 2, and the strict variant)."""

    name: str
    group: str
    tp: Cell
    fp: Cell
    fn: Cell
    precision: Cell
    recall: Cell
    f1: Cell


@dataclass(frozen=True)
class GroupRow:
    """One size group of Table 4: its classes, mean F1 and bootstrap interval."""

    name: str
    classes: tuple[str, ...]
    f1: Cell
    interval: str


@dataclass(frozen=True)
class ConfusionView:
    """The confusion matrix with its labels; rows are true classes, columns predictions."""

    labels: tuple[str, ...]
    matrix: tuple[tuple[int, ...], ...]


@dataclass(frozen=True)
class ReportView:
    """Everything the report page shows about one scored submission."""

    localization: tuple[tuple[Column, Cell], ...]
    particles: Cell
    f1_interval: str
    per_class: tuple[ClassRow, ...]
    size_groups: tuple[GroupRow, ...]
    confusion: ConfusionView | None
    added: AddedMetrics
    evaluator_version: str
    ground_truth_checksum: str
    file_format: str = "text"
    conversion: tuple[str, ...] = ()  # how the file was read: units, origin, angles
    warnings: tuple[str, ...] = ()
    # a test of several tomograms: each one's name, predictions and own Table 1
    per_tomogram: tuple[tuple[str, Cell, tuple[tuple[Column, Cell], ...]], ...] = ()

    @property
    def f1_by_class(self) -> dict[str, float | None]:
        """The raw per-class F1 values, for the bar chart."""
        return {row.name: _as_float(row.f1.value) for row in self.per_class}


def group_of_class() -> dict[str, str]:
    """Map each class name to its size group name (tiny, small, medium, large)."""
    return {name: group for group, members in SIZE_GROUPS.items() for name in members}


def _as_float(value: float | int | str | None) -> float | None:
    return None if value is None or isinstance(value, str) else float(value)


def _section(result: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    section = result.get(key)
    if not isinstance(section, Mapping):
        raise ValueError(f"result has no {key!r} section")
    return section


def class_rows(per_class: Mapping[str, Any]) -> tuple[ClassRow, ...]:
    """Rows of a per-class table, in the canonical class order; absent classes read "–"."""
    groups = group_of_class()
    rows = []
    for name in CLASSES:
        metrics = per_class.get(name) or {}
        rows.append(
            ClassRow(
                name=name,
                group=groups.get(name, ""),
                tp=cell(metrics.get("tp")),
                fp=cell(metrics.get("fp")),
                fn=cell(metrics.get("fn")),
                precision=cell(metrics.get("precision"), 3),
                recall=cell(metrics.get("recall"), 3),
                f1=cell(metrics.get("f1"), 3),
            )
        )
    return tuple(rows)


def _confusion(classification: Mapping[str, Any]) -> ConfusionView | None:
    confusion = classification.get("confusion_matrix")
    if not isinstance(confusion, Mapping):
        return None
    labels = tuple(str(label) for label in confusion["labels"])
    matrix: Sequence[Sequence[int]] = confusion["matrix"]
    return ConfusionView(labels, tuple(tuple(int(n) for n in row) for row in matrix))


def build_report(result: Mapping[str, Any]) -> ReportView:
    """Build the report page's view model from the evaluator's result dict.

    Raises:
        ValueError: when `result` lacks the `localization` or `classification` section.
    """
    localization = _section(result, "localization")
    classification = _section(result, "classification")
    bootstrap = result.get("bootstrap") or {}
    group_intervals = bootstrap.get("size_groups") or {}
    size_groups = result.get("size_groups") or {}
    return ReportView(
        localization=tuple(
            (column, cell(localization.get(column.key), column.digits))
            for column in LOCALIZATION_COLUMNS
        ),
        particles=cell(localization.get("N")),
        f1_interval=interval_text(bootstrap.get("localization_f1")),
        per_class=class_rows(classification),
        size_groups=tuple(
            GroupRow(
                name=group,
                classes=tuple(members),
                f1=cell(size_groups.get(group), 3),
                interval=interval_text(group_intervals.get(group)),
            )
            for group, members in SIZE_GROUPS.items()
        ),
        confusion=_confusion(classification),
        added=added_metrics(result),
        evaluator_version=str(result.get("evaluator_version") or "–"),
        file_format=str((result.get("submission") or {}).get("format") or "text"),
        conversion=tuple(str(n) for n in (result.get("submission") or {}).get("conversion") or ()),
        warnings=tuple(str(w) for w in result.get("warnings") or ()),
        ground_truth_checksum=str(result.get("ground_truth_checksum") or "–"),
        per_tomogram=tuple(
            (
                str(name),
                cell(own.get("predictions")),
                tuple(
                    (column, cell((own.get("localization") or {}).get(column.key), column.digits))
                    for column in LOCALIZATION_COLUMNS
                ),
            )
            for name, own in (result.get("per_tomogram") or {}).items()
            if isinstance(own, Mapping)
        ),
    )


@dataclass(frozen=True)
class CziiTypeRow:
    """One particle type of a CZII result: its table entry and its summed counts."""

    name: str
    weight: Cell
    radius: Cell
    tp: Cell
    fp: Cell
    fn: Cell
    precision: Cell
    recall: Cell
    fbeta: Cell


@dataclass(frozen=True)
class CziiReportView:
    """What the report page shows of a result scored with the CZII profile."""

    score: Cell
    beta: Cell
    multiplier: Cell
    experiments: tuple[str, ...]
    types: tuple[CziiTypeRow, ...]
    evaluator_version: str
    ground_truth_checksum: str


def _table_value(value: Any) -> Cell:
    """A table entry (weight, radius, beta, multiplier) as written, e.g. 0.5 or 60."""
    number = finite_number(value)
    return cell(None) if number is None else Cell(f"{number:g}", float(number))


def build_czii_report(result: Mapping[str, Any]) -> CziiReportView | None:
    """The report of a CZII result (real-data tracks), or None for any other result."""
    section = result.get("czii")
    if not isinstance(section, Mapping):
        return None
    weights = section.get("weights") or {}
    radii = section.get("radii") or {}
    return CziiReportView(
        score=cell(section.get("score"), 4),
        beta=_table_value(section.get("beta")),
        multiplier=_table_value(section.get("multiplier")),
        experiments=tuple(str(name) for name in section.get("experiments") or ()),
        types=tuple(
            CziiTypeRow(
                name=str(name),
                weight=_table_value(weights.get(name)),
                radius=_table_value(radii.get(name)),
                tp=cell(counts.get("tp")),
                fp=cell(counts.get("fp")),
                fn=cell(counts.get("fn")),
                precision=cell(counts.get("precision"), 4),
                recall=cell(counts.get("recall"), 4),
                fbeta=cell(counts.get("fbeta"), 4),
            )
            for name, counts in (section.get("per_class") or {}).items()
            if isinstance(counts, Mapping)
        ),
        evaluator_version=str(result.get("evaluator_version") or "–"),
        ground_truth_checksum=str(result.get("ground_truth_checksum") or "–"),
    )


def headline_of(metrics: Mapping[str, Any]) -> Any:
    """The figure a result is known by: localization F1, or the CZII score of a real-data
    track's result (None when neither is there)."""
    localization = metrics.get("localization")
    if isinstance(localization, Mapping):
        return localization.get("f1")
    section = metrics.get("czii")
    return section.get("score") if isinstance(section, Mapping) else None
