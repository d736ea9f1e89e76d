"""Classification (SHREC'19, Tables 2 and 4): first-hit classes, confusion matrix, F1.

Each counted particle takes the class of the first prediction (in file order) that hit
it, or "none". Background false positives take no part. Per class c: TP_c particles of c
predicted c, FP_c particles of another class predicted c, FN_c particles of c predicted
otherwise; F1_c = 2 TP_c / (2 TP_c + FP_c + FN_c), the per-class F1 of pycm that the
official script printed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evaluation.classes import SIZE_GROUPS
from evaluation.ground_truth import GroundTruth
from evaluation.metrics.matching import Hits
from evaluation.submission import Submission


@dataclass(frozen=True)
class ClassScores:
    """Counts and scores of one class; ratios are None when their denominator is 0."""

    tp: int
    fp: int
    fn: int
    precision: float | None
    recall: float | None
    f1: float | None


@dataclass(frozen=True)
class Classification:
    """Per-class scores and the confusion matrix (rows true, columns predicted, "none" last)."""

    per_class: dict[str, ClassScores]
    labels: tuple[str, ...]
    matrix: npt.NDArray[np.int64]

    def to_dict(self) -> dict[str, object]:
        """``{"<class>": {tp, fp, fn, precision, recall, f1}, ..., "confusion_matrix":
        {"labels": [..., "none"], "matrix": rows true, columns predicted}}``."""
        document: dict[str, object] = dict(self.per_class)
        document["confusion_matrix"] = {"labels": list(self.labels), "matrix": self.matrix}
        return document


def class_scores(tp: int, fp: int, fn: int) -> ClassScores:
    """Precision, recall and F1 = 2TP / (2TP + FP + FN) from counts."""
    return ClassScores(
        tp=tp,
        fp=fp,
        fn=fn,
        precision=_ratio(tp, tp + fp),
        recall=_ratio(tp, tp + fn),
        f1=_ratio(2 * tp, 2 * tp + fp + fn),
    )


def predicted_classes(
    ground_truth: GroundTruth, submission: Submission, hits: Hits
) -> npt.NDArray[np.int64]:
    """The class each particle was predicted as (its first hit's), 0 for none.

    A first hit labelled with an excluded class (SHREC'21) counts as "none".
    """
    predicted = np.zeros(len(ground_truth.particles), dtype=np.int64)
    found = hits.first_hit >= 0
    predicted[found] = submission.classes[hits.first_hit[found]]
    excluded = [ground_truth.class_names.index(n) + 1 for n in ground_truth.excluded_classes]
    predicted[np.isin(predicted, excluded)] = 0
    return predicted


def classification(ground_truth: GroundTruth, predicted: npt.NDArray[np.int64]) -> Classification:
    """Build the confusion matrix of the counted particles and score every class."""
    n_classes = len(ground_truth.class_names)
    true = ground_truth.particles.classes[ground_truth.counted]
    pairs = true * (n_classes + 1) + predicted[ground_truth.counted]
    square = np.bincount(pairs, minlength=(n_classes + 1) ** 2).reshape(n_classes + 1, -1)
    order = [*range(1, n_classes + 1), 0]  # index 0 ("none") goes last
    matrix = square[np.ix_(order, order)].astype(np.int64)
    per_class = {}
    for row, name in enumerate(ground_truth.class_names):
        tp = int(matrix[row, row])
        per_class[name] = class_scores(
            tp, int(matrix[:, row].sum()) - tp, int(matrix[row, :].sum()) - tp
        )
    return Classification(per_class, (*ground_truth.class_names, "none"), matrix)


def size_group_f1(f1_by_class: Mapping[str, float | None]) -> dict[str, float | None]:
    """Table 4: the mean F1 of each size group's classes.

    Classes whose F1 is undefined (None: no particles and no predictions) or absent from
    ``f1_by_class`` are left out of the mean; a group with none left is None.
    """
    groups: dict[str, float | None] = {}
    for group, members in SIZE_GROUPS.items():
        values = [f1_by_class[name] for name in members if f1_by_class.get(name) is not None]
        groups[group] = sum(v for v in values if v is not None) / len(values) if values else None
    return groups


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None
