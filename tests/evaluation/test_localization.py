"""Localization (docs/evaluation.md) on the hand-made four-particle volume of helpers.py."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from evaluation import GroundTruth, score
from tests.evaluation.helpers import native_truth, picks, small_volume


@pytest.fixture
def truth(tmp_path: Path) -> GroundTruth:
    hitbox, lines = small_volume()
    return native_truth(tmp_path / "gt", hitbox, lines)


def test_perfect_submission(truth: GroundTruth) -> None:
    result = score(truth, picks("1bxn 2 2 2", "3qm1 7 5 3", "4d8q 9 7 5", "1s3x 2 6 4"))
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.FN, loc.MH, loc.RO) == (4, 4, 0, 0, 0, 0)
    assert (loc.recall, loc.precision, loc.miss_rate, loc.f1) == (1.0, 1.0, 0.0, 1.0)
    assert loc.AD == loc.AD_first == loc.AD_all == 0.0


def test_all_miss_submission(truth: GroundTruth) -> None:
    result = score(truth, picks("1bxn 0 0 0", "1bxn 5 0 0", "4d8q 9 0 5"))
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.FN, loc.MH, loc.RO) == (3, 0, 3, 4, 0, 0)
    assert (loc.recall, loc.precision, loc.miss_rate, loc.f1) == (0.0, 0.0, 1.0, 0.0)
    assert loc.AD is None
    assert loc.AD_first is None
    assert result.to_dict()["localization"]["AD"] is None


def test_repeated_hits_count_once_in_tp_and_cost_precision(truth: GroundTruth) -> None:
    # three hits on particle 1 (the second and third one voxel diagonal from the centre)
    result = score(truth, picks("1bxn 2 2 2", "1bxn 1 1 1", "1bxn 3 3 3", "3qm1 7 5 3"))
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.FN, loc.MH) == (4, 2, 0, 2, 1)
    assert loc.precision == 2 / 4  # TP / RR: the two surplus hits cost precision
    assert loc.recall == 2 / 4
    assert loc.f1 == pytest.approx(0.5)
    # AD over every hit (SHREC'19): (0 + √3 + √3 + 0) / 4; over first hits: 0
    average_distance = loc.AD
    assert average_distance == pytest.approx(2 * math.sqrt(3) / 4)
    assert loc.AD_first == 0.0


def test_clamped_out_of_bounds_prediction_still_hits(truth: GroundTruth) -> None:
    # (12, 9, 7) clamps to the corner (9, 7, 5), inside particle 3; (-3, 2, 2) clamps to
    # (0, 2, 2), background just outside particle 1
    result = score(truth, picks("4d8q 12 9 7", "1bxn -3 2 2"))
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.RO) == (2, 1, 1, 2)
    assert loc.AD == 0.0  # distance from the clamped voxel (9, 7, 5) to the centre
    assert result.classification.per_class["4d8q"].tp == 1
    assert any("clamped" in warning for warning in result.warnings)


def test_rounding_is_half_to_even(truth: GroundTruth) -> None:
    # x 3.5 -> 4 (background), x 2.5 -> 2 (particle 1), x 0.5 -> 0 (background),
    # x 1.5 -> 2 (particle 1, surplus), x -0.5 -> -0 = 0: not outside, no RO
    result = score(
        truth,
        picks("1bxn 3.5 2 2", "1bxn 2.5 2 2", "1bxn 0.5 2 2", "1bxn 1.5 2 2", "1bxn -0.5 2 2"),
    )
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.MH, loc.RO) == (5, 1, 3, 1, 0)


def test_rounding_of_each_axis(truth: GroundTruth) -> None:
    # y 3.5 rounds to 4 (outside particle 1's y 1..3); z 3.4999 rounds to 3 (inside)
    result = score(truth, picks("1bxn 2 3.5 2", "1bxn 2 2 3.4999"))
    assert (result.localization.FP, result.localization.TP) == (1, 1)


def test_distance_uses_the_rounded_voxel_and_the_listed_centre(tmp_path: Path) -> None:
    hitbox, lines = small_volume()
    lines[0] = "1bxn 2.25 2 2 0 0 0"  # a fractional centre
    truth = native_truth(tmp_path / "gt", hitbox, lines)
    result = score(truth, picks("1bxn 2.4 3.3 2"))  # looked up at (2, 3, 2)
    average_distance = result.localization.AD
    assert average_distance == pytest.approx(math.hypot(0.25, 1.0))


def test_identity_rr_equals_fp_plus_tp_plus_surplus(truth: GroundTruth) -> None:
    result = score(
        truth,
        picks("1bxn 2 2 2", "1bxn 2 2 2", "1bxn 2 2 2", "3qm1 7 5 3", "3qm1 8 6 4", "4d8q 0 0 0"),
    )
    loc = result.localization
    surplus = (3 - 1) + (2 - 1)
    predictions = loc.RR
    assert predictions == loc.FP + loc.TP + surplus + loc.ignored
    assert loc.TP + loc.FN == loc.N == 4


def test_extreme_finite_values_are_clamped_not_crashed(truth: GroundTruth) -> None:
    result = score(
        truth,
        picks(
            "1bxn 1e308 -1e308 1e308 1e300 -1e300 0 1e308",
            "1bxn 2 2 2 0 0 0 -1e308",
            "4d8q 1.7976931348623157e308 7 5 0 0 0 0",  # clamps onto particle 3
        ),
    )
    loc = result.localization
    assert (loc.RR, loc.TP, loc.FP, loc.RO) == (3, 2, 1, 2)
    assert result.fbeta.overall.tp == 1  # only the pick on the centre is within reach
    json.dumps(result.to_dict(), allow_nan=False)
