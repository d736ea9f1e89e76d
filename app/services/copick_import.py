"""A dataset version from a local copick project (real data included).

Each run becomes a tomogram folder in the native layout: ``reconstruction.mrc`` (the run's
tomogram at its voxel spacing, level 0 of the OME-Zarr), ``particle_locations.txt`` (every
pick of a particle object, in voxels, with its pose as native ZXZ angles),
``occupancy_mask.mrc`` (the hitbox: a sphere of the object's radius around each pick,
CZII-style; where spheres meet, the later pick wins) and ``class_mask.mrc``. The runs named
as tests (one or more) are the hidden test; the others, when they have picks, are for
training. The objects
must be classes of the native profile (a project exported by tomobench is); other objects
are refused with their names, since the scoring worker scores versions with the native
profile.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.classes import CLASSES
from evaluation.layout import CLASS_MASK, OCCUPANCY_MASK, PARTICLE_LOCATIONS, RECONSTRUCTION
from simulation.layout import DATASET, METADATA

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.core.config import Settings
    from app.models import DatasetVersion, User


class CopickImportError(ValueError):
    """The project cannot become a dataset version (the message says why)."""


@dataclass(frozen=True)
class ImportedRun:
    """One run as imported: its name, role, voxel spacing (Å), shape and particle count."""

    name: str
    role: str
    voxel_size: float
    shape: tuple[int, int, int]
    particles: int


def import_copick_project(
    config: Path, out: Path, tests: list[str], *, voxel_spacing: float | None = None
) -> list[ImportedRun]:
    """Write the dataset folder ``out`` (native layout, ``dataset.json``) from the copick
    project whose config is ``config``.

    Raises:
        CopickImportError: no such test run, a run without a tomogram or without picks, an
            object that is not a class of the native profile, several voxel spacings.
    """
    from app.services.copick_library import load_copick

    copick = load_copick()

    tests = hidden_runs(tests)
    root = copick.from_string(json.dumps(_anchored(config)))
    particles = {o.name: o for o in root.pickable_objects if o.is_particle}
    unknown = sorted(name for name in particles if name.lower() not in CLASSES)
    if unknown:
        raise CopickImportError(
            f"objects {', '.join(unknown)} are not classes of the native profile "
            f"({', '.join(CLASSES)}); score such projects offline with --profile czii"
        )
    runs = {run.name: run for run in root.runs}
    missing = [name for name in tests if name not in runs]
    if missing:
        raise CopickImportError(f"no run {missing[0]!r} in the project (runs: {', '.join(runs)})")
    out.mkdir(parents=True)
    imported = []
    manifest = []
    for name, run in runs.items():
        role = "test" if name in tests else "train"
        done = _import_run(run, particles, out / name, voxel_spacing, required=role == "test")
        if done is None:  # a run without picks teaches nothing: left out
            continue
        imported.append(ImportedRun(name, role, *done))
        metadata = {"name": name, "role": role, "source": "copick", "voxel_size_a": done[0]}
        (out / name / METADATA).write_text(json.dumps(metadata, indent=2) + "\n")
        manifest.append({"name": name, "role": role, "files": _records(out / name)})
    document = {"tomograms": manifest, "test_tomograms": tests}  # in the order given
    (out / DATASET).write_text(json.dumps(document, indent=2) + "\n")
    return imported


def split_runs(given: str | list[str]) -> list[str]:
    """The test runs a form or JSON field names: a list, or one text of comma-separated names
    (blank names dropped; ``hidden_runs`` checks what is left)."""
    names = given.split(",") if isinstance(given, str) else given
    return [name.strip() for name in names if name.strip()]


def hidden_runs(tests: list[str]) -> list[str]:
    """The hidden test's runs, as given (one or more, each once, in order).

    Raises:
        CopickImportError: none, an empty name, or a run named twice.
    """
    names = [name.strip() for name in tests]
    if not names or not all(names):
        raise CopickImportError("name the run(s) of the hidden test: one --test per run")
    repeated = sorted({name for name in names if names.count(name) > 1})
    if repeated:
        raise CopickImportError(f"run {repeated[0]!r} is named twice as a test run")
    return names


def _anchored(config: Path) -> dict[str, Any]:
    """The config with relative local roots made absolute from its own folder (copick would
    resolve them from the working directory)."""
    try:
        document: dict[str, Any] = json.loads(config.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CopickImportError(f"{config}: not a readable copick config ({error})") from None
    for key in ("overlay_root", "static_root"):
        root = document.get(key)
        if isinstance(root, str) and root.startswith("local://"):
            path = Path(root.removeprefix("local://"))
            if not path.is_absolute():
                document[key] = "local://" + str((config.parent / path).resolve())
    return document


def _import_run(
    run: Any,
    particles: dict[str, Any],
    folder: Path,
    voxel_spacing: float | None,
    *,
    required: bool,
) -> tuple[float, tuple[int, int, int], int] | None:
    import mrcfile
    from scipy.spatial.transform import Rotation

    if not any(picks.pickable_object_name in particles for picks in run.picks):
        if required:
            raise CopickImportError(f"run {run.name!r} has no picks of a particle object")
        return None
    spacings = [vs for vs in run.voxel_spacings if vs.tomograms]
    if voxel_spacing is not None:
        spacings = [vs for vs in spacings if np.isclose(vs.voxel_size, voxel_spacing)]
    if not spacings:
        raise CopickImportError(f"run {run.name!r} has no tomogram at the voxel spacing asked")
    spacing = min(spacings, key=lambda vs: vs.voxel_size)
    size = float(spacing.voxel_size)
    volume = np.asarray(spacing.tomograms[0].numpy(), dtype=np.float32)
    shape = (int(volume.shape[0]), int(volume.shape[1]), int(volume.shape[2]))
    lines: list[str] = []
    centres: list[np.ndarray] = []
    radii: list[float] = []
    classes: list[int] = []
    for picks in run.picks:
        obj = particles.get(picks.pickable_object_name)
        if obj is None:
            continue
        positions, transforms = picks.numpy()
        angles = Rotation.from_matrix(transforms[:, :3, :3]).as_euler("ZXZ", degrees=True)
        for position, angle in zip(positions / size, angles, strict=True):
            name = obj.name.lower()
            lines.append(" ".join([name, *(f"{v:.3f}" for v in (*position, *angle))]))
            centres.append(position)
            radii.append(float(obj.radius or 0.0) / size)
            classes.append(CLASSES.index(name) + 1)
    # MRC has no 32-bit integers: whole float labels beyond int16 (the evaluator reads both)
    occupancy = np.zeros(shape, dtype=np.int16 if len(lines) < 32767 else np.float32)
    class_mask = np.zeros(shape, dtype=np.int8)
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    for label, (centre, radius, index) in enumerate(zip(centres, radii, classes, strict=True), 1):
        inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2
        ball = inside <= max(radius, 1.0) ** 2
        occupancy[ball] = label
        class_mask[ball] = index
    folder.mkdir(parents=True)
    for file_name, data in (
        (RECONSTRUCTION, volume),
        (OCCUPANCY_MASK, occupancy),
        (CLASS_MASK, class_mask),
    ):
        with mrcfile.new(folder / file_name) as mrc:
            mrc.set_data(data)
            mrc.voxel_size = size
    (folder / PARTICLE_LOCATIONS).write_text("\n".join(lines) + "\n")
    return size, shape, len(lines)


def _records(folder: Path) -> dict[str, dict[str, Any]]:
    records = {}
    for path in sorted(folder.iterdir()):
        data = path.read_bytes()
        records[path.name] = {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
    return records


def import_copick_version(
    db: Session,
    settings: Settings,
    project: Path,
    tests: list[str],
    *,
    name: str | None = None,
    voxel_spacing: float | None = None,
    activate: bool = False,
    triggered_by: User | None = None,
) -> tuple[DatasetVersion, list[ImportedRun]]:
    """Register a dataset version made from the copick project at ``project`` (its config
    or the folder holding ``copick_config.json``). A refused import leaves the version
    ``failed`` with the reason, and no files.

    Raises:
        Conflict: the name is taken.
        InvalidInput: the project cannot become a version (the message says why).
    """
    from app.models import DatasetStatus
    from app.services.datasets import (
        complete_dataset_version,
        create_dataset_version,
        dataset_folder,
    )
    from app.services.errors import InvalidInput

    config = project / "copick_config.json" if project.is_dir() else project
    parameters = {"source": "copick", "project": str(config.resolve()), "tests": list(tests)}
    version = create_dataset_version(
        db, name=name, parameters=parameters, seed=0, triggered_by=triggered_by
    )
    folder = dataset_folder(settings, version)
    try:
        if not config.is_file():
            raise CopickImportError(f"no copick config at {config}")
        runs = import_copick_project(config, folder, list(tests), voxel_spacing=voxel_spacing)
        complete_dataset_version(db, settings, version, activate=activate)
    except (CopickImportError, ValueError, OSError) as error:
        db.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        version.status = DatasetStatus.FAILED
        version.error = f"cannot import {config}: {error}"
        db.commit()
        raise InvalidInput(f"project: {version.error}") from error
    return version, runs
