"""Time and memory of each simulator stage for one SHREC-size tomogram, optionally side by
side with another checkout of the simulator (runs alternate, so both see the same load).

    .venv/bin/python benchmarks/simulate.py                       # one 512³ tomogram, 3 runs
    .venv/bin/python benchmarks/simulate.py --against /tmp/old    # also an older checkout
    .venv/bin/python benchmarks/simulate.py --preset shrec19      # a preset's tomogram
    .venv/bin/python benchmarks/simulate.py --dataset             # also a 10-tomogram dataset
    .venv/bin/python benchmarks/simulate.py --naive               # the rotate-and-sum projector

Each run is a fresh process. Per stage it prints the median wall time and CPU time (user +
system, all threads; system time is mostly page faults and file writes), then the end-to-end
wall and CPU time, the peak resident memory and a digest of the written files' checksums
(equal digests: byte-identical output). Memory is not traced (tracemalloc costs 20 % of the
run). The load average before and after says how quiet the machine was.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def _usage() -> tuple[float, float]:
    """(wall seconds, CPU seconds of this process, all threads)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return time.perf_counter(), usage.ru_utime + usage.ru_stime


class StageClock:
    """Records wall and CPU time between progress reports."""

    def __init__(self) -> None:
        self.rows: list[tuple[str, float, float]] = []
        self.stage: str | None = None
        self.last = _usage()

    def __call__(self, stage: str, fraction: float) -> None:
        if stage == self.stage:
            return
        self.close()
        self.stage = stage

    def close(self) -> None:
        now = _usage()
        if self.stage is not None and self.stage != "done":
            self.rows.append((self.stage, now[0] - self.last[0], now[1] - self.last[1]))
        self.last = now


def child(arguments: argparse.Namespace) -> None:
    """One measured run in this process; prints one JSON line."""
    from simulation import SimulationParameters, simulate_tomogram

    values: dict[str, Any] = {"seed": arguments.seed}
    if arguments.size:
        values.update(size=arguments.size, slab=arguments.slab, particles=arguments.particles)
    if arguments.preset:
        params = SimulationParameters.from_preset(arguments.preset, **values)
    else:
        params = SimulationParameters(**values)
    with tempfile.TemporaryDirectory(dir=arguments.scratch) as folder:
        clock = StageClock()
        start = _usage()
        metadata = simulate_tomogram(Path(folder) / "model_0", params, progress=clock)
        end = _usage()
        clock.close()
    files = sorted((name, record["sha256"]) for name, record in metadata["files"].items())
    result = {
        "stages": clock.rows,
        "wall": end[0] - start[0],
        "cpu": end[1] - start[1],
        "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "digest": hashlib.sha256(json.dumps(files).encode()).hexdigest()[:16],
    }
    print(json.dumps(result))


def _run(tree: Path, arguments: argparse.Namespace) -> dict[str, Any]:
    """One child run with ``tree`` first on the import path."""
    command = [sys.executable, __file__, "--child", "--seed", str(arguments.seed)]
    if arguments.size:
        command += ["--size", str(arguments.size), "--slab", str(arguments.slab)]
        command += ["--particles", str(arguments.particles)]
    if arguments.preset:
        command += ["--preset", arguments.preset]
    if arguments.scratch:
        command += ["--scratch", arguments.scratch]
    environment = dict(os.environ, PYTHONPATH=str(tree))
    output = subprocess.run(
        command, env=environment, check=True, capture_output=True, text=True, cwd=tree
    ).stdout
    return dict(json.loads(output.strip().splitlines()[-1]))


def _report(label: str, runs: list[dict[str, Any]]) -> None:
    print(f"\n{label}: {len(runs)} runs, medians")
    print(f"{'stage':16} {'wall s':>8} {'cpu s':>8}")
    for index, (stage, _, _) in enumerate(runs[0]["stages"]):
        wall = statistics.median(run["stages"][index][1] for run in runs)
        cpu = statistics.median(run["stages"][index][2] for run in runs)
        print(f"{stage:16} {wall:8.2f} {cpu:8.2f}")
    walls = [run["wall"] for run in runs]
    cpus = [run["cpu"] for run in runs]
    print(
        f"{'total':16} {statistics.median(walls):8.2f} {statistics.median(cpus):8.2f}"
        f"   (wall {min(walls):.2f}–{max(walls):.2f} s)"
    )
    print(f"peak resident memory: {max(run['rss_mib'] for run in runs):.0f} MiB")
    print(f"output digest: {', '.join(sorted({run['digest'] for run in runs}))}")


def naive_projection_seconds(shape: tuple[int, int, int], tilts: int) -> tuple[float, float]:
    """Seconds for one tilt of rotate-the-volume-and-sum (scipy.ndimage.rotate, linear), and
    that times the number of tilts."""
    import numpy as np
    from scipy import ndimage

    volume = np.random.default_rng(0).random(shape, dtype=np.float32)
    start = time.perf_counter()
    rotated = ndimage.rotate(volume, 2.0, axes=(0, 2), reshape=False, order=1)
    rotated.sum(axis=0)
    one = time.perf_counter() - start
    return one, one * tilts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=0, help="cube edge (default: the preset's)")
    parser.add_argument("--slab", type=int, default=200)
    parser.add_argument("--particles", type=int, default=2500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--preset", default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--against", type=Path, default=None, help="another checkout to compare")
    parser.add_argument("--scratch", default=None, help="folder for the output (default: /tmp)")
    parser.add_argument("--dataset", action="store_true", help="also time a 10-tomogram dataset")
    parser.add_argument("--naive", action="store_true", help="also time the naive projector")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        child(arguments)
        return
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    trees = [("this checkout", ROOT)]
    if arguments.against is not None:
        trees.append((f"against {arguments.against}", arguments.against.resolve()))
    runs: dict[str, list[dict[str, Any]]] = {label: [] for label, _ in trees}
    for _ in range(arguments.repeat):
        for label, tree in trees:
            runs[label].append(_run(tree, arguments))
    for label, _ in trees:
        _report(label, runs[label])
    print(f"\nload average after: {os.getloadavg()[0]:.1f}")
    if arguments.naive:
        one, all_tilts = naive_projection_seconds((512, 512, 512), 61)
        print(f"naive rotate-and-sum projector: {one:.2f} s per tilt, {all_tilts:.0f} s for 61")
    if arguments.dataset:
        from simulation import SimulationParameters, simulate_dataset

        params = SimulationParameters(seed=arguments.seed)
        with tempfile.TemporaryDirectory(dir=arguments.scratch) as folder:
            start, cpu = time.perf_counter(), time.process_time()
            simulate_dataset(folder, params)
            print(
                f"dataset of {params.tomograms} tomograms: {time.perf_counter() - start:.1f} s "
                f"wall, {time.process_time() - cpu:.1f} s CPU"
            )


if __name__ == "__main__":
    main()
