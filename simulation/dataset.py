"""A dataset: N tomograms (the last ``test_tomograms`` the hidden test) plus dataset.json."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from simulation import layout
from simulation.output import file_record, write_json
from simulation.parameters import SimulationParameters
from simulation.progress import ProgressCallback, scaled
from simulation.tilt_operator import TiltOperator
from simulation.tomogram import simulate_tomogram, tomogram_name
from simulation.version import SIMULATOR_VERSION


def simulate_dataset(
    out_dir: str | Path,
    params: SimulationParameters,
    *,
    progress: ProgressCallback | None = None,
    test_seed: int | None = None,
) -> dict[str, Any]:
    """Simulate ``params.tomograms`` tomograms into out_dir/model_0 ... and write dataset.json.

    The last ``params.test_tomograms`` tomograms (one by default) are the hidden test
    (``role`` "test"), the others are for training ("train"). Progress is reported as
    ("model_i: stage", overall fraction 0..1, monotone). Only ``created`` in dataset.json
    depends on the clock.

    ``params.seed`` is public: it rebuilds the training tomograms. Give ``test_seed``, a
    secret (e.g. 256 bits), to simulate the test tomograms from it instead, so that nobody
    who knows the public settings can rebuild their ground truth; it is written nowhere.

    Returns the content of dataset.json.

    Raises:
        ValueError: for settings that cannot be simulated (see ``simulate_tomogram``).
    """
    folder = Path(out_dir)
    folder.mkdir(parents=True, exist_ok=True)
    operator = TiltOperator(params.volume_shape, params.tilt_angles())
    entries = []
    for index in range(params.tomograms):
        name = tomogram_name(index)
        report = scaled(progress, index / params.tomograms, 1 / params.tomograms, name)
        metadata = simulate_tomogram(
            folder / name,
            params,
            index=index,
            progress=report,
            operator=operator,
            secret_seed=test_seed if params.is_test(index) else None,
        )
        entries.append(tomogram_entry(folder / name, metadata))
    content = write_manifest(folder, params, entries, secret_test=test_seed is not None)
    if progress is not None:
        progress("done", 1.0)
    return content


def tomogram_entry(folder: Path, metadata: dict[str, Any]) -> dict[str, Any]:
    """The ``dataset.json`` entry of a tomogram simulated into ``folder`` (its metadata.json
    checksummed too)."""
    files = dict(metadata["files"])
    files[layout.METADATA] = file_record(folder / layout.METADATA)
    return {
        "name": metadata["name"],
        "role": metadata["role"],
        "particles": metadata["particles"],
        "class_counts": metadata["class_counts"],
        "files": files,
    }


def write_manifest(
    folder: Path, params: SimulationParameters, entries: list[dict[str, Any]], *, secret_test: bool
) -> dict[str, Any]:
    """Write ``dataset.json`` for the tomogram ``entries`` (``tomogram_entry``, in index order);
    ``secret_test`` says the test tomograms came from a secret seed. Returns its content."""
    tests = [entry["name"] for entry in entries if entry["role"] == "test"]
    content: dict[str, Any] = {
        "simulator_version": SIMULATOR_VERSION,
        "seed": params.seed,
        "test_seed": "secret" if secret_test else "public",
        "parameters": params.to_dict(),
        "tomograms": entries,
        # the first test's name, as when there was only one; all of them below
        "test_tomogram": tests[0],
        "test_tomograms": tests,
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    write_json(folder / layout.DATASET, content)
    return content
