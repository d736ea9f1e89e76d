"""Each baseline trains on the tiny simulated dataset and predicts its test tomogram (CPU).

The submissions must parse as the evaluator parses participants' files, and the classical and
deep baselines must localise particles clearly better than random picks on the same data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import baselines
from evaluation import load_ground_truth, parse_submission, score
from evaluation.classes import CLASSES
from tests.baselines.conftest import TINY, Run

pytestmark = pytest.mark.slow


def _f1(submission: bytes | Path, test_folder: Path) -> float:
    result = score(load_ground_truth(test_folder), parse_submission(submission)).to_dict()
    return float(result["localization"]["f1"])


def _random_picks(count: int, seed: int) -> bytes:
    """`count` picks uniformly inside the sample slab, with random classes."""
    rng = np.random.default_rng(seed)
    low = (TINY.size - TINY.slab) // 2
    lines = [
        f"{CLASSES[rng.integers(12)]} {x:.1f} {y:.1f} {z:.1f}"
        for x, y, z in zip(
            rng.uniform(0, TINY.size, count),
            rng.uniform(0, TINY.size, count),
            rng.uniform(low, low + TINY.slab, count),
            strict=True,
        )
    ]
    return "\n".join(lines).encode()


def test_submission_is_valid_and_marked(run: Run) -> None:
    picks = parse_submission(run.submission)
    assert len(picks) > 0
    text = run.submission.read_text()
    assert f"weights_sha256 {baselines.weights_checksum(run.model)}" in text
    assert f"code_version {baselines.code_version()}" in text
    scores = [float(line.split()[-1]) for line in text.splitlines() if not line.startswith("#")]
    assert scores == sorted(scores, reverse=True)  # surest first: first hits decide classes


@pytest.mark.parametrize("run", ["dog", "unet"], indirect=True)
def test_beats_random_picks_clearly(run: Run) -> None:
    picks = len(parse_submission(run.submission))
    baseline_f1 = _f1(run.submission, run.test_folder)
    # the mean of several random controls with as many picks as the baseline made
    random_f1 = np.mean([_f1(_random_picks(picks, seed), run.test_folder) for seed in range(5)])
    assert baseline_f1 >= 2 * random_f1
    assert baseline_f1 - random_f1 >= 0.2


@pytest.mark.parametrize("run", ["template"], indirect=True)
def test_template_picks_carry_orientations(run: Run) -> None:
    fields = [line.split() for line in run.submission.read_text().splitlines() if line[0] != "#"]
    assert {len(row) for row in fields} == {8}  # CLASS X Y Z PHI THETA PSI SCORE
