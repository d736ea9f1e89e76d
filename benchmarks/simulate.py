"""Time and memory of each simulator stage for one SHREC-size tomogram (and, on request, a
whole dataset), beside the naive rotate-and-sum projector.

    .venv/bin/python benchmarks/simulate.py                 # one 512³ tomogram, 2,500 particles
    .venv/bin/python benchmarks/simulate.py --dataset       # also a 10-tomogram dataset
    .venv/bin/python benchmarks/simulate.py --size 256 --slab 100 --particles 300

Per stage it prints wall time, CPU time (all threads) and the peak of memory traced by
tracemalloc (numpy's arrays included); at the end the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
from scipy import ndimage

from simulation import SimulationParameters, simulate_dataset, simulate_tomogram
from simulation.tilt_operator import TiltOperator

MIB = 1 << 20


class StageClock:
    """Records wall time, CPU time and traced peak memory between progress reports."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float, float]] = []
        self.stage: str | None = None
        self.wall = time.perf_counter()
        self.cpu = time.process_time()

    def __call__(self, stage: str, fraction: float) -> None:
        if stage == self.stage:
            return
        self.close()
        self.stage = stage
        tracemalloc.reset_peak()

    def close(self) -> None:
        now_wall, now_cpu = time.perf_counter(), time.process_time()
        if self.stage is not None and self.stage != "done":
            peak = tracemalloc.get_traced_memory()[1] / MIB
            self.rows.append((self.stage, now_wall - self.wall, now_cpu - self.cpu, peak))
        self.wall, self.cpu = now_wall, now_cpu


def naive_projection_seconds(shape: tuple[int, int, int], tilts: int) -> tuple[float, float]:
    """Seconds for one tilt of rotate-the-volume-and-sum (scipy.ndimage.rotate, linear), and
    that times the number of tilts."""
    volume = np.random.default_rng(0).random(shape, dtype=np.float32)
    start = time.perf_counter()
    rotated = ndimage.rotate(volume, 2.0, axes=(0, 2), reshape=False, order=1)
    rotated.sum(axis=0)
    one = time.perf_counter() - start
    return one, one * tilts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--slab", type=int, default=200)
    parser.add_argument("--particles", type=int, default=2500)
    parser.add_argument("--dataset", action="store_true", help="also time a 10-tomogram dataset")
    parser.add_argument("--skip-naive", action="store_true")
    arguments = parser.parse_args()
    params = SimulationParameters(
        size=arguments.size, slab=arguments.slab, particles=arguments.particles, seed=1
    )
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(
        f"tomogram: {arguments.size}³ at 1 nm, slab {arguments.slab}, "
        f"{arguments.particles} particles, {params.tilt_angles().size} tilts"
    )
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        TiltOperator(params.volume_shape, params.tilt_angles())
        operator_seconds = time.perf_counter() - start
        tracemalloc.start()
        clock = StageClock()
        start = time.perf_counter()
        simulate_tomogram(Path(folder) / "model_0", params, progress=clock)
        total = time.perf_counter() - start
        clock.close()
        tracemalloc.stop()
    print(f"{'stage':16} {'wall s':>8} {'cpu s':>8} {'peak MiB':>9}")
    for stage, wall, cpu, peak in clock.rows:
        print(f"{stage:16} {wall:8.2f} {cpu:8.2f} {peak:9.0f}")
    print(f"{'total':16} {total:8.2f} {sum(row[2] for row in clock.rows):8.2f}")
    print(f"(tilt operator build alone: {operator_seconds:.2f} s; it overlaps placement)")
    peak_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak resident memory: {peak_rss:.0f} MiB")
    if not arguments.skip_naive:
        one, all_tilts = naive_projection_seconds(params.volume_shape, params.tilt_angles().size)
        print(
            f"naive rotate-and-sum projector: {one:.2f} s per tilt, "
            f"{all_tilts:.0f} s for {params.tilt_angles().size} tilts (projection only)"
        )
    if arguments.dataset:
        with tempfile.TemporaryDirectory() as folder:
            start, cpu = time.perf_counter(), time.process_time()
            simulate_dataset(folder, params)
            print(
                f"dataset of {params.tomograms} tomograms: {time.perf_counter() - start:.1f} s "
                f"wall, {time.process_time() - cpu:.1f} s CPU"
            )


if __name__ == "__main__":
    main()
