"""Figures and tables of docs/simulation.md, from freshly simulated SHREC-size tomograms.

    .venv/bin/python docs/images/simulation/make_figures.py [--size 512 --slab 200 --particles 2500]

Simulates tomograms 0 (a training tomogram) and 9 (the hidden test) of the default dataset
(seed 0), writes the PNGs next to this script and prints the Markdown tables: per-class
counts and template sizes, and a Difference-of-Gaussians picker's localization scores. The
picker's threshold is chosen on tomogram 0 only, then applied to tomogram 9.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mrcfile
import numpy as np
from matplotlib.axes import Axes
from scipy import ndimage
from skimage.feature import blob_dog

from evaluation import CLASSES, SIZE_GROUPS, load_ground_truth, parse_submission, score
from simulation import SimulationParameters, load_template, simulate_tomogram
from simulation.templates import PDB_DIR, footprint

HERE = Path(__file__).parent
BIN = 2  # the picker works on 2x-binned volumes, as DoG pickers usually do
LOW_PASS = 2.0  # sigma (voxels) of the Gaussian for display, as one views a tomogram
THRESHOLDS = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7)


def _read(path: Path) -> np.ndarray:
    with mrcfile.open(path) as mrc:
        return np.array(mrc.data)


def _show(axis: Axes, image: np.ndarray, title: str) -> None:
    low, high = np.percentile(image, [1, 99])
    axis.imshow(image, cmap="gray", vmin=low, vmax=high, interpolation="nearest")
    axis.set_title(title, fontsize=9)
    axis.set_xticks([])
    axis.set_yticks([])


def slice_figures(folder: Path) -> None:
    """Central XY and XZ slices of the reconstruction (raw and low-passed) and grandmodel."""
    reconstruction = _read(folder / "reconstruction.mrc")
    grandmodel = _read(folder / "grandmodel.mrc")
    centre_z, centre_y = reconstruction.shape[0] // 2, reconstruction.shape[1] // 2
    smooth = ndimage.gaussian_filter(reconstruction[centre_z - 8 : centre_z + 9], LOW_PASS)[8]
    smooth_xz = ndimage.gaussian_filter(reconstruction[:, centre_y - 8 : centre_y + 9], LOW_PASS)
    for name, images in (
        (
            "xy_slices.png",
            [
                (reconstruction[centre_z], "reconstruction, XY, z = centre"),
                (smooth, f"reconstruction, Gaussian low-pass ({LOW_PASS} voxels)"),
                (grandmodel[centre_z], "grandmodel (potential, V)"),
            ],
        ),
        (
            "xz_slices.png",
            [
                (reconstruction[:, centre_y], "reconstruction, XZ, y = centre"),
                (smooth_xz[:, 8], "reconstruction, low-pass: missing-wedge elongation"),
                (grandmodel[:, centre_y], "grandmodel: the 200-slice slab"),
            ],
        ),
    ):
        figure, axes = plt.subplots(1, 3, figsize=(15, 5.3))
        for axis, (image, title) in zip(axes, images, strict=True):
            _show(axis, image, title)
        figure.tight_layout()
        figure.savefig(HERE / name, dpi=80)
        plt.close(figure)
    spectrum = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(reconstruction[:, centre_y]))))
    figure, axis = plt.subplots(figsize=(5, 5))
    _show(axis, spectrum, "|FFT| of the XZ slice: the missing wedge")
    figure.tight_layout()
    figure.savefig(HERE / "xz_spectrum.png", dpi=80)
    plt.close(figure)


def tilt_series_figure(folder: Path) -> None:
    """A montage of every tenth tilt image: raw, 4x-binned, and noise-free (CTF applied)."""
    rows = [
        (_read(folder / "projections.mrc"), 1, ""),
        (_read(folder / "projections.mrc"), 4, ", binned 4x"),
        (_read(folder / "noisefree_projections.mrc"), 4, ", noise-free, binned 4x"),
    ]
    angles = np.loadtxt(folder / "tilt_angles.txt")
    chosen = list(range(0, len(angles), 10))
    figure, axes = plt.subplots(len(rows), len(chosen), figsize=(2.6 * len(chosen), 8.4))
    for row, (series, factor, note) in enumerate(rows):
        for column, index in enumerate(chosen):
            image = series[index]
            shape = (image.shape[0] // factor, factor, image.shape[1] // factor, factor)
            binned = image.reshape(shape).mean(axis=(1, 3))
            _show(axes[row, column], binned, f"{angles[index]:+.0f}°{note}")
    figure.tight_layout()
    figure.savefig(HERE / "tilt_series.png", dpi=70)
    plt.close(figure)


def template_table(folder: Path) -> str:
    """Markdown: per class, source, box edge, footprint voxels and particles in the test."""
    counts = _read_counts(folder)
    lines = [
        "| class | size group | source | box (voxels) | footprint (voxels) | particles |",
        "| --- | --- | --- | ---: | ---: | ---: |",
    ]
    group_of = {name: group for group, names in SIZE_GROUPS.items() for name in names}
    for name in CLASSES:
        template = load_template(name)
        source = "atomic model" if (PDB_DIR / f"{name}.pdb.gz").exists() else "shape mask"
        lines.append(
            f"| {name} | {group_of[name]} | {source} | {template.shape[0]} | "
            f"{int(footprint(template).sum())} | {counts[name]} |"
        )
    return "\n".join(lines)


def _read_counts(folder: Path) -> dict[str, int]:
    counts = dict.fromkeys(CLASSES, 0)
    for line in (folder / "particle_locations.txt").read_text().splitlines():
        counts[line.split()[0]] += 1
    return counts


def dog_picks(folder: Path, threshold: float) -> str:
    """DoG picks of a reconstruction as a submission (class column is a placeholder)."""
    volume = -_read(folder / "reconstruction.mrc")  # proteins are dark: invert
    shape = np.array(volume.shape) // BIN
    binned = volume[: shape[0] * BIN, : shape[1] * BIN, : shape[2] * BIN]
    binned = binned.reshape(shape[0], BIN, shape[1], BIN, shape[2], BIN).mean(axis=(1, 3, 5))
    binned = (binned - binned.mean()) / binned.std()
    blobs = blob_dog(  # type: ignore[no-untyped-call]
        binned, min_sigma=1.5, max_sigma=6, threshold=threshold, overlap=0.5
    )
    centres = blobs[:, :3] * BIN + (BIN - 1) / 2  # binned voxel centre in full voxels
    lines = [f"1bxn {x:.1f} {y:.1f} {z:.1f}" for z, y, x in centres]
    return "".join(line + "\n" for line in lines)


def localization_by_group(folder: Path, picks: str) -> dict[str, dict[str, float]]:
    """Evaluator counts -> localization precision, recall and F1 overall and per size group.

    Per group: TP = the group's particles hit, FP = picks on background (picks on other
    groups' particles count for neither), recall = TP / N_group.
    """
    if not picks.strip():
        return {"all": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "particles": 0}}
    result = score(load_ground_truth(folder), parse_submission(picks), bootstrap=0).to_dict()
    localization = result["localization"]
    matrix = result["classification"]["confusion_matrix"]
    found = _found_per_class(matrix)
    figures = {
        "all": {
            "precision": localization["precision"],
            "recall": localization["recall"],
            "f1": localization["f1"],
            "particles": localization["N"],
            "picks": localization["RR"],
        }
    }
    for group, names in SIZE_GROUPS.items():
        hit = sum(found[name][0] for name in names)
        total = sum(found[name][1] for name in names)
        precision = hit / (hit + localization["FP"]) if hit + localization["FP"] else 0.0
        recall = hit / total if total else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        figures[group] = {"precision": precision, "recall": recall, "f1": f1, "particles": total}
    return figures


def _found_per_class(matrix: dict[str, object]) -> dict[str, tuple[int, int]]:
    """(found, total) per true class from the evaluator's confusion matrix."""
    labels = list(matrix["labels"])  # type: ignore[call-overload]
    rows = np.array(matrix["matrix"])
    none = labels.index("none")
    return {
        name: (int(rows[i].sum() - rows[i, none]), int(rows[i].sum()))
        for i, name in enumerate(labels)
        if name in CLASSES
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--slab", type=int, default=200)
    parser.add_argument("--particles", type=int, default=2500)
    arguments = parser.parse_args()
    params = SimulationParameters(
        size=arguments.size, slab=arguments.slab, particles=arguments.particles
    )
    # the noise-free series is written for the montage only: its own random stream is
    # untouched, so the tomogram is the dataset's model_9
    figures_params = dataclasses.replace(params, write_noisefree=True)
    with tempfile.TemporaryDirectory() as scratch:
        train, test = Path(scratch) / "model_0", Path(scratch) / "model_9"
        simulate_tomogram(train, params, index=0)
        simulate_tomogram(test, figures_params, index=params.tomograms - 1)
        slice_figures(test)
        tilt_series_figure(test)
        print(template_table(test))
        tuning = {
            t: localization_by_group(train, dog_picks(train, t))["all"]["f1"] for t in THRESHOLDS
        }
        best = max(tuning, key=lambda t: tuning[t])
        print(f"\nDoG threshold tuned on model_0: {best} (F1 by threshold: {tuning})\n")
        figures = localization_by_group(test, dog_picks(test, best))
        print(f"{figures['all']['picks']} picks on the test tomogram\n")
        print("| group | particles | precision | recall | F1 |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for group, values in figures.items():
            print(
                f"| {group} | {values['particles']} | "
                f"{values['precision']:.3f} | {values['recall']:.3f} | {values['f1']:.3f} |"
            )


if __name__ == "__main__":
    main()
