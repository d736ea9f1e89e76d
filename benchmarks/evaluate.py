"""Benchmark of the evaluator on a SHREC-size case; prints its figures.

A 512³ occupancy mask holding the 2,540 particles of the real SHREC'19 test list (its
boxes, moved into the tomogram frame), and a 5,000-line submission with angles and scores
(hits with jitter and wrong classes, repeated hits, background picks). Timed:

- cold: load the ground truth from disk (page cache warm) + parse + score;
- warm: score only, ground truth and parsed submission in memory (median of repeats),
  for the core SHREC'19 metrics, the full result without and with the 1,000-resample
  bootstrap;
- reference: a plain per-prediction Python loop doing what the official script did
  (chained hitbox indexing, scipy's euclidean per hit, first-hit classes), then Table 2's
  per-class F1 and Table 4 particle by particle: the same figures as the vectorised core.

Run: ``.venv/bin/python benchmarks/evaluate.py``
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import mrcfile
import numpy as np

from evaluation import CLASSES, GroundTruth, load_ground_truth, parse_submission, score
from evaluation.classes import SHREC19_BOX_SIDES
from evaluation.ground_truth.hitbox import build_box_hitbox
from evaluation.metrics.classification import classification, predicted_classes, size_group_f1
from evaluation.metrics.localization import localization
from evaluation.metrics.matching import match
from evaluation.reference import reference_scores
from evaluation.submission import Submission

SHREC19_LIST = Path(__file__).parents[1] / "tests/data/shrec19/particle_locations_model_9.txt"
SHAPE = (512, 512, 512)
PREDICTIONS = 5000


def write_case(folder: Path) -> bytes:
    """Write the ground-truth folder; return the submission's bytes."""
    rows = [line.split() for line in SHREC19_LIST.read_text().splitlines() if line.strip()]
    names = [row[0] for row in rows]
    zyx = np.array([[int(v) for v in row[1:4]] for row in rows])
    centres = np.column_stack([zyx[:, 2], zyx[:, 1], zyx[:, 0] + 156]).astype(np.float64)
    sides = np.array([SHREC19_BOX_SIDES[name] for name in names])
    with mrcfile.new(folder / "occupancy_mask.mrc") as mrc:
        mrc.set_data(build_box_hitbox(SHAPE, centres, sides))
    (folder / "particle_locations.txt").write_text(
        "".join(
            f"{name} {x:g} {y:g} {z:g} {r[4]} {r[5]} {r[6]}\n"
            for name, (x, y, z), r in zip(names, centres, rows, strict=True)
        )
    )
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(PREDICTIONS):
        kind = rng.random()
        if kind < 0.55:  # a hit near a centre, sometimes of the wrong class
            k = int(rng.integers(len(names)))
            x, y, z = centres[k] + rng.normal(0, 1.5, 3)
            name = names[k] if rng.random() < 0.7 else CLASSES[int(rng.integers(12))]
        else:  # anywhere in the volume, mostly background
            x, y, z = rng.uniform(-2, 514, 3)
            name = CLASSES[int(rng.integers(12))]
        phi, theta, psi = rng.uniform(-180, 180, 3)
        lines.append(
            f"{name} {x:.2f} {y:.2f} {z:.2f} {phi:.1f} {theta:.1f} {psi:.1f} {rng.random():.4f}"
        )
    return ("\n".join(lines) + "\n").encode()


def core_metrics(truth: GroundTruth, submission: Submission) -> None:
    """The SHREC'19 figures only: look-up, Table 1, Tables 2 and 4."""
    hits = match(truth, submission)
    localization(truth, hits)
    per_class = classification(truth, predicted_classes(truth, submission, hits)).per_class
    size_group_f1({name: s.f1 for name, s in per_class.items()})


def timed_ms(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best and median wall time of ``repeats`` calls, in ms (the best is the least
    disturbed by other processes on a shared machine)."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000


def shown(figures: tuple[float, float]) -> str:
    return f"{figures[0]:.2f} ms (median {figures[1]:.2f} ms)"


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data = write_case(folder)
        size = (folder / "occupancy_mask.mrc").stat().st_size
        print(
            f"case: hitbox {SHAPE[0]}³ int16 ({size / 2**20:.0f} MiB), 2,540 particles, "
            f"{PREDICTIONS:,} predictions with angles and scores"
        )

        start = time.perf_counter()
        truth = load_ground_truth(folder)
        loaded = time.perf_counter()
        submission = parse_submission(data)
        parsed = time.perf_counter()
        score(truth, submission)
        scored = time.perf_counter()
        print(
            f"cold (load + parse + score, bootstrap 1000): {(scored - start) * 1000:.0f} ms "
            f"= load {(loaded - start) * 1000:.0f} ms (read, check labels, SHA-256) + parse "
            f"{(parsed - loaded) * 1000:.1f} ms + score {(scored - parsed) * 1000:.1f} ms"
        )
        start = time.perf_counter()
        mapped = load_ground_truth(folder, memory_map=True)
        print(f"cold load, memory-mapped: {(time.perf_counter() - start) * 1000:.0f} ms")
        del mapped

        core = timed_ms(lambda: core_metrics(truth, submission), 50)
        full_no_bootstrap = timed_ms(lambda: score(truth, submission, bootstrap=0), 30)
        full = timed_ms(lambda: score(truth, submission), 30)
        parse = timed_ms(lambda: parse_submission(data), 10)
        print(f"warm, core SHREC'19 metrics (Tables 1, 2, 4): {shown(core)}")
        print(f"warm, full result without bootstrap: {shown(full_no_bootstrap)}")
        print(f"warm, full result with 1,000 bootstrap resamples: {shown(full)}")
        print(f"parse {PREDICTIONS:,} lines: {shown(parse)}")

        loop = timed_ms(lambda: reference_scores(truth, submission), 5)
        print(f"reference per-prediction Python loop (Tables 1, 2, 4): {shown(loop)}")
        print(
            f"speed-up over the loop (best times): core {loop[0] / core[0]:.0f}x, full result "
            f"without bootstrap {loop[0] / full_no_bootstrap[0]:.1f}x, with bootstrap "
            f"{loop[0] / full[0]:.1f}x"
        )


if __name__ == "__main__":
    main()
