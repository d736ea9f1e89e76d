"""Localization (SHREC'19, Table 1): RR, TP, FP, FN, MH, RO, AD, recall, precision, F1."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from evaluation.ground_truth import GroundTruth
from evaluation.metrics.matching import Hits

# the columns of the paper's Table 1, in its order (keys of the result's `localization`)
TABLE1_KEYS: tuple[str, ...] = (
    "RR",
    "TP",
    "FP",
    "FN",
    "MH",
    "RO",
    "AD",
    "recall",
    "precision",
    "miss_rate",
    "f1",
)


@dataclass(frozen=True)
class Localization:
    """Table 1 of the paper for one submission (plus N, AD variants and ignored hits).

    Identity: ``RR == FP + TP + (surplus hits) + ignored``.
    """

    RR: int  # predictions (results reported)
    TP: int  # particles hit at least once
    FP: int  # predictions on background
    FN: int  # particles never hit
    MH: int  # particles hit more than once
    RO: int  # predictions that clamping moved into the volume
    AD: float | None  # the profile's mean distance (all hits; first hits for SHREC'20/'21)
    AD_first: float | None  # mean distance over the first hit of each found particle
    AD_all: float | None  # mean distance over every hit
    recall: float
    precision: float
    miss_rate: float
    f1: float
    N: int  # particles that count
    ignored: int  # predictions on particles of excluded classes (SHREC'21)


def localization(ground_truth: GroundTruth, hits: Hits) -> Localization:
    """Compute the localization figures from the hit look-up."""
    n = ground_truth.n_particles
    counts = hits.hit_count[ground_truth.counted]
    rr = len(hits.particle)
    tp = int(np.count_nonzero(counts))
    # distance of every counted hit to its particle's centre; first hits are a subset
    hit_rows = np.flatnonzero(hits.counted)
    offsets = hits.voxels[hit_rows] - ground_truth.particles.centres[hits.particle[hit_rows]]
    distances = np.zeros(rr)
    distances[hit_rows] = np.sqrt(np.einsum("ij,ij->i", offsets, offsets))
    ad_all = _mean(distances[hit_rows])
    ad_first = _mean(distances[hits.first_hit[hits.first_hit >= 0]])
    return Localization(
        RR=rr,
        TP=tp,
        FP=int(np.count_nonzero(hits.particle < 0)),
        FN=n - tp,
        MH=int(np.count_nonzero(counts > 1)),
        RO=int(np.count_nonzero(hits.outside)),
        AD=ad_first if ground_truth.ad_first_hits_only else ad_all,
        AD_first=ad_first,
        AD_all=ad_all,
        recall=tp / n,
        precision=tp / rr,
        miss_rate=(n - tp) / n,
        f1=harmonic_f1(tp / rr, tp / n),
        N=n,
        ignored=int(np.count_nonzero(hits.ignored)),
    )


def harmonic_f1(precision: float, recall: float) -> float:
    """The F1 score 2PR/(P+R) of a precision and a recall (0 when both are 0)."""
    total = precision + recall
    return 0.0 if total == 0 else 2 * precision * recall / total


def _mean(values: np.ndarray) -> float | None:
    return float(values.mean()) if len(values) else None
