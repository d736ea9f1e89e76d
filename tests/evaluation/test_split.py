"""The public/private split: hand-made cases whose parts are counted on paper, exactness
(the parts add up to the whole), the seeded partition holding every class in both parts."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import CLASSES, GroundTruth, GroundTruthError, Submission, score
from evaluation.ground_truth import Particles
from evaluation.split import (
    SpatialPartition,
    particle_voxels,
    parts_by_tomogram,
    spatial_partition,
    split_ground_truth,
    split_with,
)

SHAPE = (8, 8, 16)  # z, y, x: with 8-voxel blocks, x 0..7 is block 0 and x 8..15 block 1
# block index sum parity 0 is public: x < 8 public, x >= 8 private (y, z stay in block 0)
HALVES = SpatialPartition(block=8, offset=(0, 0, 0), public_parity=0)


def _truth(particles: list[tuple[str, int, int, int]], radius: int = 1) -> GroundTruth:
    """Cubes of side 2·radius+1 labelled 1..n around the given centres (class, x, y, z)."""
    hitbox = np.zeros(SHAPE, dtype=np.int16)
    for label, (_, x, y, z) in enumerate(particles, start=1):
        hitbox[
            max(z - radius, 0) : z + radius + 1,
            max(y - radius, 0) : y + radius + 1,
            max(x - radius, 0) : x + radius + 1,
        ] = label
    classes = np.array([CLASSES.index(name) + 1 for name, *_ in particles])
    centres = np.array([[x, y, z] for _, x, y, z in particles], dtype=np.float64)
    return GroundTruth(
        profile="native",
        class_names=CLASSES,
        particles=Particles(classes, centres, None, "zxz"),
        hitbox=hitbox,
    )


def _picks(rows: list[tuple[str, float, float, float]]) -> Submission:
    return Submission(
        classes=np.array([CLASSES.index(name) + 1 for name, *_ in rows]),
        coords=np.array([[x, y, z] for _, x, y, z in rows], dtype=np.float64),
        angles=None,
        scores=None,
        line_numbers=np.arange(1, len(rows) + 1),
    )


def test_each_part_is_counted_as_on_paper() -> None:
    truth = _truth(
        [
            ("1bxn", 2, 4, 4),  # public
            ("1bxn", 12, 4, 4),  # private
            ("4b4t", 5, 4, 4),  # public
            ("4b4t", 8, 4, 4),  # private: its cube reaches x = 7, a public block
        ]
    )
    picks = _picks(
        [
            ("1bxn", 2, 4, 4),  # public TP
            ("1bxn", 2.4, 4, 4),  # public: a second hit (MH)
            ("1bxn", 12, 4, 4),  # private TP
            ("4b4t", 7, 4, 4),  # in a public block, on the private particle 4: private TP
            ("3qm1", 1, 1, 1),  # public background FP
            ("3qm1", 14, 1, 1),  # private background FP
            ("3qm1", 30, 1, 1),  # clamped to x = 15 (RO): private background FP
        ]
    )
    split = split_with(truth, HALVES)
    assert split.public_particles.tolist() == [True, False, True, False]
    assert split.prediction_parts(picks).tolist() == [True, True, False, False, True, False, False]
    parts = split.score(picks, bootstrap=0)
    public, private = parts["public"]["localization"], parts["private"]["localization"]
    assert (public["RR"], public["TP"], public["FP"], public["FN"], public["MH"]) == (3, 1, 1, 1, 1)
    assert (private["RR"], private["TP"], private["FP"], private["FN"]) == (4, 2, 2, 0)
    assert (public["RO"], private["RO"]) == (0, 1)
    assert (public["N"], private["N"]) == (2, 2)
    assert parts["public"]["split"] == "public"
    assert parts["private"]["classification"]["4b4t"]["tp"] == 1
    assert parts["public"]["classification"]["4b4t"]["fn"] == 1
    whole = score(truth, picks, bootstrap=0).localization
    for key in ("RR", "TP", "FP", "FN", "MH", "RO"):
        assert public[key] + private[key] == getattr(whole, key), key


def test_a_part_without_predictions_scores_as_an_empty_file() -> None:
    truth = _truth([("1bxn", 2, 4, 4), ("1bxn", 12, 4, 4)])
    parts = split_with(truth, HALVES).score(_picks([("1bxn", 2, 4, 4)]), bootstrap=0)
    private = parts["private"]
    assert private["submission"]["predictions"] == 0
    located = private["localization"]
    assert (located["RR"], located["TP"], located["FP"], located["FN"]) == (0, 0, 0, 1)
    assert located["f1"] == 0.0
    assert private["strict_classification"]["overall"]["fp"] == 0
    assert private["strict_classification"]["1bxn"]["fp_background"] == 0
    assert private["fbeta"]["overall"]["fp"] == 0
    assert parts["public"]["localization"]["TP"] == 1


@st.composite
def scattered(draw: st.DrawFn) -> tuple[GroundTruth, Submission, int]:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n = draw(st.integers(2, 12))
    names = [CLASSES[i] for i in rng.integers(0, 12, size=n)]
    centres = rng.integers((1, 1, 1), (15, 7, 7), size=(n, 3))
    truth = _truth([(name, *map(int, c)) for name, c in zip(names, centres, strict=True)])
    count = draw(st.integers(1, 30))
    picks = _picks(
        [
            (CLASSES[int(k)], *map(float, xyz))
            for k, xyz in zip(
                rng.integers(0, 12, size=count),
                rng.uniform(-3, 18, size=(count, 3)),
                strict=True,
            )
        ]
    )
    return truth, picks, draw(st.integers(0, 2**31))


@given(scattered())
@settings(max_examples=60, deadline=None)
def test_the_parts_add_up_to_the_whole(case: tuple[GroundTruth, Submission, int]) -> None:
    truth, picks, seed = case
    partition = spatial_partition(truth, seed, blocks_per_side=2)
    public = partition.is_public(particle_voxels(truth))
    if public.all() or not public.any():  # a part without particles is refused when built
        with pytest.raises(GroundTruthError, match="no particles to score"):
            split_with(truth, partition)
        return
    parts = split_ground_truth(truth, seed, blocks_per_side=2)
    documents = parts.score(picks, bootstrap=0)
    whole = score(truth, picks, bootstrap=0)
    for key in ("RR", "TP", "FP", "FN", "MH", "RO"):
        total = sum(documents[part]["localization"][key] for part in ("public", "private"))
        assert total == getattr(whole.localization, key), key
    for name in CLASSES:
        for count in ("tp", "fp", "fn"):
            total = sum(documents[p]["classification"][name][count] for p in ("public", "private"))
            assert total == getattr(whole.classification.per_class[name], count)


def test_the_seeded_partition_holds_every_class_in_both_parts() -> None:
    # four particles of each class on distinct voxels drawn at random
    voxels = np.random.default_rng(7).permutation(np.argwhere(np.ones(SHAPE)))[: 4 * 12]
    rows = [
        (CLASSES[i // 4], int(x), int(y), int(z)) for i, (z, y, x) in enumerate(voxels.tolist())
    ]
    truth = _truth(rows, radius=0)
    first = spatial_partition(truth, seed=11, blocks_per_side=2)
    assert first == spatial_partition(truth, seed=11, blocks_per_side=2)  # fixed by the seed
    split = split_with(truth, first)
    for part in ("public", "private"):
        held = {CLASSES[c - 1] for c in split.parts[part].particles.classes}
        assert held == set(CLASSES), part
    others = {spatial_partition(truth, seed=s, blocks_per_side=2) for s in range(20)}
    assert len(others) > 1  # another secret, another partition


def test_several_test_tomograms_split_by_tomogram() -> None:
    parts = parts_by_tomogram(["model_8", "model_9", "model_10"], seed=3)
    assert sorted(parts.values()).count("public") == 1
    assert parts == parts_by_tomogram(["model_8", "model_9", "model_10"], seed=3)
    with pytest.raises(ValueError, match="two or more"):
        parts_by_tomogram(["model_9"], seed=3)
