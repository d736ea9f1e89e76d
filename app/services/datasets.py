"""Dataset versions: which one is active, where its files are, generating and registering one.

The hidden test tomogram's folder is only ever read by the scoring worker; no route serves it.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion, User, utcnow
from app.services.errors import Conflict, NotFound

log = logging.getLogger(__name__)

MANIFEST = "dataset.json"


class ManifestError(ValueError):
    """A dataset folder whose `dataset.json` is missing or does not name a test tomogram."""


def active_dataset(db: Session) -> DatasetVersion | None:
    """The active, ready dataset version submissions are scored against, if any."""
    query = select(DatasetVersion).where(
        DatasetVersion.is_active.is_(True), DatasetVersion.status == DatasetStatus.READY
    )
    return db.scalar(query)


def get_dataset(db: Session, version_id: int) -> DatasetVersion:
    """A dataset version by id.

    Raises:
        NotFound: if there is none with that id.
    """
    version = db.get(DatasetVersion, version_id)
    if version is None:
        raise NotFound(f"dataset version {version_id} not found")
    return version


def list_datasets(db: Session) -> list[DatasetVersion]:
    """All dataset versions, newest first."""
    return list(db.scalars(select(DatasetVersion).order_by(DatasetVersion.id.desc())))


def dataset_folder(settings: Settings, version: DatasetVersion) -> Path:
    """The folder holding a version's tomograms."""
    return settings.datasets_dir / version.path


def ground_truth_folder(settings: Settings, version: DatasetVersion) -> Path:
    """The folder of the version's hidden test tomogram (never served)."""
    return dataset_folder(settings, version) / version.test_tomogram


def read_manifest(folder: Path) -> tuple[dict[str, Any], str]:
    """The per-tomogram file checksums of a dataset folder and the test tomogram's name.

    Raises:
        ManifestError: if `dataset.json` is missing, unreadable or names no test tomogram.
    """
    try:
        manifest = json.loads((folder / MANIFEST).read_text())
        tomograms = manifest["tomograms"]
        files = {
            entry["name"]: {"role": entry["role"], "files": entry["files"]} for entry in tomograms
        }
        tests = [entry["name"] for entry in tomograms if entry["role"] == "test"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{folder / MANIFEST}: unreadable manifest ({error})") from error
    if len(tests) != 1:
        raise ManifestError(f"{folder / MANIFEST}: expected one test tomogram, found {len(tests)}")
    return files, tests[0]


def activate_dataset(db: Session, version: DatasetVersion) -> None:
    """Make `version` the only active version (flushed, not committed).

    Raises:
        Conflict: if the version is not ready.
    """
    if version.status != DatasetStatus.READY:
        raise Conflict(f"dataset version {version.id} is {version.status}, not ready")
    db.execute(
        update(DatasetVersion).where(DatasetVersion.id != version.id).values(is_active=False)
    )
    db.flush()
    version.is_active = True
    db.flush()


def create_dataset_version(
    db: Session,
    *,
    name: str,
    parameters: dict[str, Any],
    seed: int,
    triggered_by: User | None = None,
) -> DatasetVersion:
    """A new `queued` version whose files will be written to `datasets/v<id>` (committed).

    Raises:
        Conflict: if the name is taken.
    """
    if db.scalar(select(DatasetVersion.id).where(DatasetVersion.name == name)) is not None:
        raise Conflict(f"a dataset version named {name!r} already exists")
    version = DatasetVersion(
        name=name,
        parameters=parameters,
        seed=seed,
        triggered_by_id=triggered_by.id if triggered_by else None,
    )
    db.add(version)
    db.flush()
    version.path = f"v{version.id}"
    db.commit()
    return version


def complete_dataset_version(
    db: Session, settings: Settings, version: DatasetVersion, *, activate: bool
) -> DatasetVersion:
    """Record the files of a generated version, checksum its ground truth, mark it ready.

    Raises:
        ManifestError: if the folder has no usable manifest.
        ValueError, OSError: if the test ground truth cannot be loaded.
    """
    from evaluation import load_ground_truth

    folder = dataset_folder(settings, version)
    files, test_tomogram = read_manifest(folder)
    version.files = files
    version.test_tomogram = test_tomogram
    version.ground_truth_checksum = load_ground_truth(folder / test_tomogram).checksum
    version.status = DatasetStatus.READY
    version.progress = 1.0
    version.finished_at = utcnow()
    db.flush()
    if activate:
        activate_dataset(db, version)
    db.commit()
    return version


ProgressCallback = Callable[[str, float], None]


def generate_dataset(
    factory: sessionmaker[Session], settings: Settings, version_id: int, *, activate: bool = True
) -> DatasetVersion:
    """Simulate a queued version's tomograms and register them (status kept up to date).

    Raises:
        NotFound: if the version does not exist.
        Exception: whatever the simulator raises, after recording it as the version's error.
    """
    from simulation import SimulationParameters, simulate_dataset

    with factory() as db:
        version = get_dataset(db, version_id)
        version.status = DatasetStatus.GENERATING
        version.started_at = utcnow()
        version.progress = 0.0
        db.commit()
        folder = dataset_folder(settings, version)
        shutil.rmtree(folder, ignore_errors=True)  # a re-run starts clean

        def record_progress(stage: str, fraction: float) -> None:
            with factory() as progress_db:
                progress_db.execute(
                    update(DatasetVersion)
                    .where(DatasetVersion.id == version_id)
                    .values(progress=max(0.0, min(fraction, 1.0)))
                )
                progress_db.commit()

        try:
            parameters = SimulationParameters(**version.parameters, seed=version.seed)
            manifest = simulate_dataset(folder, parameters, progress=record_progress)
            version.simulator_version = str(manifest["simulator_version"])
            return complete_dataset_version(db, settings, version, activate=activate)
        except Exception as error:
            db.rollback()
            version.status = DatasetStatus.FAILED
            version.error = f"{type(error).__name__}: {error}"
            version.finished_at = utcnow()
            db.commit()
            log.exception("dataset version %s failed", version_id)
            raise
