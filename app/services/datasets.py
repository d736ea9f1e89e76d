"""Dataset versions: which one is active, where its files are, generating and registering one.

The hidden test tomogram's folder is only ever read by the scoring worker; no route serves it.
"""

from __future__ import annotations

import json
import logging
import shutil
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion, Phase, PhaseKind, User, utcnow
from app.services.errors import Conflict, NotFound
from app.services.generation import GenerationCancelled, ProgressRecorder, claim_for_generation
from app.services.hidden_test import hidden_test_seed

log = logging.getLogger(__name__)

MANIFEST = "dataset.json"
# the continuous phase a version gets when it is first activated without one
DEVELOPMENT = "development"


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
    """The folder of the version's (first) hidden test tomogram (never served); the test
    tomograms of a version share one voxel size and shape, the frame uploads are read in."""
    return dataset_folder(settings, version) / version.test_tomogram


def hidden_test_names(version: DatasetVersion) -> list[str]:
    """The names of the version's hidden test tomograms, in order (one for most versions)."""
    if version.test_tomograms:
        return list(version.test_tomograms)
    return [version.test_tomogram] if version.test_tomogram else []


def ground_truth_folders(settings: Settings, version: DatasetVersion) -> dict[str, Path]:
    """The folder of each hidden test tomogram of the version, by name (never served)."""
    folder = dataset_folder(settings, version)
    return {name: folder / name for name in hidden_test_names(version)}


def read_manifest(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """The per-tomogram file checksums of a dataset folder and the test tomograms' names
    (one or more, in manifest order).

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
        listed = manifest.get("test_tomograms")  # their order, when the manifest gives it
        if isinstance(listed, list) and sorted(listed) == sorted(tests):
            tests = [str(name) for name in listed]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ManifestError(f"{folder / MANIFEST}: unreadable manifest ({error})") from error
    if not tests:
        raise ManifestError(f"{folder / MANIFEST}: no tomogram has the role 'test'")
    return files, tests


def activate_dataset(db: Session, version: DatasetVersion) -> None:
    """Make `version` the only active version (flushed, not committed); the open continuous
    phases of the version active until now are closed (app/services/closing.py).

    Raises:
        Conflict: if the version is not ready.
    """
    if version.status != DatasetStatus.READY:
        raise Conflict(f"dataset version {version.id} is {version.status}, not ready")
    from app.services.closing import close_phase

    # the previous version's development phases close with it: frozen, private revealed
    # (its editions keep their own closing time; they take no uploads meanwhile)
    ending = (
        select(Phase)
        .join(DatasetVersion)
        .where(
            DatasetVersion.is_active.is_(True),
            DatasetVersion.id != version.id,
            Phase.kind == PhaseKind.CONTINUOUS,
            Phase.closed_at.is_(None),
        )
    )
    for phase in list(db.scalars(ending)):
        close_phase(db, phase, commit=False)
    db.execute(
        update(DatasetVersion).where(DatasetVersion.id != version.id).values(is_active=False)
    )
    db.flush()
    version.is_active = True
    version.released_at = version.released_at or utcnow()
    # a version released without a phase gets the open-ended one uploads default to
    if db.scalar(select(Phase.id).where(Phase.dataset_version_id == version.id)) is None:
        db.add(Phase(dataset_version_id=version.id, name=DEVELOPMENT, kind=PhaseKind.CONTINUOUS))
    db.flush()


def activate_version(db: Session, version_id: int) -> DatasetVersion:
    """An admin's activation of version `version_id` (committed): see `activate_dataset`.

    Raises:
        NotFound: if there is no such version.
        Conflict: if it is not ready.
    """
    version = get_dataset(db, version_id)
    activate_dataset(db, version)
    db.commit()
    return version


def create_dataset_version(
    db: Session,
    *,
    name: str | None,
    parameters: dict[str, Any],
    seed: int,
    triggered_by: User | None = None,
) -> DatasetVersion:
    """A new `queued` version whose files will be written to `datasets/v<id>` (committed).

    Without a name the version is called `v<id>`, like its folder.

    Raises:
        Conflict: if the name is taken.
    """
    if name is not None and db.scalar(select(DatasetVersion.id).where(DatasetVersion.name == name)):
        raise Conflict(f"a dataset version named {name!r} already exists")
    version = DatasetVersion(
        name=name or f"unnamed-{uuid.uuid4().hex}",  # unique until the id is known
        parameters=parameters,
        seed=seed,
        triggered_by_id=triggered_by.id if triggered_by else None,
    )
    db.add(version)
    db.flush()
    version.path = f"v{version.id}"
    if name is None:
        version.name = version.path
    db.commit()
    return version


def complete_dataset_version(
    db: Session, settings: Settings, version: DatasetVersion, *, activate: bool
) -> DatasetVersion:
    """Record the files of a generated version, checksum its hidden test (all its test
    tomograms together), mark it ready.

    Raises:
        ManifestError: if the folder has no usable manifest.
        ValueError, OSError: if the test ground truth cannot be loaded.
    """
    from app.services.scoring import load_hidden_test

    folder = dataset_folder(settings, version)
    files, tests = read_manifest(folder)
    version.files = files
    version.test_tomogram = tests[0]
    version.test_tomograms = tests
    hidden = load_hidden_test({name: folder / name for name in tests}, version.profile)
    version.ground_truth_checksum = hidden.checksum
    version.status = DatasetStatus.READY
    version.progress = 1.0
    version.finished_at = utcnow()
    db.flush()
    if activate:
        activate_dataset(db, version)
    db.commit()
    return version


INTERRUPTED = (
    "the simulation was interrupted (its worker process died); its partial files were "
    "removed, generate a new version to try again"
)


def generate_dataset(
    factory: sessionmaker[Session],
    settings: Settings,
    version_id: int,
    *,
    activate: bool = True,
    restart_interrupted: bool = False,
) -> DatasetVersion:
    """Simulate a queued version's tomograms and register them (status kept up to date).

    A version that is no longer pending (cancelled, or done already) is left as it is.
    A failed or cancelled run leaves no files behind and the active version untouched.
    A version found `generating` was interrupted (its task is re-delivered after its worker
    died): it is failed and cleaned up, since what killed the worker (memory, say) would
    likely kill a re-run too, unless `restart_interrupted` asks to simulate it again.

    Raises:
        NotFound: if the version does not exist.
        GenerationBusy: if another version is generating (try again later).
        Exception: whatever the simulator raises, after recording it as the version's error.
    """
    from simulation import SimulationParameters, simulate_dataset

    with factory() as db:
        version = get_dataset(db, version_id)
        if version.status == DatasetStatus.GENERATING and not restart_interrupted:
            log.error("dataset version %s was interrupted; marking it failed", version_id)
            shutil.rmtree(dataset_folder(settings, version), ignore_errors=True)
            version.status = DatasetStatus.FAILED  # only once nothing of it is left
            version.error = INTERRUPTED
            version.finished_at = utcnow()
            db.commit()
            return version
        if not claim_for_generation(db, version):
            log.info("dataset version %s is %s; not generating it", version_id, version.status)
            return version
        folder = dataset_folder(settings, version)
        shutil.rmtree(folder, ignore_errors=True)  # a re-run starts clean
        try:
            parameters = SimulationParameters(**version.parameters, seed=version.seed)
            manifest = simulate_dataset(
                folder,
                parameters,
                progress=ProgressRecorder(factory, version_id),
                test_seed=hidden_test_seed(version),
            )
            db.refresh(version, with_for_update=True)  # a cancel may have come in meanwhile
            if version.status != DatasetStatus.GENERATING:
                raise GenerationCancelled(f"dataset version {version_id} was cancelled")
            version.simulator_version = str(manifest["simulator_version"])
            version.stage = "done"
            return complete_dataset_version(db, settings, version, activate=activate)
        except GenerationCancelled:
            db.rollback()
            shutil.rmtree(folder, ignore_errors=True)
            log.info("dataset version %s was cancelled during generation", version_id)
            db.refresh(version)
            return version
        except Exception as error:
            db.rollback()
            shutil.rmtree(folder, ignore_errors=True)
            version.status = DatasetStatus.FAILED
            version.error = f"{type(error).__name__}: {error}"
            version.finished_at = utcnow()
            db.commit()
            log.exception("dataset version %s failed", version_id)
            raise


def rebuild_dataset(version: DatasetVersion, out_dir: Path) -> list[str]:
    """Simulate a ready version again from the server's records (its public seed and
    settings, and its test secret) into `out_dir`; the recorded files whose bytes differ.

    An empty list proves the version is reproducible byte for byte by its organizers.

    Raises:
        Conflict: if the version is not ready (nothing recorded to compare with).
        ValueError: for settings the simulator refuses.
    """
    from simulation import SimulationParameters, simulate_dataset
    from simulation.output import file_record

    if version.status != DatasetStatus.READY:
        raise Conflict(f"dataset version {version.id} is {version.status}, not ready")
    parameters = SimulationParameters(**version.parameters, seed=version.seed)
    simulate_dataset(out_dir, parameters, test_seed=hidden_test_seed(version))
    differing = []
    for tomogram, entry in sorted(version.files.items()):
        for name, record in sorted(entry["files"].items()):
            path = out_dir / tomogram / name
            rebuilt = file_record(path) if path.is_file() else None
            if rebuilt is None or rebuilt["sha256"] != record["sha256"]:
                differing.append(f"{tomogram}/{name}")
    return differing
