"""A dataset version from a local copick project (real data included).

The version is scored with one of two profiles (``profile``; ``auto``, the default, takes
``native`` when every particle object is one of the native profile's twelve classes, as in a
project tomobench exported, and ``czii`` otherwise, as for the CZII challenge's data):

- ``native``: each run becomes a tomogram folder in the native layout: ``reconstruction.mrc``
  (the run's tomogram at its voxel spacing, level 0 of the OME-Zarr),
  ``particle_locations.txt`` (every pick of a particle object, in voxels, with its pose as
  native ZXZ angles), ``occupancy_mask.mrc`` (the hitbox: a sphere of the object's radius
  around each pick, CZII-style; where spheres meet, the later pick wins) and
  ``class_mask.mrc``.
- ``czii``: the Kaggle CZII score (evaluation/czii.py), points in Å. A test run's folder
  holds ``reconstruction.mrc`` and its hidden reference points (``solution.csv``); a
  training run's holds its picks as the same CSV (``picks.csv``) and the masks above, the
  class mask numbering the project's particle objects in order. Each run's ``metadata.json``
  carries the table (radius per object from the project, else the competition's; weight
  the competition's, else 1; multiplier 0.5; beta 4).

The runs named as tests (one or more) are the hidden test; the others, when they have
picks, are for training.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from evaluation.classes import CLASSES
from evaluation.czii import (
    CZII_TABLE,
    PARAMETERS_KEY,
    PICKS,
    SOLUTION,
    CziiParameters,
    CziiPoints,
    points_csv,
)
from evaluation.layout import CLASS_MASK, OCCUPANCY_MASK, PARTICLE_LOCATIONS, RECONSTRUCTION
from simulation.layout import DATASET, METADATA

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from app.core.config import Settings
    from app.models import DatasetVersion, User


class CopickImportError(ValueError):
    """The project cannot become a dataset version (the message says why)."""


AUTO = "auto"
NATIVE = "native"
CZII = "czii"
IMPORT_PROFILES = (AUTO, CZII, NATIVE)


@dataclass(frozen=True)
class ImportedRun:
    """One run as imported: its name, role, voxel spacing (Å), shape and particle count."""

    name: str
    role: str
    voxel_size: float
    shape: tuple[int, int, int]
    particles: int


@dataclass(frozen=True)
class ImportedProject:
    """What an import wrote: its runs and the profile the version is scored with."""

    runs: list[ImportedRun]
    profile: str


def import_copick_project(
    config: Path,
    out: Path,
    tests: list[str],
    *,
    voxel_spacing: float | None = None,
    profile: str = AUTO,
) -> ImportedProject:
    """Write the dataset folder ``out`` (the profile's layout, ``dataset.json``) from the
    copick project whose config is ``config``.

    Raises:
        CopickImportError: no such test run, a run without a tomogram or without picks, an
            object that is not a class of the native profile (when native is asked), an
            object without a radius (czii), an unknown profile.
    """
    from app.services.copick_library import load_copick

    copick = load_copick()

    tests = hidden_runs(tests)
    if profile not in IMPORT_PROFILES:
        raise CopickImportError(
            f"unknown profile {profile!r} (choose one of {', '.join(IMPORT_PROFILES)})"
        )
    root = copick.from_string(json.dumps(_anchored(config)))
    particles = {o.name: o for o in root.pickable_objects if o.is_particle}
    unknown = sorted(name for name in particles if name.lower() not in CLASSES)
    if profile == AUTO:
        profile = CZII if unknown or not particles else NATIVE
    if unknown and profile == NATIVE:
        raise CopickImportError(
            f"objects {', '.join(unknown)} are not classes of the native profile "
            f"({', '.join(CLASSES)}); import the project with the czii profile"
        )
    table = _czii_table(particles) if profile == CZII else None
    runs = {run.name: run for run in root.runs}
    missing = [name for name in tests if name not in runs]
    if missing:
        raise CopickImportError(f"no run {missing[0]!r} in the project (runs: {', '.join(runs)})")
    out.mkdir(parents=True)
    imported = []
    manifest = []
    for name, run in runs.items():
        role = "test" if name in tests else "train"
        done = _import_run(run, particles, out / name, voxel_spacing, role=role, table=table)
        if done is None:  # a run without picks teaches nothing: left out
            continue
        imported.append(ImportedRun(name, role, *done))
        metadata: dict[str, Any] = {
            "name": name,
            "role": role,
            "source": "copick",
            "voxel_size_a": done[0],
        }
        if table is not None:
            metadata[PARAMETERS_KEY] = table.document()
        (out / name / METADATA).write_text(json.dumps(metadata, indent=2) + "\n")
        manifest.append({"name": name, "role": role, "files": _records(out / name)})
    document = {"tomograms": manifest, "test_tomograms": tests, "profile": profile}
    (out / DATASET).write_text(json.dumps(document, indent=2) + "\n")
    return ImportedProject(imported, profile)


def _czii_table(particles: dict[str, Any]) -> CziiParameters:
    """The version's CZII table: each particle object's radius from the project (else the
    competition's), its weight the competition's (else 1).

    Raises:
        CopickImportError: no particle object, or one with no radius anywhere.
    """
    if not particles:
        raise CopickImportError("the project has no particle objects to score")
    radii: dict[str, float] = {}
    weights: dict[str, float] = {}
    for obj in particles.values():
        name = obj.name.lower()
        known = CZII_TABLE.get(name)
        radius = float(obj.radius) if obj.radius else (known[0] if known else 0.0)
        if not radius > 0:
            raise CopickImportError(f"object {obj.name!r} has no radius (Å) in the project")
        radii[name] = radius
        weights[name] = known[1] if known else 1.0
    try:
        return CziiParameters(radii=radii, weights=weights)
    except ValueError as error:
        raise CopickImportError(f"the objects make no CZII table: {error}") from None


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
    role: str,
    table: CziiParameters | None,
) -> tuple[float, tuple[int, int, int], int] | None:
    """Write one run's folder; (voxel size Å, shape, picks), or None for a training run
    without picks."""
    from scipy.spatial.transform import Rotation

    if not any(picks.pickable_object_name in particles for picks in run.picks):
        if role == "test":
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
    names: list[str] = []
    centres: list[np.ndarray] = []
    angstroms: list[np.ndarray] = []  # the picks as the project holds them (czii)
    radii: list[float] = []
    classes: list[int] = []
    # the class mask numbers the native classes, or the project's objects in order (czii)
    numbering = CLASSES if table is None else [name.lower() for name in particles]
    for picks in run.picks:
        obj = particles.get(picks.pickable_object_name)
        if obj is None:
            continue
        positions, transforms = picks.numpy()
        with warnings.catch_warnings():  # identity poses (no orientation picked) are common
            warnings.filterwarnings("ignore", "Gimbal lock", UserWarning)
            angles = Rotation.from_matrix(transforms[:, :3, :3]).as_euler("ZXZ", degrees=True)
        name = obj.name.lower()
        radius = table.radii[name] if table is not None else float(obj.radius or 0.0)
        angstroms.append(np.asarray(positions, dtype=np.float64).reshape(-1, 3))
        for position, angle in zip(positions / size, angles, strict=True):
            lines.append(" ".join([name, *(f"{v:.3f}" for v in (*position, *angle))]))
            names.append(name)
            centres.append(position)
            radii.append(radius / size)
            classes.append(numbering.index(name) + 1)
    folder.mkdir(parents=True)
    if table is not None:
        points = CziiPoints(
            [run.name] * len(names),
            names,
            np.concatenate(angstroms),
            list(range(1, len(names) + 1)),
        )
        (folder / (SOLUTION if role == "test" else PICKS)).write_text(points_csv(points))
        if role == "test":  # scored from its points: no masks to make
            _write_mrc(folder / RECONSTRUCTION, volume, size)
            return size, shape, len(names)
    # MRC has no 32-bit integers: whole float labels beyond int16 (the evaluator reads both)
    occupancy = np.zeros(shape, dtype=np.int16 if len(lines) < 32767 else np.float32)
    class_mask = np.zeros(shape, dtype=np.int8)
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    for label, (centre, radius, index) in enumerate(zip(centres, radii, classes, strict=True), 1):
        inside = (x - centre[0]) ** 2 + (y - centre[1]) ** 2 + (z - centre[2]) ** 2
        ball = inside <= max(radius, 1.0) ** 2
        occupancy[ball] = label
        class_mask[ball] = index
    for file_name, data in (
        (RECONSTRUCTION, volume),
        (OCCUPANCY_MASK, occupancy),
        (CLASS_MASK, class_mask),
    ):
        _write_mrc(folder / file_name, data, size)
    if table is None:
        (folder / PARTICLE_LOCATIONS).write_text("\n".join(lines) + "\n")
    return size, shape, len(lines)


def _write_mrc(path: Path, data: np.ndarray, voxel_size: float) -> None:
    import mrcfile

    with mrcfile.new(path) as mrc:
        mrc.set_data(data)
        mrc.voxel_size = voxel_size


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
    profile: str = AUTO,
    activate: bool = False,
    triggered_by: User | None = None,
) -> tuple[DatasetVersion, list[ImportedRun]]:
    """Register a dataset version made from the copick project at ``project`` (its config
    or the folder holding ``copick_config.json``), scored with ``profile`` (``auto``: see
    the module). A refused import leaves the version ``failed`` with the reason, and no
    files.

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
        imported = import_copick_project(
            config, folder, list(tests), voxel_spacing=voxel_spacing, profile=profile
        )
        version.profile = imported.profile
        complete_dataset_version(db, settings, version, activate=activate)
    except (CopickImportError, ValueError, OSError) as error:
        db.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        version.status = DatasetStatus.FAILED
        version.error = f"cannot import {config}: {error}"
        db.commit()
        raise InvalidInput(f"project: {version.error}") from error
    return version, imported.runs
