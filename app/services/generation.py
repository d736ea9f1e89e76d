"""Bookkeeping of one dataset generation: claiming the version, recording progress, cancelling.

Only one version may be `generating` at a time (a unique index in the database), so two
regenerations queue up and never interleave, however many simulation workers run.
"""

from __future__ import annotations

import logging
import shutil
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import DatasetStatus, DatasetVersion, utcnow

log = logging.getLogger(__name__)

PENDING = frozenset({DatasetStatus.QUEUED, DatasetStatus.GENERATING})
# progress is written when it moved this much (or the stage changed), not on every report
PROGRESS_STEP = 0.01
MAX_STAGE = 100


class GenerationBusy(RuntimeError):
    """Another dataset version is being generated; this one waits its turn."""


class GenerationCancelled(RuntimeError):
    """The version was cancelled while it was being generated."""


def claim_for_generation(db: Session, version: DatasetVersion) -> bool:
    """Mark a pending version `generating` (committed); False if it is no longer pending.

    A version found `generating` already (an interrupted run) is claimed again; whether to
    restart it is the caller's choice (`generate_dataset` fails it unless told otherwise).

    Raises:
        GenerationBusy: if another version is generating.
    """
    if version.status not in PENDING:
        return False
    version.status = DatasetStatus.GENERATING
    version.started_at = utcnow()
    version.progress = 0.0
    version.stage = "starting"
    version.error = None
    try:
        db.commit()
    except IntegrityError as error:
        db.rollback()
        raise GenerationBusy(
            f"another dataset version is being generated; version {version.id} waits"
        ) from error
    return True


class ThrottledProgress:
    """A simulator progress callback that stores a report only when its stage changes or
    its fraction has moved by `PROGRESS_STEP` (the simulator reports far more often)."""

    def __init__(self, factory: sessionmaker[Session], version_id: int) -> None:
        self.factory = factory
        self.version_id = version_id
        self.stage = ""
        self.fraction = -1.0

    def __call__(self, stage: str, fraction: float) -> None:
        fraction = max(0.0, min(fraction, 1.0))
        if stage == self.stage and fraction - self.fraction < PROGRESS_STEP:
            return
        self.store(stage, fraction)
        self.stage, self.fraction = stage, fraction

    def store(self, stage: str, fraction: float) -> None:
        """Write one report; raise GenerationCancelled once the version is no longer
        `generating`, which stops the simulator at its next report."""
        raise NotImplementedError

    def cancelled(self) -> GenerationCancelled:
        """The error that stops the simulator of a version no longer generating."""
        return GenerationCancelled(f"dataset version {self.version_id} was cancelled")


class ProgressRecorder(ThrottledProgress):
    """The progress of a version generated in one run: (stage, fraction) on its row."""

    def store(self, stage: str, fraction: float) -> None:
        with self.factory() as db:
            written = db.execute(
                update(DatasetVersion)
                .where(
                    DatasetVersion.id == self.version_id,
                    DatasetVersion.status == DatasetStatus.GENERATING,
                )
                .values(progress=fraction, stage=stage[:MAX_STAGE])
            )
            db.commit()
        if cast("CursorResult[Any]", written).rowcount == 0:
            raise self.cancelled()


# ---------------------------------------------------------------------------------------
# A version generated as one task per tomogram (workers/tasks/simulation.py)
#
# While a version generates, its `files` column holds one entry per tomogram: its role, the
# attempt running it and its progress, then, once simulated, its dataset.json entry. The
# task recording the last entry finalizes the version (docs/simulation.md, "Generation
# spread over workers", says why this count replaces a Celery chord).

FINALIZING = "finalizing"
# a tomogram that failed for a reason other than its settings is simulated again this often
TOMOGRAM_RETRIES = 2


def _locked_version(db: Session, version_id: int) -> DatasetVersion | None:
    """The version's row, read after taking its write lock for the rest of the transaction.

    An UPDATE that changes nothing locks the row on PostgreSQL and takes SQLite's database
    write lock, so the read-modify-write that follows is atomic on both (a SELECT ... FOR
    UPDATE is ignored by SQLite).
    """
    db.execute(
        update(DatasetVersion)
        .where(DatasetVersion.id == version_id)
        .values(stage=DatasetVersion.stage)
    )
    return db.get(DatasetVersion, version_id, populate_existing=True)


def _overall_progress(entries: dict[str, Any]) -> float:
    """The version's fraction done: the mean over its tomograms (a simulated one counts 1)."""
    done = [
        1.0 if "files" in entry else float(entry.get("progress", 0.0)) for entry in entries.values()
    ]
    return sum(done) / len(done) if done else 0.0


def plan_generation(factory: sessionmaker[Session], settings: Settings, version_id: int) -> int:
    """Claim a queued version for generation and record one pending entry per tomogram; the
    number of tomogram tasks to send (0: the version is not pending, nothing to do).

    A version found `generating` was interrupted before its tomograms were sent (this
    task is delivered again only if its worker died): it is failed and cleaned up.

    Raises:
        NotFound: if the version does not exist.
        GenerationBusy: if another version is generating (try again later).
    """
    from app.services.datasets import INTERRUPTED, dataset_folder, get_dataset
    from simulation import SimulationParameters
    from simulation.tomogram import tomogram_name

    with factory() as db:
        version = get_dataset(db, version_id)
        if version.status == DatasetStatus.GENERATING:
            db.rollback()
            fail_generation(factory, settings, version_id, INTERRUPTED)
            return 0
        if not claim_for_generation(db, version):
            return 0
        shutil.rmtree(dataset_folder(settings, version), ignore_errors=True)  # starts clean
        try:
            parameters = SimulationParameters(**version.parameters, seed=version.seed)
        except (TypeError, ValueError) as error:
            db.rollback()
            fail_generation(factory, settings, version_id, f"{type(error).__name__}: {error}")
            return 0
        version.files = {
            tomogram_name(index): {
                "role": "test" if parameters.is_test(index) else "train",
                "progress": 0.0,
            }
            for index in range(parameters.tomograms)
        }
        version.stage = f"0 of {parameters.tomograms} tomograms simulated"
        db.commit()
        return parameters.tomograms


class TomogramProgress(ThrottledProgress):
    """The progress of one tomogram: its fraction in its entry and the version's mean on
    the row."""

    def __init__(self, factory: sessionmaker[Session], version_id: int, name: str) -> None:
        super().__init__(factory, version_id)
        self.name = name

    def store(self, stage: str, fraction: float) -> None:
        with self.factory() as db:
            version = _locked_version(db, self.version_id)
            if version is None or version.status != DatasetStatus.GENERATING:
                db.rollback()
                raise self.cancelled()
            entries = dict(version.files)
            entries[self.name] = {**entries.get(self.name, {}), "progress": round(fraction, 4)}
            version.files = entries
            version.progress = _overall_progress(entries)
            version.stage = f"{self.name}: {stage}"[:MAX_STAGE]
            db.commit()


def simulate_version_tomogram(
    factory: sessionmaker[Session],
    settings: Settings,
    version_id: int,
    index: int,
    *,
    attempt: int = 0,
) -> bool:
    """Simulate tomogram `index` of a generating version into its folder and record it;
    True when it was the last one missing, so the caller finalizes the version.

    A test tomogram's secret seed is derived here, from the version's row: it never travels
    in a task message. `attempt` is the task's retry count: the same attempt found started
    already means its worker died mid-run, and the version is failed as interrupted (what
    killed it would likely kill it again). A tomogram recorded already (its task delivered
    twice) is not simulated again.

    Raises:
        GenerationCancelled: if the version stopped generating meanwhile.
        ValueError: for settings the simulator refuses (retrying would not help).
        Exception: whatever else the simulator raises (the caller may retry).
    """
    from app.services.datasets import INTERRUPTED, dataset_folder
    from app.services.hidden_test import hidden_test_seed
    from simulation import SimulationParameters, simulate_tomogram
    from simulation.dataset import tomogram_entry
    from simulation.tomogram import tomogram_name

    name = tomogram_name(index)
    with factory() as db:
        version = _locked_version(db, version_id)
        if version is None or version.status != DatasetStatus.GENERATING:
            db.rollback()
            raise GenerationCancelled(f"dataset version {version_id} is not generating")
        entry = dict(version.files.get(name) or {})
        if "files" in entry:
            db.rollback()
            return _claim_finalization(factory, version_id, again=True)
        if entry.get("attempt") == attempt:
            db.rollback()
            fail_generation(factory, settings, version_id, INTERRUPTED)
            raise GenerationCancelled(f"dataset version {version_id} was interrupted")
        version.files = {**version.files, name: {**entry, "attempt": attempt, "progress": 0.0}}
        db.commit()
        parameters = SimulationParameters(**version.parameters, seed=version.seed)
        secret = hidden_test_seed(version) if parameters.is_test(index) else None
        folder = dataset_folder(settings, version) / name
    shutil.rmtree(folder, ignore_errors=True)  # a retry starts clean
    metadata = simulate_tomogram(
        folder,
        parameters,
        index=index,
        progress=TomogramProgress(factory, version_id, name),
        secret_seed=secret,
    )
    return _record_tomogram(factory, version_id, tomogram_entry(folder, metadata))


def _record_tomogram(
    factory: sessionmaker[Session], version_id: int, entry: dict[str, Any]
) -> bool:
    """Store a simulated tomogram's entry; True if it was the last one (finalizing claimed).

    Raises:
        GenerationCancelled: if the version stopped generating meanwhile.
    """
    with factory() as db:
        version = _locked_version(db, version_id)
        if version is None or version.status != DatasetStatus.GENERATING:
            db.rollback()
            raise GenerationCancelled(f"dataset version {version_id} was cancelled")
        name = entry["name"]
        entries = dict(version.files)
        entries[name] = {key: value for key, value in entry.items() if key != "name"}
        version.files = entries
        done = sum("files" in item for item in entries.values())
        version.progress = _overall_progress(entries)
        version.stage = f"{done} of {len(entries)} tomograms simulated"
        db.commit()
    return _claim_finalization(factory, version_id)


def _claim_finalization(
    factory: sessionmaker[Session], version_id: int, *, again: bool = False
) -> bool:
    """True for the one caller that finds every tomogram recorded first (stage set to
    `finalizing`, committed). With `again` (a recorded tomogram's task delivered a second
    time, as when the worker finalizing died) a claimed finalization is claimed again."""
    with factory() as db:
        version = _locked_version(db, version_id)
        if version is None or version.status != DatasetStatus.GENERATING:
            db.rollback()
            return False
        if not version.files or not all("files" in item for item in version.files.values()):
            db.rollback()
            return False
        if version.stage == FINALIZING and not again:
            db.rollback()
            return False
        version.stage = FINALIZING
        db.commit()
        return True


def finalize_generation(
    factory: sessionmaker[Session], settings: Settings, version_id: int, *, activate: bool
) -> DatasetVersion | None:
    """Write the manifest of a version whose tomograms are all simulated, build its copick
    download, checksum and load its ground truth, mark it ready (and active if asked); None
    if it stopped generating meanwhile.

    The copick project is built outside the row's lock (it takes a while on full-size data,
    and a cancel must not wait for it); a failed build is logged and left to the download's
    own on-demand build.

    Raises:
        Exception: whatever writing the manifest or loading the ground truth raises, after
            failing the version.
    """
    from app.services.copick_project import build_copick_project
    from app.services.datasets import complete_dataset_version, dataset_folder
    from simulation import SimulationParameters
    from simulation.dataset import write_manifest

    with factory() as db:
        version = _locked_version(db, version_id)
        if version is None or version.status != DatasetStatus.GENERATING:
            db.rollback()
            return None
        try:
            parameters = SimulationParameters(**version.parameters, seed=version.seed)
            entries = [
                {"name": name, **version.files[name]}
                for name in sorted(version.files, key=lambda name: int(name.split("_")[-1]))
            ]
            manifest = write_manifest(
                dataset_folder(settings, version), parameters, entries, secret_test=True
            )
        except Exception as error:
            db.rollback()
            fail_generation(factory, settings, version_id, f"{type(error).__name__}: {error}")
            raise
        version.stage = "building the copick download"
        db.commit()
    try:
        build_copick_project(settings, version)
    except Exception:
        log.exception("the copick project of version %s is left to its first request", version_id)
    with factory() as db:
        version = db.get(DatasetVersion, version_id)
        if version is not None:
            # a row lock on PostgreSQL against a cancel; not SQLite's write lock, which the
            # web app would wait on while the ground truth loads
            db.refresh(version, with_for_update=True)
        if version is None or version.status != DatasetStatus.GENERATING:
            db.rollback()
            discard_stopped(factory, settings, version_id)
            return None
        try:
            version.simulator_version = str(manifest["simulator_version"])
            version.stage = "done"
            return complete_dataset_version(db, settings, version, activate=activate)
        except Exception as error:
            db.rollback()
            fail_generation(factory, settings, version_id, f"{type(error).__name__}: {error}")
            raise


def fail_generation(
    factory: sessionmaker[Session], settings: Settings, version_id: int, error: str
) -> None:
    """Fail a queued or generating version with `error` and remove its files (committed);
    a version that is no longer pending is left as it is."""
    from app.services.datasets import dataset_folder

    with factory() as db:
        version = _locked_version(db, version_id)
        if version is None or version.status not in PENDING:
            db.rollback()
            return
        # the files go first, under the row's lock: a failed version has nothing left
        shutil.rmtree(dataset_folder(settings, version), ignore_errors=True)
        version.status = DatasetStatus.FAILED
        version.error = error
        version.files = {}
        version.finished_at = utcnow()
        db.commit()
        log.error("dataset version %s failed: %s", version_id, error)


def discard_stopped(factory: sessionmaker[Session], settings: Settings, version_id: int) -> None:
    """Remove the files of a version that failed or was cancelled while a tomogram was being
    simulated (each task that notices does it, the last one after its own writes)."""
    from app.services.datasets import dataset_folder

    with factory() as db:
        version = db.get(DatasetVersion, version_id)
        if version is not None and version.status == DatasetStatus.FAILED:
            shutil.rmtree(dataset_folder(settings, version), ignore_errors=True)
