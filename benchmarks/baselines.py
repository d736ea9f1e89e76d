"""Accuracy and wall time of the three baselines on a simulated CPU-sized dataset.

    .venv/bin/python benchmarks/baselines.py                          # 4 tomograms of 256³
    .venv/bin/python benchmarks/baselines.py --size 128 --slab 64 --particles 150
    .venv/bin/python benchmarks/baselines.py --dataset DIR --names unet

Simulates the dataset (unless `--dataset` names one), then trains each baseline with the chosen
preset on the training tomograms, predicts the test tomogram and scores it with the evaluator.
Prints localization F1, precision, recall, the size-group F1 and the wall times, with the
SHREC'19 figures of the published methods beside them for context (another dataset, another
machine: not a like-for-like comparison).
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType

import torch

from evaluation import load_ground_truth, parse_submission, score
from simulation import SimulationParameters, simulate_dataset

# SHREC'19 localization F1 (paper, Table 1) of the published method of each family
SHREC19_F1 = {
    "dog": ("DoG-CB3D", 0.776),
    "template": ("3D-TM", 0.328),
    "unet": ("DeepFinder", 0.797),
}
GROUPS = ("tiny", "small", "medium", "large")


def _baselines_package() -> ModuleType:
    """The `baselines` package: this script shares its name, so its own folder must not
    shadow the package on the import path."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != here]
    sys.modules.pop("baselines", None)
    return importlib.import_module("baselines")


def main() -> None:
    """Parse arguments, run every requested baseline, print one row each."""
    baselines = _baselines_package()
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, help="use this dataset instead of simulating")
    parser.add_argument("--size", type=int, default=256)
    parser.add_argument("--slab", type=int, default=100)
    parser.add_argument("--particles", type=int, default=300)
    parser.add_argument("--tomograms", type=int, default=4)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--config", default="cpu", choices=["auto", "cpu", "gpu"])
    parser.add_argument(
        "--names", nargs="+", default=list(baselines.NAMES), choices=baselines.NAMES
    )
    parser.add_argument("--threads", type=int, default=2)
    arguments = parser.parse_args()
    torch.set_num_threads(arguments.threads)
    print(
        f"machine: {platform.machine()}, {torch.get_num_threads()} threads, "
        f"torch {torch.__version__}"
    )
    print(f"device: {'cuda' if torch.cuda.is_available() else 'cpu'}, preset {arguments.config}")
    with tempfile.TemporaryDirectory() as scratch:
        dataset = arguments.dataset or _simulate(arguments, Path(scratch) / "dataset")
        test = json.loads((dataset / "dataset.json").read_text())["test_tomogram"]
        truth = load_ground_truth(dataset / test)
        print(f"test tomogram {test}: {len(truth.particles)} particles\n")
        header = f"{'baseline':9} {'F1':>6} {'prec':>6} {'recall':>6} " + " ".join(
            f"{g:>6}" for g in GROUPS
        )
        print(header + f" {'train s':>8} {'predict s':>9}   SHREC'19 F1")
        for name in arguments.names:
            model = Path(scratch) / f"{name}.pt"
            started = time.perf_counter()
            baselines.train(name, dataset, model, config=arguments.config, seed=arguments.seed)
            trained = time.perf_counter()
            picks = baselines.predict(name, model, dataset / test, Path(scratch) / f"{name}.txt")
            predicted = time.perf_counter()
            result = score(truth, parse_submission(picks)).to_dict()
            localization, groups = result["localization"], result["size_groups"]
            method, f1 = SHREC19_F1[name]
            print(
                f"{name:9} {localization['f1']:6.3f} {localization['precision']:6.3f} "
                f"{localization['recall']:6.3f} "
                + " ".join(f"{_number(groups[g]):>6}" for g in GROUPS)
                + f" {trained - started:8.1f} {predicted - trained:9.1f}   {method} {f1:.3f}",
                flush=True,
            )


def _number(value: float | None) -> str:
    """A group F1, or a dash when the group has no particle."""
    return "-" if value is None else f"{value:.3f}"


def _simulate(arguments: argparse.Namespace, folder: Path) -> Path:
    """Simulate the benchmark dataset into `folder`; prints the time it took."""
    parameters = SimulationParameters(
        size=arguments.size,
        slab=arguments.slab,
        particles=arguments.particles,
        tomograms=arguments.tomograms,
        seed=arguments.seed,
    )
    started = time.perf_counter()
    simulate_dataset(folder, parameters)
    print(
        f"dataset: {arguments.tomograms} tomograms of {arguments.size}³, slab {arguments.slab}, "
        f"{arguments.particles} particles each, simulated in {time.perf_counter() - started:.1f} s"
    )
    return folder


if __name__ == "__main__":
    main()
