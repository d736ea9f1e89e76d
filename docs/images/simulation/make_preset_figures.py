"""Slices and power spectra of each simulator preset, for docs/simulation.md.

    .venv/bin/python docs/images/simulation/make_preset_figures.py [--size 512]

Simulates one tomogram per preset (seed 90, the calibration's test seed; the preset's own
particle density at other sizes) and writes ``presets.png`` next to this script: per preset an
XY slice through the slab centre and an XZ slice of the reconstruction (Gaussian low-pass
σ = 1 voxel for display), and the radial power spectrum of the noisy 0° tilt with the
analytic CTF zeros marked. It prints the slab's and the vacuum's standard deviation.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import mrcfile
import numpy as np
from scipy import ndimage

from simulation import SimulationParameters, simulate_tomogram
from simulation.imaging import microscope

HERE = Path(__file__).parent
PRESETS = ("legacy", "shrec19", "realistic")


def _read(path: Path) -> np.ndarray:
    with mrcfile.open(path) as mrc:
        return np.array(mrc.data)


def radial_power(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(frequency in cycles per pixel, mean power) in one-step rings."""
    power = np.abs(np.fft.fft2(image - image.mean())) ** 2
    size = image.shape[0]
    radius = np.hypot(*np.meshgrid(np.fft.fftfreq(size), np.fft.fftfreq(size), indexing="ij"))
    rings = np.rint(radius * size).astype(int).ravel()
    mean = np.bincount(rings, power.ravel()) / np.maximum(np.bincount(rings), 1)
    return np.arange(mean.size)[: size // 2] / size, mean[: size // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=512)
    arguments = parser.parse_args()
    scale = (arguments.size / 512) ** 2
    figure, axes = plt.subplots(len(PRESETS), 3, figsize=(13, 4.2 * len(PRESETS)))
    with tempfile.TemporaryDirectory() as scratch:
        for row, preset in enumerate(PRESETS):
            defaults = SimulationParameters.from_preset(preset)
            params = SimulationParameters.from_preset(
                preset,
                size=arguments.size,
                particles=int(defaults.particles * scale),
                fiducials=int(defaults.fiducials * scale),
                tomograms=1,
                seed=90,
            )
            folder = Path(scratch) / preset
            metadata = simulate_tomogram(folder, params)
            raw = _read(folder / "reconstruction.mrc")
            first, last = metadata["slab_z_range"]
            middle = (first + last) // 2
            inside = raw[first:last].std()
            outside = np.concatenate([raw[:first], raw[last:]]).std()
            volume = ndimage.gaussian_filter(raw, 1.0)
            del raw
            print(f"{preset}: standard deviation in the slab {inside:.4g}, vacuum {outside:.4g}")
            for column, (image, title) in enumerate(
                [
                    (volume[middle], f"{preset}: XY slice z={middle}"),
                    (volume[:, arguments.size // 2, :], f"{preset}: XZ slice"),
                ]
            ):
                low, high = np.percentile(image, [1, 99])
                axes[row, column].imshow(image, cmap="gray", vmin=low, vmax=high)
                axes[row, column].set_title(title)
                axes[row, column].axis("off")
            tilts = params.tilt_angles()
            zero_tilt = int(np.argmin(np.abs(tilts)))
            image = _read(folder / "projections.mrc")[zero_tilt]
            frequency, power = radial_power(image)
            spectrum = axes[row, 2]
            spectrum.semilogy(frequency[2:] / params.voxel_size, power[2:], lw=1)
            defocus = metadata["defocus_um"][zero_tilt] * 1e3
            for zero in microscope(params).zeros(defocus, 3):
                if zero < 0.5 / params.voxel_size:
                    spectrum.axvline(zero, color="tab:red", lw=0.8, ls="--")
            spectrum.set_title(f"{preset}: 0° tilt power (CTF zeros dashed)")
            spectrum.set_xlabel("spatial frequency (nm⁻¹)")
    figure.tight_layout()
    figure.savefig(HERE / "presets.png", dpi=80)
    print(f"wrote {HERE / 'presets.png'}")


if __name__ == "__main__":
    main()
