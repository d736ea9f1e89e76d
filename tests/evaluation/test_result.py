"""The result document (docs/evaluation.md, The result document) and the bundled example."""

from __future__ import annotations

import json
import math
from pathlib import Path

import mrcfile
import numpy as np
import pytest

from evaluation import CLASSES, EVALUATOR_VERSION, load_ground_truth, parse_submission, score
from evaluation.examples import GROUND_TRUTH, SUBMISSION, build_example, write_submission


@pytest.fixture(scope="module")
def document() -> dict[str, object]:
    truth = load_ground_truth(GROUND_TRUTH)
    return score(truth, parse_submission(SUBMISSION)).to_dict()


def test_top_level_keys(document: dict[str, object]) -> None:
    assert set(document) == {
        "evaluator_version",
        "ground_truth_checksum",
        "profile",
        "profile_options",
        "submission",
        "localization",
        "classification",
        "size_groups",
        "strict_classification",
        "orientation",
        "ranking",
        "bootstrap",
        "fbeta",
        "warnings",
    }
    assert document["evaluator_version"] == EVALUATOR_VERSION
    assert document["submission"] == {
        "predictions": 12,
        "format": "text",
        "has_angles": True,
        "has_scores": True,
        "conversion": [],
    }


def test_section_keys(document: dict[str, object]) -> None:
    sections = {key: value for key, value in document.items() if isinstance(value, dict)}
    assert set(sections["localization"]) == {
        "RR", "TP", "FP", "FN", "MH", "RO", "AD", "AD_first", "AD_all",
        "recall", "precision", "miss_rate", "f1", "N", "ignored",
    }  # fmt: skip
    assert set(sections["classification"]) == {*CLASSES, "confusion_matrix"}
    assert set(sections["classification"]["1bxn"]) == {
        "tp",
        "fp",
        "fn",
        "precision",
        "recall",
        "f1",
    }
    assert set(sections["size_groups"]) == {"tiny", "small", "medium", "large"}
    assert set(sections["strict_classification"]) == {*CLASSES, "overall"}
    assert set(sections["orientation"]) == {"count", "mean", "median", "per_class"}
    assert set(sections["ranking"]) == {
        "localization", "classification", "per_class", "mean_average_precision",
    }  # fmt: skip
    assert set(sections["ranking"]["localization"]) == {
        "thresholds", "precision", "recall", "average_precision", "best_f1",
    }  # fmt: skip
    assert set(sections["bootstrap"]) == {
        "resamples", "seed", "confidence", "localization_f1", "size_groups",
    }  # fmt: skip
    assert set(sections["bootstrap"]["localization_f1"]) == {"low", "high"}
    assert set(sections["fbeta"]) == {
        "beta", "multiplier", "distance_thresholds", "per_class", "overall", "macro_fbeta",
    }  # fmt: skip


def test_json_has_null_never_nan(document: dict[str, object]) -> None:
    text = json.dumps(document, allow_nan=False)
    assert json.loads(text) == document
    assert document["classification"]["4b4t"]["precision"] is None  # type: ignore[index]


def test_example_scores_by_hand(document: dict[str, object]) -> None:
    loc = document["localization"]
    assert isinstance(loc, dict)
    assert {k: loc[k] for k in ("RR", "TP", "FP", "FN", "MH", "RO")} == {
        "RR": 12, "TP": 9, "FP": 2, "FN": 3, "MH": 1, "RO": 1,
    }  # fmt: skip
    # every first hit sits on its centre but 3cf3's, looked up at (18, 21, 11) for the
    # centre (18, 20, 12); the surplus 1bxn hit is one voxel off
    assert loc["AD_first"] == pytest.approx(math.sqrt(2) / 9)
    assert loc["AD"] == pytest.approx((math.sqrt(2) + 1) / 10)
    assert document["size_groups"] == {
        "tiny": pytest.approx(1 / 3), "small": 1.0, "medium": 1.0, "large": 0.0,
    }  # fmt: skip
    assert document["orientation"]["mean"] == pytest.approx(5 / 9)  # type: ignore[index]


def test_bundled_example_is_what_build_example_writes(tmp_path: Path) -> None:
    built = build_example(tmp_path / "tiny")
    name = "particle_locations.txt"
    assert (built / name).read_bytes() == (GROUND_TRUTH / name).read_bytes()
    # the MRC header holds a creation date: compare the volumes, not the bytes
    with (
        mrcfile.open(built / "occupancy_mask.mrc") as new,
        mrcfile.open(GROUND_TRUTH / "occupancy_mask.mrc") as bundled,
    ):
        assert new.data.dtype == bundled.data.dtype
        assert np.array_equal(new.data, bundled.data)
    assert write_submission(tmp_path / "s.txt").read_bytes() == SUBMISSION.read_bytes()
