"""Calibration table: how hard each simulator preset is, beside SHREC'19's published figures.

    .venv/bin/python benchmarks/calibration.py                        # presets legacy, shrec19
    .venv/bin/python benchmarks/calibration.py --presets shrec19 --baselines dog
    .venv/bin/python benchmarks/calibration.py --presets shrec19 legacy --baselines dog unet
    .venv/bin/python benchmarks/calibration.py --tomogram DIR         # score one folder only

Per preset it simulates one SHREC-size test tomogram (512³, seed 90) and runs:

- the plain DoG control: DoG-CB3D's picking alone (G(3) − G(3.6) on the inverted
  reconstruction, peaks at least 10 voxels apart, inside the sample slab), the strongest
  1,813 peaks (DoG-CB3D's count of results); localization recall/precision/F1 from the
  evaluator, and the recall per size group;
- optionally (``--baselines dog unet``) the project's baselines at full resolution, trained
  on ``--train`` small training tomograms of the same preset (bounded CPU time), scored on
  the same test tomogram: localization F1 and Table 4 size-group F1. ``dog`` runs its ``cpu``
  preset (DoG picking at full resolution, classifier boxes binned 2×). ``unet``'s ``cpu``
  preset bins by 2, so here it runs unbinned (``--unet-binning 1``) for a fixed number of
  training steps (``--unet-steps``, the bound on its CPU time; the ``cpu`` preset's 300 by
  default); the CPU seconds of training and prediction are printed beside each row.

The machine's load average is printed before and after: every figure here shares two cores
with other work.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import mrcfile
import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from evaluation import SIZE_GROUPS, load_ground_truth, parse_submission, score  # noqa: E402
from simulation import SimulationParameters, simulate_dataset, simulate_tomogram  # noqa: E402

# SHREC'19, Table 1 (DoG-CB3D: 1,813 results, recall 0.6653, precision 0.9321, F1 0.7764)
# and Table 4 (DoG-CB3D's F1 by size group)
SHREC19_DOG_CB3D = {"picks": 1813, "recall": 0.6653, "precision": 0.9321, "f1": 0.7764}
SHREC19_GROUPS = {"tiny": 0.144, "small": 0.300, "medium": 0.714, "large": 0.566}
SIGMA, RATIO, SUPPRESSION = 3.0, 1.2, 10.0
TEST_SEED = 90


def plain_dog_picks(folder: Path, count: int) -> np.ndarray:
    """The ``count`` strongest DoG peaks (x, y, z voxels) of a tomogram folder's
    reconstruction, inside the slab that holds particle centres, ≥ 10 voxels apart."""
    with mrcfile.open(folder / "reconstruction.mrc") as mrc:
        volume = -np.asarray(mrc.data, dtype=np.float32)  # particles are dark
    metadata = json.loads((folder / "metadata.json").read_text())
    low, high = metadata["slab_z_range"]
    response = ndimage.gaussian_filter(volume, SIGMA) - ndimage.gaussian_filter(
        volume, SIGMA * RATIO
    )
    del volume
    peaks = response == ndimage.maximum_filter(response, size=5)
    peaks[:low] = False
    peaks[high:] = False
    zyx = np.argwhere(peaks)
    strength = response[tuple(zyx.T)]
    order = np.argsort(-strength, kind="stable")
    zyx = zyx[order]
    # greedy suppression: a peak survives if no stronger survivor lies within 10 voxels
    kept: list[int] = []
    tree_points: list[np.ndarray] = []
    tree: cKDTree | None = None
    pending: list[np.ndarray] = []
    for index, point in enumerate(zyx):
        if tree is not None and tree.query_ball_point(point, SUPPRESSION - 1e-9):
            continue
        if any(np.sum((point - other) ** 2) < SUPPRESSION**2 for other in pending):
            continue
        kept.append(index)
        pending.append(point)
        if len(pending) >= 256:  # rebuild the tree now and then
            tree_points.extend(pending)
            pending = []
            tree = cKDTree(np.array(tree_points))
        if len(kept) >= count:
            break
    return np.asarray(zyx[kept][:, ::-1])


def score_picks(folder: Path, picks: np.ndarray) -> dict[str, Any]:
    """Localization figures of unlabelled picks, and recall per size group."""
    lines = "".join(f"1bxn {x} {y} {z}\n" for x, y, z in picks)
    truth = load_ground_truth(folder)
    result = score(truth, parse_submission(lines.encode())).to_dict()["localization"]
    with mrcfile.open(folder / "occupancy_mask.mrc") as mrc:
        labels = np.asarray(mrc.data)[picks[:, 2], picks[:, 1], picks[:, 0]]
    classes = [line.split()[0] for line in (folder / "particle_locations.txt").open()]
    hit = {int(label) for label in labels if label}
    groups = {}
    for group, members in SIZE_GROUPS.items():
        total = sum(name in members for name in classes)
        found = sum(classes[label - 1] in members for label in hit)
        groups[group] = found / total if total else 0.0
    return {
        "picks": len(picks),
        "recall": result["recall"],
        "precision": result["precision"],
        "f1": result["f1"],
        "groups": groups,
    }


def unet_config(preset: str, binning: int, steps: int) -> Any:
    """The U-Net's `preset` configuration at `binning`, trained for about `steps` steps (its
    epochs kept, steps per epoch rounded up)."""
    from baselines import unet

    base = unet.PRESETS[preset]
    return dataclasses.replace(
        base, binning=binning, steps_per_epoch=max(1, -(-steps // base.epochs))
    )


def baseline_scores(
    name: str, train_dir: Path, test_dir: Path, work: Path, config: Any
) -> dict[str, Any]:
    """Train a baseline on a dataset's training tomograms and score it on the test folder."""
    import baselines

    model = work / f"{name}.pt"
    picks = work / f"{name}.txt"
    start = time.process_time()
    baselines.train(name, train_dir, model, config=config, seed=0)
    baselines.predict(name, model, test_dir, picks)
    result = score(load_ground_truth(test_dir), parse_submission(picks.read_bytes())).to_dict()
    return {
        "f1": result["localization"]["f1"],
        "recall": result["localization"]["recall"],
        "precision": result["localization"]["precision"],
        "picks": result["localization"]["RR"],
        "groups": result["size_groups"],
        "cpu_s": time.process_time() - start,
    }


def _row(label: str, figures: dict[str, Any]) -> str:
    groups = " ".join(f"{figures['groups'][g]:6.3f}" for g in SIZE_GROUPS)
    return (
        f"{label:34} {figures['picks']:6d} {figures['recall']:7.3f} "
        f"{figures['precision']:7.3f} {figures['f1']:6.3f}  {groups}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--presets", nargs="+", default=["legacy", "shrec19"])
    parser.add_argument("--baselines", nargs="*", default=[])
    parser.add_argument("--train", type=int, default=2, help="training tomograms per preset")
    parser.add_argument("--train-size", type=int, default=192, help="their x and y edge")
    parser.add_argument("--config", default="cpu", help="baseline preset (cpu or gpu)")
    parser.add_argument(
        "--unet-binning", type=int, default=1, help="unet's binning (1: full resolution)"
    )
    parser.add_argument(
        "--unet-steps", type=int, default=300, help="unet's training steps (bounds its CPU time)"
    )
    parser.add_argument("--tomogram", type=Path, default=None, help="only score this folder")
    parser.add_argument("--scratch", default=None)
    parser.add_argument(
        "--set", nargs="*", default=[], help="field=value overrides for every preset (sweeps)"
    )
    arguments = parser.parse_args()
    overrides = {key: json.loads(value) for key, value in (v.split("=", 1) for v in arguments.set)}
    print(f"machine: {os.cpu_count()} cores; load average before: {os.getloadavg()[0]:.1f}")
    header = f"{'':34} {'picks':>6} {'recall':>7} {'prec.':>7} {'F1':>6}  " + " ".join(
        f"{g:>6}" for g in SIZE_GROUPS
    )
    print(header)
    shrec = dict(SHREC19_DOG_CB3D, groups=SHREC19_GROUPS)
    print(_row("SHREC'19 DoG-CB3D (Tables 1, 4)", shrec))
    if arguments.tomogram is not None:
        picks = plain_dog_picks(arguments.tomogram, SHREC19_DOG_CB3D["picks"])
        print(_row(f"plain DoG, {arguments.tomogram.name}", score_picks(arguments.tomogram, picks)))
        return
    with tempfile.TemporaryDirectory(dir=arguments.scratch) as scratch:
        work = Path(scratch)
        for preset in arguments.presets:
            params = SimulationParameters.from_preset(
                preset, seed=TEST_SEED, tomograms=1, **overrides
            )
            test_dir = work / preset / "test"
            start = time.perf_counter()
            simulate_tomogram(test_dir, params)
            simulated = time.perf_counter() - start
            picks = plain_dog_picks(test_dir, SHREC19_DOG_CB3D["picks"])
            label = preset + "".join(f" {k}={v}" for k, v in overrides.items())
            print(_row(f"{label}: plain DoG", score_picks(test_dir, picks)), flush=True)
            for name in arguments.baselines:
                train_dir = work / preset / "train"
                if not train_dir.exists():
                    # the test's depth (the baselines learn the slab's z range from training)
                    # and its density of particles and beads
                    area = (arguments.train_size / params.volume_shape[2]) ** 2
                    small = SimulationParameters.from_preset(
                        preset,
                        **{
                            **overrides,
                            "shape": (512, arguments.train_size, arguments.train_size),
                            "particles": int(params.particles * area),
                            "fiducials": int(params.fiducials * area),
                            "tomograms": arguments.train + 1,
                            "seed": TEST_SEED + 1,
                        },
                    )
                    simulate_dataset(train_dir, small)
                config = (
                    unet_config(arguments.config, arguments.unet_binning, arguments.unet_steps)
                    if name == "unet"
                    else arguments.config
                )
                figures = baseline_scores(name, train_dir, test_dir, work, config)
                print(_row(f"{label}: {name} ({figures['cpu_s']:.0f} s CPU)", figures), flush=True)
            print(f"  ({preset}: test tomogram simulated in {simulated:.1f} s)")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
