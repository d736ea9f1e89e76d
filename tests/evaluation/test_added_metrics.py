"""The metrics added beyond SHREC'19 (docs/evaluation.md), with hand-computed expectations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from evaluation import GroundTruth, load_ground_truth, parse_submission, score
from evaluation.metrics.orientation import angular_errors, rotations
from tests.evaluation.helpers import memory_truth, native_truth, picks, small_volume


@pytest.fixture
def truth(tmp_path: Path) -> GroundTruth:
    hitbox, lines = small_volume()  # 1: 1bxn, 2: 3qm1, 3: 4d8q, 4: 1s3x
    return native_truth(tmp_path / "gt", hitbox, lines)


# ---- strict classification ---------------------------------------------------------------


def test_strict_classification_counts_every_prediction(truth: GroundTruth) -> None:
    result = score(
        truth,
        picks(
            "1bxn 2 2 2",  # first hit on the 1bxn particle: TP
            "1bxn 2 2 3",  # surplus hit on it: FP (duplicate)
            "3qm1 0 0 0",  # background: FP
            "1s3x 7 5 3",  # first hit on the 3qm1 particle, wrong class: FP (misclassified)
            "3qm1 7 5 3",  # surplus hit on the 3qm1 particle: FP (duplicate)
        ),
    )
    strict = result.strict_classification.per_class
    bxn, qm1, s3x, d8q = strict["1bxn"], strict["3qm1"], strict["1s3x"], strict["4d8q"]
    assert (bxn.tp, bxn.fp, bxn.fn, bxn.fp_duplicate) == (1, 1, 0, 1)
    assert (bxn.precision, bxn.recall) == (0.5, 1.0)
    assert bxn.f1 == pytest.approx(2 / 3)
    assert (qm1.tp, qm1.fp, qm1.fn, qm1.fp_background, qm1.fp_duplicate) == (0, 2, 1, 1, 1)
    assert (s3x.tp, s3x.fp, s3x.fn, s3x.fp_misclassified) == (0, 1, 1, 1)
    assert (d8q.tp, d8q.fp, d8q.fn, d8q.precision, d8q.f1) == (0, 0, 1, None, 0.0)
    overall = result.strict_classification.overall
    assert (overall.tp, overall.fp, overall.fn) == (1, 4, 3)
    assert overall.f1 == pytest.approx(2 / 9)
    # SHREC'19 classification of the same file ignores the background and surplus picks
    assert result.classification.per_class["1bxn"].f1 == 1.0
    document = result.to_dict()["strict_classification"]
    assert document["1bxn"]["fp_duplicate"] == 1
    assert document["overall"]["tp"] == 1


# ---- orientation --------------------------------------------------------------------------


def test_orientation_errors_of_first_hits(truth: GroundTruth) -> None:
    # list angles: 1bxn (0, 0, 0), 3qm1 (10, 20, 30), 4d8q (0, 90, 0)
    result = score(
        truth,
        picks(
            "1bxn 2 2 2 90 0 0",  # Rz(90) against the identity: 90°
            "1bxn 2 2 2 0 0 0",  # a surplus hit: not a first hit, not counted
            "3qm1 7 5 3 10 20 30",  # exact: 0°
            "4d8q 9 7 5 180 90 180",  # Rz(180) Rx(90) Rz(180) = Rx(-90), against Rx(90): 180°
        ),
    )
    orientation = result.orientation
    assert orientation is not None
    assert orientation.count == 3
    assert orientation.mean == pytest.approx(90.0)
    assert orientation.median == pytest.approx(90.0)
    assert orientation.per_class["1bxn"].mean == pytest.approx(90.0)
    assert orientation.per_class["3qm1"].mean == pytest.approx(0.0, abs=1e-6)
    assert orientation.per_class["4d8q"].median == pytest.approx(180.0)
    assert orientation.per_class["1qvr"].count == 0
    assert orientation.per_class["1qvr"].mean is None


def test_orientation_needs_angles_on_both_sides(truth: GroundTruth, tmp_path: Path) -> None:
    assert score(truth, picks("1bxn 2 2 2")).orientation is None
    hitbox, lines = small_volume()
    bare = native_truth(tmp_path / "bare", hitbox, [" ".join(x.split()[:4]) for x in lines])
    assert score(bare, picks("1bxn 2 2 2 0 0 0")).orientation is None
    assert score(bare, picks("1bxn 2 2 2 0 0 0")).to_dict()["orientation"] is None


def test_angle_conventions() -> None:
    angles = np.array([[10.0, 20.0, 30.0], [-45.0, 120.0, 200.0]])
    # TOM: Rz(rot3) Rx(rot2) Rz(rot1) is the native ZXZ matrix with the angles reversed
    tom = rotations(angles, "tom").as_matrix()
    native = rotations(angles[:, ::-1].copy(), "zxz").as_matrix()
    assert np.allclose(tom, native)
    # RELION: the inverse of Rz(rot) Ry(tilt) Rz(psi); a pure rot of 90° is Rz(-90°)
    relion = rotations(np.array([[90.0, 0.0, 0.0]]), "relion").as_matrix()[0]
    assert np.allclose(relion, [[0, 1, 0], [-1, 0, 0], [0, 0, 1]])
    errors = angular_errors(angles, "zxz", rotations(angles, "zxz"))
    assert np.allclose(errors, 0.0, atol=1e-6)


def test_star_angles_are_compared_in_relion_convention(truth: GroundTruth) -> None:
    star = (
        "data_\nloop_\n_rlnCoordinateX\n_rlnCoordinateY\n_rlnCoordinateZ\n_rlnClassName\n"
        "_rlnAngleRot\n_rlnAngleTilt\n_rlnAnglePsi\n2 2 2 1bxn 0 0 0\n9 7 5 4d8q -90 -90 90\n"
    )
    # 4d8q's list angles (0, 90, 0) are Rx(90); RELION (-90, -90, 90) is
    # (Rz(-90) Ry(-90) Rz(90))⁻¹ = Rz(-90) Ry(90) Rz(90), Ry(90) turned onto x: Rx(90)
    result = score(truth, parse_submission(star))
    assert result.orientation is not None
    assert result.orientation.per_class["1bxn"].mean == pytest.approx(0.0, abs=1e-6)
    assert result.orientation.per_class["4d8q"].mean == pytest.approx(0.0, abs=1e-6)


# ---- ranking ------------------------------------------------------------------------------


def test_ranking_curves_by_hand(truth: GroundTruth) -> None:
    result = score(
        truth,
        picks(
            "1bxn 2 2 2 0.9",  # finds particle 1, right class
            "3qm1 0 0 0 0.8",  # background
            "1bxn 2 2 3 0.7",  # surplus hit on particle 1
            "1s3x 7 5 3 0.6",  # finds particle 2 (a 3qm1), wrong class
            "4d8q 9 7 5 0.6",  # finds particle 3, right class (same score: one threshold)
        ),
    )
    ranking = result.ranking
    assert ranking is not None
    loc = ranking.localization
    assert loc.thresholds.tolist() == [0.9, 0.8, 0.7, 0.6]
    assert loc.precision.tolist() == pytest.approx([1, 1 / 2, 1 / 3, 3 / 5])
    assert loc.recall.tolist() == pytest.approx([0.25, 0.25, 0.25, 0.75])
    assert loc.average_precision == pytest.approx(0.25 * 1 + 0.5 * 0.6)
    assert (loc.best_f1.threshold, loc.best_f1.predictions) == (0.6, 5)
    assert loc.best_f1.f1 == pytest.approx(2 * 3 / (5 + 4))
    # the last point is the localization of the whole file
    assert (loc.precision[-1], loc.recall[-1]) == (
        result.localization.precision,
        result.localization.recall,
    )
    cls = ranking.classification  # found = hit by a pick labelled with the particle's class
    assert cls.precision.tolist() == pytest.approx([1, 1 / 2, 1 / 3, 2 / 5])
    assert cls.recall.tolist() == pytest.approx([0.25, 0.25, 0.25, 0.5])
    assert cls.average_precision == pytest.approx(0.25 * 1 + 0.25 * 0.4)
    per_class = ranking.per_class
    assert per_class["1bxn"].average_precision == 1.0
    assert per_class["4d8q"].average_precision == 1.0
    assert per_class["3qm1"].average_precision == 0.0
    assert per_class["1s3x"].average_precision == 0.0
    assert per_class["1qvr"].average_precision is None  # no particles
    assert ranking.mean_average_precision == pytest.approx(0.5)
    document = result.to_dict()["ranking"]
    assert document["localization"]["thresholds"] == [0.9, 0.8, 0.7, 0.6]


def test_no_scores_no_ranking(truth: GroundTruth) -> None:
    result = score(truth, picks("1bxn 2 2 2"))
    assert result.ranking is None
    assert result.to_dict()["ranking"] is None


# ---- bootstrap ----------------------------------------------------------------------------


def test_bootstrap_of_a_perfect_submission_is_a_point(truth: GroundTruth) -> None:
    result = score(truth, picks("1bxn 2 2 2", "3qm1 7 5 3", "4d8q 9 7 5", "1s3x 2 6 4"))
    intervals = result.bootstrap
    assert intervals is not None
    assert (intervals.resamples, intervals.seed, intervals.confidence) == (1000, 0, 0.95)
    assert (intervals.localization_f1.low, intervals.localization_f1.high) == (1.0, 1.0)
    assert intervals.size_groups["tiny"].low == 1.0
    assert intervals.size_groups["small"].low is None  # no small class in this volume


def test_bootstrap_is_seeded_and_optional(truth: GroundTruth) -> None:
    submission = picks("1bxn 2 2 2", "3qm1 0 0 0", "4d8q 9 7 5")
    first = score(truth, submission, seed=7).to_dict()["bootstrap"]
    assert first == score(truth, submission, seed=7).to_dict()["bootstrap"]
    assert first["seed"] == 7
    assert score(truth, submission, bootstrap=0).bootstrap is None


def test_bootstrap_matches_a_plain_loop_over_resamples(tmp_path: Path) -> None:
    """Recompute every resample by definition (particle lists with repeats) and compare."""
    from evaluation.metrics.bootstrap import resample_weights

    rng = np.random.default_rng(3)
    classes = ["1s3x", "3qm1", "3gl1", "1bxn", "4d8q"]
    lines = [f"{classes[k % 5]} {2 * k + 1} 1 1" for k in range(20)]
    hitbox = np.zeros((3, 3, 42), dtype=np.int16)
    hitbox[1, 1, 1:41:2] = np.arange(1, 21)
    truth = memory_truth(lines, (3, 3, 42), hitbox)
    guesses = [f"{classes[rng.integers(5)]} {2 * rng.integers(20) + 1} 1 1" for _ in range(25)]
    submission = picks(*guesses, "1bxn 0 0 0", "1bxn 2 1 1")
    result = score(truth, submission, bootstrap=200, seed=11)
    weights = resample_weights(truth, 200, 11)
    first_class: dict[int, int] = {}
    hits = np.zeros(20)
    for class_index, (x, _, _) in zip(submission.classes, submission.coords, strict=True):
        if x % 2 == 1:
            particle = int(x) // 2
            hits[particle] += 1
            first_class.setdefault(particle, int(class_index))
    f1_values, tiny_values = [], []
    for row in weights:
        sample = [k for k in range(20) for _ in range(int(row[k]))]
        found = sum(1 for k in sample if hits[k] > 0)
        predictions = 2 + sum(hits[k] for k in sample)  # two background picks
        f1_values.append(2 * found / (predictions + 20))
        class_f1 = []
        for name in ("1s3x", "3qm1", "3gl1"):
            index = truth.class_names.index(name) + 1
            tp = sum(1 for k in sample if truth.particles.classes[k] == index == first_class.get(k))
            fn = sum(1 for k in sample if truth.particles.classes[k] == index) - tp
            fp = sum(
                1
                for k in sample
                if first_class.get(k) == index and truth.particles.classes[k] != index
            )
            if 2 * tp + fp + fn:
                class_f1.append(2 * tp / (2 * tp + fp + fn))
        tiny_values.append(sum(class_f1) / len(class_f1))
    assert result.bootstrap is not None
    low, high = np.percentile(f1_values, [2.5, 97.5])
    assert result.bootstrap.localization_f1.low == pytest.approx(low)
    assert result.bootstrap.localization_f1.high == pytest.approx(high)
    low, high = np.percentile(tiny_values, [2.5, 97.5])
    assert result.bootstrap.size_groups["tiny"].low == pytest.approx(low)
    assert result.bootstrap.size_groups["tiny"].high == pytest.approx(high)


# ---- distance-matched F-beta --------------------------------------------------------------

FBETA_PARTICLES = ["1bxn 5 5 5", "1bxn 11 5 5", "3qm1 30 5 5"]  # radii 6.5 and 5 voxels


def test_fbeta_maximum_one_to_one_matching() -> None:
    truth = memory_truth(FBETA_PARTICLES, (12, 12, 40))
    result = score(
        truth,
        picks(
            "1bxn 8 5 5",  # 3 from both 1bxn particles (threshold 6.5 x 0.5 = 3.25)
            "1bxn 5 5 8.2",  # 3.2 from the first only: a greedy nearest match would lose it
            "3qm1 30 5 7.6",  # 2.6 > 2.5: too far
            "3qm1 30 5 6",  # 1.0: matched
            "3qm1 30.5 5 5",  # 0.5, but the particle is taken: each particle matches once
            "1bxn 30 5 5",  # on the 3qm1 particle, but of another class
        ),
        bootstrap=0,
    )
    fb = result.fbeta
    assert (fb.beta, fb.multiplier) == (4.0, 0.5)
    assert fb.distance_thresholds["1bxn"] == 3.25
    assert fb.distance_thresholds["3qm1"] == 2.5
    bxn, qm1 = fb.per_class["1bxn"], fb.per_class["3qm1"]
    assert (bxn.tp, bxn.fp, bxn.fn) == (2, 1, 0)
    assert (qm1.tp, qm1.fp, qm1.fn) == (1, 2, 0)
    assert bxn.fbeta == pytest.approx(17 * 2 / (17 * 2 + 16 * 0 + 1))
    assert qm1.fbeta == pytest.approx(17 / 19)
    assert (fb.overall.tp, fb.overall.fp, fb.overall.fn) == (3, 3, 0)
    assert fb.overall.fbeta == pytest.approx(51 / 54)
    assert fb.macro_fbeta == pytest.approx((34 / 35 + 17 / 19) / 2)
    assert fb.per_class["1qvr"].fbeta is None  # no particles, no picks


def test_fbeta_uses_unrounded_coordinates_and_its_parameters() -> None:
    truth = memory_truth(FBETA_PARTICLES, (12, 12, 40))
    # 3.4 from the first 1bxn: out of 3.25 (rounded to 8 it would be 3.0, inside)
    submission = picks("1bxn 5 5 8.4", "3qm1 30 5 7.6")
    fb = score(truth, submission, bootstrap=0).fbeta
    assert fb.overall.tp == 0
    wide = score(truth, submission, bootstrap=0, multiplier=1.0, beta=1.0).fbeta
    assert wide.overall.tp == 2
    assert wide.per_class["1bxn"].fbeta == pytest.approx(2 / 3)  # F1: tp 1, fn 1
    assert wide.per_class["3qm1"].fbeta == 1.0


def test_fbeta_in_the_shrec19_frame(tmp_path: Path) -> None:
    (tmp_path / "particle_locations_model_1.txt").write_text("1s3x 10 10 10 0 0 0\n")
    truth = load_ground_truth(tmp_path, "shrec19", shape=(20, 20, 20))
    result = score(truth, picks("1s3x 166 10 10.5", profile="shrec19"), bootstrap=0)
    assert result.fbeta.overall.tp == 1


def test_bad_parameters(truth: GroundTruth) -> None:
    for options in ({"bootstrap": -1}, {"beta": 0.0}, {"multiplier": -1.0}):
        with pytest.raises(ValueError, match="bootstrap must be >= 0"):
            score(truth, picks("1bxn 2 2 2"), **options)  # type: ignore[arg-type]


def test_long_curves_are_thinned_but_ap_uses_every_threshold() -> None:
    from evaluation.metrics.ranking import MAX_CURVE_POINTS, curve

    scores = np.arange(1000, dtype=np.float64)  # 1000 distinct thresholds
    found = scores[scores % 2 == 0]  # every other prediction finds its own target
    full = curve(scores, found, 500)
    assert len(full.thresholds) == MAX_CURVE_POINTS
    assert full.thresholds[0] == 999.0
    assert full.thresholds[-1] == 0.0
    assert full.recall[-1] == 1.0
    # recall rises by 1/500 at each even score, where k of the 2k kept predictions found
    # their targets: precision 1/2 every time, so AP = 0.5
    assert full.average_precision == pytest.approx(0.5)
