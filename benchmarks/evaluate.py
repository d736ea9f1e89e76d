"""Benchmark of the evaluator on the SHREC'19 case; prints its figures.

The case is SHREC'19's own layout: ``particle_locations_model_9.txt`` (the real test list,
2,540 particles), ``hitbox_9.mrc`` (200 × 512 × 512 int16, the boxes rebuilt from the
list) and a 5,000-line submission ``CLASS Z Y X ROT1 ROT2 ROT3 SCORE`` in tomogram Z (hits
with jitter and wrong classes, repeated hits, background picks). Timed:

- what a user waits for: ``tomobench evaluate DIR SUBMISSION --profile shrec19 --json``
  as a whole process, and, with ``--official PATH``, the SHREC'19 organisers' evaluation
  script on the same files, run alternately in the same loop (the ratio is only
  meaningful side by side on a shared machine); ``tomobench --help``; ``import evaluation``.
  The hitbox-facts cache starts empty: the first run on the files is timed on its own (it
  hashes and checks every voxel and records the facts); in the loop the cache is warm, and
  ``--no-cache`` runs show what every run cost without it. Python writes its bytecode
  into a folder of its own (``PYTHONPYCACHEPREFIX``), as an installed package has its
  ``.pyc`` files, even where ``PYTHONDONTWRITEBYTECODE`` is set;
- cold, in one process: load the ground truth (read, check labels; the SHA-256 of the
  voxels runs on a thread meanwhile; or, with the cache, map the file and read its facts)
  + parse + score;
- warm, ground truth and parsed submission in memory: parsing the file, the core SHREC'19
  metrics, the full result without and with the 1,000-resample bootstrap;
- reference: a plain per-prediction Python loop doing what the official script did
  (chained hitbox indexing, scipy's euclidean per hit, first-hit classes), then Table 2's
  per-class F1 and Table 4 particle by particle: the same figures as the vectorised core.

The official script is not part of this project and nothing is fetched: give its path
(it needs ``pycm`` importable, e.g. through PYTHONPATH; Python 3.11 no longer knows its
``open(..., 'rU')`` mode, so it is run with that one mode mapped to ``'r'``).

Run: ``.venv/bin/python benchmarks/evaluate.py [--official evaluate.py] [--repeats 15]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
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
SLAB = (200, 512, 512)  # z, y, x of the SHREC'19 hitbox
Z_OFFSET = 156  # the slab's first slice in the 512-slice tomogram
PREDICTIONS = 5000
TOMOBENCH = Path(sys.executable).with_name("tomobench")

# Runs the official script unchanged but for the 'U' open mode that Python 3.11 removed.
_OFFICIAL_SHIM = (
    "import builtins, runpy, sys\n"
    "_open = builtins.open\n"
    "builtins.open = lambda f, mode='r', *a, **k: _open(f, mode.replace('U', ''), *a, **k)\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n"
)


def write_case(folder: Path) -> Path:
    """Write the SHREC'19 ground truth and the submission into ``folder``; return the
    submission's path."""
    text = SHREC19_LIST.read_text()
    (folder / SHREC19_LIST.name).write_text(text)
    rows = [line.split() for line in text.splitlines() if line.strip()]
    names = [row[0] for row in rows]
    zyx = np.array([[int(v) for v in row[1:4]] for row in rows])
    sides = np.array([SHREC19_BOX_SIDES[name] for name in names])
    with mrcfile.new(folder / "hitbox_9.mrc") as mrc:
        mrc.set_data(build_box_hitbox(SLAB, zyx[:, ::-1].astype(np.float64), sides))
    # dated an hour back, as a dataset on disk is: the cache records no file just written
    an_hour_ago = time.time() - 3600
    os.utime(folder / "hitbox_9.mrc", (an_hour_ago, an_hour_ago))
    rng = np.random.default_rng(0)
    lines = []
    for _ in range(PREDICTIONS):
        if rng.random() < 0.55:  # a hit near a centre, sometimes of the wrong class
            k = int(rng.integers(len(names)))
            z, y, x = zyx[k] + rng.normal(0, 1.5, 3) + [Z_OFFSET, 0, 0]
            name = names[k] if rng.random() < 0.7 else CLASSES[int(rng.integers(12))]
        else:  # anywhere in the tomogram, mostly background
            z, y, x = rng.uniform(-2, 514, 3)
            name = CLASSES[int(rng.integers(12))]
        phi, theta, psi = rng.uniform(-180, 180, 3)
        lines.append(
            f"{name} {z:.2f} {y:.2f} {x:.2f} {phi:.1f} {theta:.1f} {psi:.1f} {rng.random():.4f}"
        )
    path = folder / "submission.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


def core_metrics(truth: GroundTruth, submission: Submission) -> None:
    """The SHREC'19 figures only: look-up, Table 1, Tables 2 and 4."""
    hits = match(truth, submission)
    localization(truth, hits)
    per_class = classification(truth, predicted_classes(truth, submission, hits)).per_class
    size_group_f1({name: s.f1 for name, s in per_class.items()})


def timed_ms(action: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best and median wall time of ``repeats`` calls, in ms."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return min(times) * 1000, statistics.median(times) * 1000


def child_environment(folder: Path) -> dict[str, str]:
    """The processes' environment: bytecode and the hitbox-facts cache in ``folder``."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONDONTWRITEBYTECODE", "TOMOBENCH_NO_CACHE")
    }
    environment["PYTHONPYCACHEPREFIX"] = str(folder / "bytecode")
    environment["TOMOBENCH_CACHE_DIR"] = str(folder / "cache")
    return environment


def run_ms(
    command: Sequence[str], environment: dict[str, str] | None = None
) -> tuple[float, float, bytes]:
    """Wall and CPU time (user + system, ms) of one process, and its standard output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, check=True, env=environment)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
    return wall * 1000, cpu * 1000, done.stdout


def shown(figures: tuple[float, float]) -> str:
    return f"{figures[1]:.2f} ms (best {figures[0]:.2f} ms)"


def processes(folder: Path, submission: Path, official: Path | None, repeats: int) -> None:
    """The whole commands, each run ``repeats`` times, alternately."""
    evaluate = [str(TOMOBENCH), "evaluate", str(folder), str(submission)]
    evaluate += ["--profile", "shrec19", "--json"]
    commands = {
        "tomobench evaluate --json": evaluate,
        "tomobench evaluate --no-cache": [*evaluate, "--no-cache"],
        "tomobench --help": [str(TOMOBENCH), "--help"],
        "python -c 'import evaluation'": [sys.executable, "-c", "import evaluation"],
    }
    if official is not None:
        out = folder / "official_out"
        out.mkdir(exist_ok=True)
        commands["official SHREC'19 script"] = [
            sys.executable,
            "-c",
            _OFFICIAL_SHIM,
            str(official),
            "-f",
            str(submission),
            "-o",
            str(out),
            "-tf",
            str(folder),
        ]
    environment = child_environment(folder)
    walls: dict[str, list[float]] = {name: [] for name in commands}
    cpus: dict[str, list[float]] = {name: [] for name in commands}
    for name, command in commands.items():  # once each first (page cache, bytecode), but
        if name != "tomobench evaluate --json":  # the cached run, whose cache stays empty
            run_ms(command, environment)
    first_wall, first_cpu, document = run_ms(commands["tomobench evaluate --json"], environment)
    print(
        f"first run on the files (empty cache: hash and check every voxel, record the "
        f"facts): {first_wall:.0f} ms wall, CPU {first_cpu:.0f} ms"
    )
    for _ in range(repeats):
        for name, command in commands.items():
            wall, cpu, output = run_ms(command, environment)
            walls[name].append(wall)
            cpus[name].append(cpu)
            if name.startswith("tomobench evaluate") and output != document:
                raise SystemExit(f"{name}: another result document than the first run's")
    print(f"whole processes, median of {repeats} alternate runs (wall; CPU user + system):")
    for name in commands:
        print(
            f"  {name:32} {statistics.median(walls[name]):7.0f} ms wall "
            f"(best {min(walls[name]):.0f}); CPU {statistics.median(cpus[name]):.0f} ms"
        )
    if official is not None:
        theirs = statistics.median(walls["official SHREC'19 script"])
        their_cpu = statistics.median(cpus["official SHREC'19 script"])
        for name in ("tomobench evaluate --json", "tomobench evaluate --no-cache"):
            ours, our_cpu = statistics.median(walls[name]), statistics.median(cpus[name])
            print(
                f"  {name} is {theirs / ours:.1f}x faster than the official script "
                f"(CPU: {their_cpu / our_cpu:.1f}x)"
            )
    else:
        print("  (official script: pass --official PATH to time it alongside)")
    figures = json.loads(document)["localization"]
    print(f"  result document: {len(document):,} bytes; TP {figures['TP']}, F1 {figures['f1']:.4f}")


def in_process(folder: Path, submission_path: Path) -> None:
    data = submission_path.read_bytes()
    os.environ["TOMOBENCH_CACHE_DIR"] = str(folder / "cache")  # recorded by the processes
    for cache, steps in ((False, "read, check labels, start hashing"), (True, "map, read facts")):
        start = time.perf_counter()
        truth = load_ground_truth(folder, "shrec19", cache=cache)
        loaded = time.perf_counter()
        submission = parse_submission(data, profile="shrec19")
        parsed = time.perf_counter()
        score(truth, submission)
        scored = time.perf_counter()
        print(
            f"in one process, {'then with' if cache else 'first without'} the cache (load + "
            f"parse + score, bootstrap 1000): {(scored - start) * 1000:.0f} ms = load "
            f"{(loaded - start) * 1000:.0f} ms ({steps}) + parse "
            f"{(parsed - loaded) * 1000:.1f} ms + score {(scored - parsed) * 1000:.1f} ms "
            "(resample weights drawn, SHA-256 finished)"
        )
    parse = timed_ms(lambda: parse_submission(data, profile="shrec19"), 50)
    core = timed_ms(lambda: core_metrics(truth, submission), 50)
    full_no_bootstrap = timed_ms(lambda: score(truth, submission, bootstrap=0), 50)
    full = timed_ms(lambda: score(truth, submission), 50)
    print(f"warm, median of 50 (best):\n  parse {PREDICTIONS:,} lines: {shown(parse)}")
    print(f"  core SHREC'19 metrics (Tables 1, 2, 4): {shown(core)}")
    print(f"  full result without bootstrap: {shown(full_no_bootstrap)}")
    print(f"  full result with 1,000 bootstrap resamples: {shown(full)}")
    loop = timed_ms(lambda: reference_scores(truth, submission), 5)
    print(f"  reference per-prediction Python loop (Tables 1, 2, 4): {shown(loop)}")
    print(f"  speed-up of the core metrics over the loop (medians): {loop[1] / core[1]:.0f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--official", type=Path, help="the SHREC'19 organisers' evaluate.py")
    parser.add_argument("--repeats", type=int, default=15, help="runs of each command")
    args = parser.parse_args()
    official = args.official if args.official is not None and args.official.is_file() else None
    print(f"machine: {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} at start")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        submission = write_case(folder)
        size = (folder / "hitbox_9.mrc").stat().st_size
        print(
            f"case: hitbox {' x '.join(map(str, SLAB))} int16 ({size / 2**20:.0f} MiB), 2,540 "
            f"particles, {PREDICTIONS:,} predictions with angles and scores "
            f"({submission.stat().st_size / 1000:.0f} kB)"
        )
        processes(folder, submission, official, args.repeats)
        in_process(folder, submission)
    print(f"load average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
