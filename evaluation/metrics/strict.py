"""Strict classification: every prediction counts (as CZII and DeepFinder count).

Per class c, over all predictions labelled c: TP_c first hits on particles of class c;
FP_c everything else labelled c, split into background hits, surplus hits on particles
already hit, and first hits on particles of another class. FN_c = N_c - TP_c. Hits on
excluded particles (SHREC'21) take no part.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.classification import ClassScores, class_scores
from evaluation.metrics.matching import Hits
from evaluation.submission import Submission


@dataclass(frozen=True)
class StrictClassScores(ClassScores):
    """Class scores with the false positives broken down by cause."""

    fp_background: int
    fp_duplicate: int
    fp_misclassified: int


@dataclass(frozen=True)
class StrictClassification:
    """Per-class strict scores and their micro average over all classes."""

    per_class: dict[str, StrictClassScores]
    overall: ClassScores

    def to_dict(self) -> dict[str, object]:
        """``{"<class>": {tp, fp, fn, precision, recall, f1, fp_background, fp_duplicate,
        fp_misclassified}, ..., "overall": {tp, fp, fn, precision, recall, f1}}``."""
        document: dict[str, object] = dict(self.per_class)
        document["overall"] = self.overall
        return document


def strict_classification(
    ground_truth: GroundTruth, submission: Submission, hits: Hits
) -> StrictClassification:
    """Score every prediction against the class of what it hit."""
    size = len(ground_truth.class_names) + 1
    labels = submission.classes
    first = hits.is_first
    true_class = ground_truth.particles.classes[np.maximum(hits.particle, 0)]
    correct = first & (labels == true_class)

    def count(mask: np.ndarray) -> np.ndarray:
        return np.bincount(labels[mask], minlength=size)

    tp = count(correct)
    background = count(hits.particle < 0)
    duplicate = count(hits.counted & ~first)
    misclassified = count(first & ~correct)
    particles = np.bincount(ground_truth.particles.classes[ground_truth.counted], minlength=size)
    per_class = {}
    for index, name in enumerate(ground_truth.class_names, start=1):
        fp = int(background[index] + duplicate[index] + misclassified[index])
        scores = class_scores(int(tp[index]), fp, int(particles[index] - tp[index]))
        per_class[name] = StrictClassScores(
            **vars(scores),
            fp_background=int(background[index]),
            fp_duplicate=int(duplicate[index]),
            fp_misclassified=int(misclassified[index]),
        )
    total_tp = sum(s.tp for s in per_class.values())
    overall = class_scores(
        total_tp, sum(s.fp for s in per_class.values()), ground_truth.n_particles - total_tp
    )
    return StrictClassification(per_class, overall)
