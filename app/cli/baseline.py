"""`tomobench baseline train|predict NAME ...`: the reference pickers from the command line.

A thin shell over `baselines.train` and `baselines.predict`: progress shows as a bar (per epoch,
tile or rotation batch), and bad input ends in a one-line error instead of a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from tqdm import tqdm

import baselines


class _ProgressBar:
    """A percent bar whose postfix shows the latest progress message."""

    def __init__(self, description: str) -> None:
        self.bar: tqdm[Any] = tqdm(total=100, desc=description, unit="%")

    def __call__(self, message: str, fraction: float) -> None:
        self.bar.set_postfix_str(message, refresh=False)
        self.bar.update(max(0, round(100 * fraction) - self.bar.n))

    def close(self) -> None:
        self.bar.close()


def _run(description: str, action: Callable[[_ProgressBar], Path]) -> Path:
    """Run `action` with a progress bar; BaselineError and file errors become one line."""
    bar = _ProgressBar(description)
    try:
        return action(bar)
    except (baselines.BaselineError, OSError) as error:
        raise click.ClickException(str(error)) from None
    except ModuleNotFoundError as error:
        if (error.name or "").partition(".")[0] != "torch":
            raise
        raise click.ClickException(
            "the baselines need PyTorch: pip install 'tomobench[baselines]'"
        ) from None
    finally:
        bar.close()


name_argument = click.argument("name", type=click.Choice(baselines.NAMES))


def _path_option(flag: str, text: str, *, exists: bool, folder: bool) -> Callable[[Any], Any]:
    """A required path option: an existing or new file, or an existing folder."""
    kind = click.Path(exists=exists, file_okay=not folder, dir_okay=folder, path_type=Path)
    return click.option(flag, required=True, type=kind, help=text)


@click.group()
def baseline() -> None:
    """Train the reference baselines (dog, template, unet) and pick particles with them."""


@baseline.command()
@name_argument
@_path_option(
    "--dataset",
    "Dataset folder (with dataset.json); trains on its training tomograms.",
    exists=True,
    folder=True,
)
@_path_option("--model-out", "Model file to write.", exists=False, folder=False)
@click.option(
    "--config",
    type=click.Choice(["auto", "cpu", "gpu"]),
    default="auto",
    show_default=True,
    help="Preset: reduced for the CPU, full for a GPU, or chosen by the device.",
)
@click.option("--seed", type=int, default=0, show_default=True, help="Random seed.")
def train(name: str, dataset: Path, model_out: Path, config: str, seed: int) -> None:
    """Train baseline NAME on the training tomograms of a dataset."""
    path = _run(
        f"train {name}",
        lambda bar: baselines.train(
            name, dataset, model_out, config=config, seed=seed, progress=bar
        ),
    )
    click.echo(f"{path}: weights sha256 {baselines.weights_checksum(path)}")


@baseline.command()
@name_argument
@_path_option(
    "--model", "Model file written by `tomobench baseline train`.", exists=True, folder=False
)
@_path_option("--tomogram", "Tomogram folder (with reconstruction.mrc).", exists=True, folder=True)
@_path_option("--out", "Submission file to write (native format).", exists=False, folder=False)
def predict(name: str, model: Path, tomogram: Path, out: Path) -> None:
    """Pick particles in a tomogram with a trained baseline NAME; write a submission."""
    path = _run(
        f"predict {name}",
        lambda bar: baselines.predict(name, model, tomogram, out, progress=bar),
    )
    picks = sum(1 for line in path.read_text().splitlines() if not line.startswith("#"))
    click.echo(f"{path}: {picks} picks")
