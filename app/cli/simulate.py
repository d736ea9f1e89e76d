"""`tomobench simulate --out DIR ...`: simulate a dataset (or one tomogram) with progress bars.

Every option maps to a field of ``simulation.SimulationParameters``; options left out keep
the library's defaults (SHREC'19's: 512³ at 1 nm, 200-slice slab, 2,500 particles, 10
tomograms, SNR 0.02, -60..60° in 2° steps). Impossible settings end in a one-line error.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from tqdm import tqdm

from simulation import SimulationParameters, simulate_dataset, simulate_tomogram
from simulation.parameters import CHOICES, PRESETS

Command = TypeVar("Command", bound=Callable[..., Any])

_DEFAULTS = {
    field.name: field.default for field in dataclasses.fields(SimulationParameters) if field.init
}


def _option(name: str, kind: Any, text: str) -> Callable[[Command], Command]:
    """A click option for parameter ``name`` whose help shows the library default."""
    flag = "--" + name.replace("_", "-")
    return click.option(flag, name, type=kind, default=None, help=f"{text} [{_DEFAULTS[name]}]")


class _StageBars:
    """One tqdm bar (in percent) per tomogram, its postfix naming the current stage.

    A dataset reports ("model_i: stage", overall fraction): tomogram i spans
    [i/T, (i+1)/T] of the overall scale. A single tomogram reports bare stage names.
    """

    def __init__(self, tomograms: int) -> None:
        self.tomograms = tomograms
        self.bar: tqdm[Any] | None = None
        self.label = ""

    def __call__(self, stage: str, fraction: float) -> None:
        label, _, step = stage.rpartition(": ")
        local = fraction
        if label.startswith("model_"):
            local = fraction * self.tomograms - int(label.removeprefix("model_"))
        if step == "done" and not label:
            return  # the dataset's final report: every bar is already full
        if label != self.label:
            self.close()
            self.label = label
            self.bar = tqdm(total=100, desc=label or "tomogram", unit="%")
        assert self.bar is not None
        self.bar.set_postfix_str(step, refresh=False)
        self.bar.update(max(0, round(100 * min(max(local, 0.0), 1.0)) - self.bar.n))

    def close(self) -> None:
        """Fill and close the current bar."""
        if self.bar is not None:
            self.bar.update(100 - self.bar.n)
            self.bar.close()
            self.bar = None


@click.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Output folder (created if missing).",
)
@_option("size", click.IntRange(min=16), "Edge of the cubic volume, voxels.")
@click.option("--shape", default=None, help="Volume shape Z,Y,X instead of --size.")
@_option("voxel_size", float, "Voxel size, nm.")
@_option("slab", click.IntRange(min=1), "Slices of the sample slab (centred in z).")
@_option("particles", click.IntRange(min=0), "Particles per tomogram.")
@_option("tomograms", click.IntRange(min=1), "Tomograms; the last ones are the hidden test.")
@_option(
    "test_tomograms",
    click.IntRange(min=1),
    "Hidden test tomograms: the last K (fewer than --tomograms).",
)
@_option("seed", click.IntRange(min=0), "Random seed (same seed, same bytes).")
@_option("snr", float, "SNR of the projections, var(signal)/var(noise).")
@_option("dose", float, "Electron dose, e/Å² over the series (Poisson noise; replaces --snr).")
@_option("tilt_min", float, "First tilt, degrees.")
@_option("tilt_max", float, "Last tilt, degrees.")
@_option("tilt_step", float, "Tilt increment, degrees.")
@_option("voltage_kv", float, "Acceleration voltage, kV.")
@_option("cs_mm", float, "Spherical aberration, mm.")
@_option("amplitude_contrast", float, "Amplitude contrast fraction.")
@_option("defocus_um", float, "Nominal defocus, µm underfocus.")
@_option("defocus_variation", float, "Std of the per-tilt defocus, µm (0: constant).")
@click.option(
    "--defocus-gradient/--no-defocus-gradient",
    default=None,
    help="Defocus gradient across the tilted specimen [on].",
)
@click.option("--ctf/--no-ctf", default=None, help="Apply the CTF [on].")
@click.option("--phase-flip/--no-phase-flip", default=None, help="CTF correction [on].")
@click.option("--write-noisefree", is_flag=True, default=None, help="Also write noise-free series.")
@_option("placement_attempts", click.IntRange(min=1), "Placement tries per particle.")
@click.option(
    "--preset",
    type=click.Choice(sorted(PRESETS)),
    default=None,
    help="Start from a preset (legacy = default, shrec19, realistic); options override it.",
)
@click.option(
    "--templates",
    type=click.Choice(CHOICES["templates"]),
    default=None,
    help="Template set (shrec19: 3d2f, 3gl1 from their asymmetric unit) [assembly].",
)
@click.option(
    "--spacing",
    type=click.Choice(CHOICES["spacing"]),
    default=None,
    help="Placement rule (shrec19_boxes: SHREC'19 boxes never overlap) [footprint].",
)
@_option("dose_per_tilt", float, "Electron dose per tilt, e/Å² (Poisson noise).")
@click.option(
    "--tilt-order",
    type=click.Choice(CHOICES["tilt_order"]),
    default=None,
    help="Acquisition order of the tilts [sequential].",
)
@click.option(
    "--exposure-filter/--no-exposure-filter",
    default=None,
    help="Beam damage and its exposure filter (with a dose) [off].",
)
@click.option(
    "--detector",
    type=click.Choice(CHOICES["detector"]),
    default=None,
    help="Detector model [ideal].",
)
@_option("thickness_variation", float, "Ice surfaces sink by up to this fraction of the slab.")
@_option("fiducials", click.IntRange(min=0), "Gold fiducials (distractors, not ground truth).")
@_option("vesicles", click.IntRange(min=0), "Lipid vesicles (distractors, not ground truth).")
@click.option(
    "--index",
    type=click.IntRange(min=0),
    default=None,
    help="Simulate only tomogram INDEX into OUT (no dataset.json).",
)
@click.option(
    "--test-seed",
    type=click.IntRange(min=0),
    default=None,
    help="Secret seed of the hidden test tomograms (the last ones); the public --seed then "
    "rebuilds only the training tomograms. Keep it private: it rebuilds the test's ground truth.",
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def simulate(
    out_dir: Path,
    shape: str | None,
    index: int | None,
    test_seed: int | None,
    quiet: bool,
    preset: str | None,
    **given: Any,
) -> None:
    """Simulate a SHREC-style dataset: OUT/model_0 ... OUT/model_{T-1} and OUT/dataset.json."""
    values = {name: value for name, value in given.items() if value is not None}
    if shape is not None:
        try:
            values["shape"] = tuple(int(part) for part in shape.split(","))
        except ValueError:
            raise click.BadParameter(
                f"expected Z,Y,X integers, got {shape!r}", param_hint="--shape"
            ) from None
    try:
        if preset is not None:
            params = SimulationParameters.from_preset(preset, **values)
        else:
            params = SimulationParameters(**values)
    except ValueError as error:
        raise click.ClickException(f"invalid settings: {error}") from None
    bars = None if quiet else _StageBars(1 if index is not None else params.tomograms)
    try:
        if index is not None:
            secret = test_seed if params.is_test(index) else None
            summary: dict[str, Any] = simulate_tomogram(
                out_dir, params, index=index, progress=bars, secret_seed=secret
            )
        else:
            summary = simulate_dataset(out_dir, params, progress=bars, test_seed=test_seed)
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    finally:
        if bars is not None:
            bars.close()
    if index is None:
        counts = ", ".join(
            f"{entry['name']}: {entry['particles']}" for entry in summary["tomograms"]
        )
        click.echo(f"wrote {params.tomograms} tomograms to {out_dir} (particles {counts})")
    else:
        click.echo(json.dumps({"name": summary["name"], "particles": summary["particles"]}))
