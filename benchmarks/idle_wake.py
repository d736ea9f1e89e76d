"""How much more CPU time the same work takes when the process wakes from an idle pause.

The service benchmark (benchmarks/service.py) counts the CPU time of the web and worker
processes per scored submission. At 20 uploads/s on two cores those processes sleep between
uploads; in a burst they run back to back. This measures what that alone changes on this
machine: one unit of the service's own kind of work (parsing and scoring a SHREC-size
5,000-line submission against a simulated ground truth), timed with the process's CPU
clock, back to back and after a pause before each unit (50 ms: the gap between uploads at
20/s), alternating, several rounds.

Run: ``.venv/bin/python benchmarks/idle_wake.py [--units 100] [--pause-ms 50] [--rounds 3]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation import CLASSES, GroundTruth, parse_submission, score
from evaluation.ground_truth import Particles

SHAPE = (200, 512, 512)  # z, y, x
PARTICLES = 2500
LINES = 5000


def case() -> tuple[GroundTruth, bytes]:
    """A ground truth of cubic hitboxes and a submission: noisy picks of every particle,
    then background picks."""
    rng = np.random.default_rng(0)
    centres = rng.uniform([8, 8, 8], [504, 504, 192], size=(PARTICLES, 3))  # x, y, z
    classes = rng.integers(1, 13, PARTICLES)
    hitbox = np.zeros(SHAPE, dtype=np.int16)
    for label, (x, y, z) in enumerate(np.rint(centres).astype(int), start=1):
        hitbox[z - 3 : z + 4, y - 3 : y + 4, x - 3 : x + 4] = label
    names = list(CLASSES)
    truth = GroundTruth(
        profile="native",
        class_names=tuple(names),
        particles=Particles(classes=classes, centres=centres, angles=None),
        hitbox=hitbox,
    )
    picks = centres + rng.normal(0, 1.5, centres.shape)
    lines = [
        f"{names[c - 1]} {x:.2f} {y:.2f} {z:.2f}"
        for c, (x, y, z) in zip(classes, picks, strict=True)
    ]
    while len(lines) < LINES:
        x, y, z = rng.uniform(0, 511), rng.uniform(0, 511), rng.uniform(0, 199)
        lines.append(f"{names[0]} {x:.2f} {y:.2f} {z:.2f}")
    return truth, ("\n".join(lines) + "\n").encode()


def cpu_ms_per_unit(truth: GroundTruth, data: bytes, units: int, pause_s: float) -> float:
    """CPU milliseconds per unit of work, each unit after a pause of ``pause_s``."""
    start = time.process_time()
    for _ in range(units):
        if pause_s:
            time.sleep(pause_s)
        score(truth, parse_submission(data))
    return (time.process_time() - start) * 1000 / units


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=100)
    parser.add_argument("--pause-ms", type=float, default=50.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    truth, data = case()
    cpu_ms_per_unit(truth, data, 10, 0.0)  # warm: caches of the ground truth, imports
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    busy, rested = [], []
    for _ in range(args.rounds):
        busy.append(cpu_ms_per_unit(truth, data, args.units, 0.0))
        rested.append(cpu_ms_per_unit(truth, data, args.units, args.pause_ms / 1000))
    print(f"parse + score of {LINES:,} lines, CPU per unit (median of {args.rounds} rounds):")
    print(
        f"  back to back: {statistics.median(busy):.2f} ms ({', '.join(f'{v:.2f}' for v in busy)})"
    )
    print(
        f"  after a {args.pause_ms:g} ms pause: {statistics.median(rested):.2f} ms "
        f"({', '.join(f'{v:.2f}' for v in rested)})"
    )
    print(f"  ratio: {statistics.median(rested) / statistics.median(busy):.2f}x")


if __name__ == "__main__":
    main()
