"""A public and a private part of the hidden test: a seeded 3-D checkerboard of one test
tomogram, or whole tomograms of several.

A benchmark that shows every upload's score on the whole hidden test can be tuned to it over
many uploads. So the test is cut in two: the live leaderboard ranks by the public part, the
private part stays hidden until the phase closes and then decides the official ranking.

With one test tomogram the cut is spatial: the hitbox is tiled with cubic blocks, and the
blocks are coloured like a 3-D checkerboard (a block's part is the parity of the sum of its
indices). The grid's offset and which colour is public come from a seed (the service derives
it from the version's secret, so participants do not know where the parts lie); among the
candidate grids the seed draws, the first is kept in which both parts hold every class that
has two or more particles.

The cut is exact, every prediction and particle lands in exactly one part:

* a particle belongs to the part of the block holding its (rounded) centre;
* a prediction that hits a particle belongs to that particle's part (so a particle that
  straddles two blocks is found from either side), any other prediction to the part of the
  block of the voxel it is looked up at (rounded, shifted, clamped, as the hitbox rule).

Each part is scored as a tomogram of its own: its particles keep their hitbox voxels (the
other part's are cleared and the labels renumbered), so RR, TP, FP, FN, MH and RO of the two
parts add up to those of the whole test. Several test tomograms split by tomogram instead
(`split_by_tomogram`): `parts_by_tomogram` says which part each one is, and each part is
the stack of its tomograms (evaluation/scoring.py, `HiddenTest`).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from evaluation.ground_truth import GroundTruth, Particles
from evaluation.metrics.matching import match
from evaluation.scoring import HiddenTest, score, score_with_f1_samples, stack_tomograms
from evaluation.submission import Submission

Part = Literal["public", "private"]
PARTS: tuple[Part, Part] = ("public", "private")
# blocks along the shortest side of the volume: small enough that both parts sample the
# whole tomogram, large enough that a particle seldom straddles two blocks
BLOCKS_PER_SIDE = 4
CANDIDATES = 64


@dataclass(frozen=True)
class SpatialPartition:
    """A checkerboard of cubic blocks of `block` voxels, its grid shifted by `offset` (x, y,
    z voxels); blocks whose index sum has the parity `public_parity` are public."""

    block: int
    offset: tuple[int, int, int]
    public_parity: int

    def is_public(self, voxels: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """(n,) whether each voxel (n x 3, x y z) lies in a public block."""
        index = (np.asarray(voxels, dtype=np.int64) + np.asarray(self.offset)) // self.block
        return np.asarray(index.sum(axis=1) % 2 == self.public_parity)


def particle_voxels(ground_truth: GroundTruth) -> npt.NDArray[np.int64]:
    """Each particle's centre as the voxel (x, y, z) it lies in, clamped into the volume."""
    upper = np.asarray(ground_truth.shape[::-1], dtype=np.float64) - 1
    centres = np.minimum(np.maximum(np.rint(ground_truth.particles.centres), 0.0), upper)
    return centres.astype(np.int64)


def _coverage(ground_truth: GroundTruth, public: npt.NDArray[np.bool_]) -> tuple[int, int]:
    """(classes with 2+ particles present in both parts, the smaller part's particle count)."""
    counted = ground_truth.counted
    classes = ground_truth.particles.classes
    both = 0
    for label in np.unique(classes[counted]):
        mine = counted & (classes == label)
        if np.count_nonzero(mine) >= 2 and public[mine].any() and (~public[mine]).any():
            both += 1
    return both, int(min(np.count_nonzero(counted & public), np.count_nonzero(counted & ~public)))


def spatial_partition(
    ground_truth: GroundTruth, seed: int, *, blocks_per_side: int = BLOCKS_PER_SIDE
) -> SpatialPartition:
    """The seeded checkerboard of this ground truth (the same seed, the same partition).

    Candidates are drawn from `seed`; the first in which both parts hold every class with
    two or more particles wins, else the one covering the most such classes (then the most
    balanced). Both parts always hold at least one particle when there are two or more.

    Raises:
        ValueError: if `blocks_per_side` is below 2.
    """
    if blocks_per_side < 2:
        raise ValueError("blocks_per_side must be 2 or more")
    block = max(1, math.ceil(min(ground_truth.shape) / blocks_per_side))
    voxels = particle_voxels(ground_truth)
    classes = ground_truth.particles.classes[ground_truth.counted]
    wanted = sum(1 for label in np.unique(classes) if np.count_nonzero(classes == label) >= 2)
    rng = np.random.default_rng(seed)
    best: tuple[tuple[int, int], SpatialPartition] | None = None
    for _ in range(CANDIDATES):
        offset = tuple(int(v) for v in rng.integers(0, block, size=3))
        candidate = SpatialPartition(block, (offset[0], offset[1], offset[2]), int(rng.integers(2)))
        coverage = _coverage(ground_truth, candidate.is_public(voxels))
        if coverage[0] == wanted and coverage[1] > 0:
            return candidate
        if best is None or coverage > best[0]:
            best = (coverage, candidate)
    assert best is not None
    return best[1]


def _part_ground_truth(
    ground_truth: GroundTruth, keep: npt.NDArray[np.bool_], part: Part
) -> GroundTruth:
    """The ground truth of the kept particles alone: the others' voxels cleared, labels
    renumbered 1..n in list order."""
    indices = np.flatnonzero(keep)
    table = np.zeros(len(ground_truth.particles) + 1, dtype=ground_truth.hitbox.dtype)
    table[indices + 1] = np.arange(1, len(indices) + 1, dtype=ground_truth.hitbox.dtype)
    particles = ground_truth.particles
    subset = Particles(
        classes=particles.classes[indices],
        centres=particles.centres[indices],
        angles=None if particles.angles is None else particles.angles[indices],
        angle_convention=particles.angle_convention,
    )
    return dataclasses.replace(
        ground_truth,
        particles=subset,
        hitbox=table[np.asarray(ground_truth.hitbox)],
        scored=ground_truth.counted[indices],
        source=f"{ground_truth.source or 'ground truth'} ({part} part)",
    )


@dataclass(frozen=True, eq=False)
class SplitGroundTruth:
    """A ground truth cut in a public and a private part; build once, score many."""

    whole: GroundTruth
    partition: SpatialPartition
    public_particles: npt.NDArray[np.bool_]
    parts: dict[Part, GroundTruth]

    def prediction_parts(self, submission: Submission) -> npt.NDArray[np.bool_]:
        """(RR,) whether each prediction belongs to the public part."""
        hits = match(self.whole, submission)
        public = self.partition.is_public(hits.voxels)
        on_particle = hits.particle >= 0
        public[on_particle] = self.public_particles[hits.particle[on_particle]]
        return np.asarray(public)

    def score(
        self, submission: Submission, *, samples: bool = False, **options: Any
    ) -> dict[Part, dict[str, Any]]:
        """Each part's result document (`score`'s options apply to both), marked with
        `"split"`. A part that received no prediction is scored as an empty file. With
        `samples`, each document also carries `bootstrap_f1_samples`: the localization F1 on
        each shared bootstrap resample (evaluation/paired.py), for paired comparisons."""
        from evaluation.paired import rounded

        resamples = int(options.get("bootstrap", 1000))
        public = self.prediction_parts(submission)
        results: dict[Part, dict[str, Any]] = {}
        chosen: tuple[tuple[Part, npt.NDArray[np.bool_]], ...] = (
            ("public", public),
            ("private", ~public),
        )
        for part, keep in chosen:
            truth = self.parts[part]
            values: list[float] | None = None
            if keep.any():
                result, found = score_with_f1_samples(truth, submission.select(keep), **options)
                document = result.to_dict()
                if samples and found is not None:
                    values = rounded(found)
            else:
                document = score_empty(truth, submission, **options)
                values = [0.0] * resamples if samples and resamples else None
            results[part] = {**document, "split": part}
            if values is not None:
                results[part]["bootstrap_f1_samples"] = values
        return results


def split_ground_truth(
    ground_truth: GroundTruth, seed: int, *, blocks_per_side: int = BLOCKS_PER_SIDE
) -> SplitGroundTruth:
    """Cut `ground_truth` with its seeded checkerboard (`spatial_partition`).

    Raises:
        GroundTruthError: if a part would hold no particle to score (a test of one particle).
    """
    partition = spatial_partition(ground_truth, seed, blocks_per_side=blocks_per_side)
    return split_with(ground_truth, partition)


def split_with(ground_truth: GroundTruth, partition: SpatialPartition) -> SplitGroundTruth:
    """Cut `ground_truth` with a given partition (hand-made cases, tests).

    Raises:
        GroundTruthError: if a part would hold no particle to score.
    """
    public = partition.is_public(particle_voxels(ground_truth))
    parts: dict[Part, GroundTruth] = {
        "public": _part_ground_truth(ground_truth, public, "public"),
        "private": _part_ground_truth(ground_truth, ~public, "private"),
    }
    return SplitGroundTruth(ground_truth, partition, public, parts)


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def score_empty(ground_truth: GroundTruth, like: Submission, **options: Any) -> dict[str, Any]:
    """The document of a part that received no prediction. The evaluator refuses empty files,
    so one pick on a background voxel is scored and taken back out: it is one background
    false positive of its class in the localization, strict and F-beta counts, and nothing
    anywhere else (background picks take no part in the classification)."""
    background = np.argwhere(np.asarray(ground_truth.hitbox) == 0)
    z, y, x = (int(v) for v in background[0]) if len(background) else (0, 0, 0)
    offset = ground_truth.submission_offset
    pick = dataclasses.replace(
        like,
        classes=like.classes[:1],
        coords=np.asarray([[x + offset[0], y + offset[1], z + offset[2]]], dtype=np.float64),
        angles=None,
        scores=None,
        line_numbers=like.line_numbers[:1],
        tomograms=None,
    )
    document = score(ground_truth, pick, **options).to_dict()
    name = ground_truth.class_names[int(like.classes[0]) - 1]
    document["submission"]["predictions"] = 0
    document["warnings"] = []
    located = document["localization"]
    located.update(RR=0, FP=0, RO=0, precision=None)
    strict = document["strict_classification"]
    for entry in (strict.get(name), strict["overall"]):
        if entry is not None:
            entry["fp"] -= 1
            if "fp_background" in entry:  # per class; the pooled entry has no breakdown
                entry["fp_background"] -= 1
            entry["precision"] = _ratio(entry["tp"], entry["tp"] + entry["fp"])
            entry["f1"] = _ratio(2 * entry["tp"], 2 * entry["tp"] + entry["fp"] + entry["fn"])
    fbeta = document["fbeta"]
    weight = fbeta["beta"] ** 2
    for entry in (fbeta["per_class"].get(name), fbeta["overall"]):
        if entry is not None:
            entry["fp"] -= 1
            entry["precision"] = _ratio(entry["tp"], entry["tp"] + entry["fp"])
            top = (1 + weight) * entry["tp"]
            entry["fbeta"] = _ratio(top, top + weight * entry["fn"] + entry["fp"])
    defined = [e["fbeta"] for e in fbeta["per_class"].values() if e["fbeta"] is not None]
    fbeta["macro_fbeta"] = sum(defined) / len(defined) if defined else None
    return document


def parts_by_tomogram(names: Sequence[str], seed: int) -> dict[str, Part]:
    """With two or more test tomograms, each is wholly public or private: a seeded shuffle,
    the first half (rounded down, at least one) public."""
    if len(names) < 2:
        raise ValueError("splitting by tomogram needs two or more test tomograms")
    order = list(np.random.default_rng(seed).permutation(len(names)))
    public = set(order[: max(1, len(names) // 2)])
    return {name: ("public" if i in public else "private") for i, name in enumerate(names)}


@dataclass(frozen=True, eq=False)
class TomogramSplit:
    """A hidden test of two or more tomograms cut by tomogram (`parts_by_tomogram`): each
    part is the stack of its tomograms; a prediction belongs to its tomogram's part."""

    whole: HiddenTest
    part_of: dict[str, Part]
    parts: dict[Part, HiddenTest]

    def score(
        self, submission: Submission, *, samples: bool = False, **options: Any
    ) -> dict[Part, dict[str, Any]]:
        """Each part's result document, as `SplitGroundTruth.score` gives them."""
        from evaluation.paired import rounded

        resamples = int(options.get("bootstrap", 1000))
        self.whole.place(submission)  # checks the tomogram names
        assert submission.tomograms is not None
        public_names = [name for name, part in self.part_of.items() if part == "public"]
        public = np.isin(submission.tomograms, np.asarray(public_names, dtype=np.str_))
        results: dict[Part, dict[str, Any]] = {}
        chosen: tuple[tuple[Part, npt.NDArray[np.bool_]], ...] = (
            ("public", public),
            ("private", ~public),
        )
        for part, keep in chosen:
            hidden = self.parts[part]
            values: list[float] | None = None
            if keep.any():
                result, found = score_with_f1_samples(hidden, submission.select(keep), **options)
                document = result.to_dict()
                if samples and found is not None:
                    values = rounded(found)
            else:
                document = score_empty(hidden.whole, submission, **options)
                values = [0.0] * resamples if samples and resamples else None
            results[part] = {**document, "split": part}
            if values is not None:
                results[part]["bootstrap_f1_samples"] = values
        return results


def split_by_tomogram(hidden: HiddenTest, seed: int) -> TomogramSplit:
    """Cut a test of two or more tomograms by tomogram (the seeded `parts_by_tomogram`).

    Raises:
        ValueError: a test of one tomogram (cut it with `split_ground_truth`).
    """
    part_of = parts_by_tomogram(hidden.names, seed)
    parts: dict[Part, HiddenTest] = {}
    for part in PARTS:
        parts[part] = stack_tomograms(
            {name: hidden.ground_truth(name) for name in hidden.names if part_of[name] == part}
        )
    return TomogramSplit(hidden, part_of, parts)
