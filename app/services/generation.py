"""Bookkeeping of one dataset generation: claiming the version, recording progress, cancelling.

Only one version may be `generating` at a time (a unique index in the database), so two
regenerations queue up and never interleave, however many simulation workers run.
"""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.models import DatasetStatus, DatasetVersion, utcnow

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


class ProgressRecorder:
    """A simulator progress callback storing (stage, fraction) on the version's row.

    Calling it raises GenerationCancelled once the version is no longer `generating`,
    which stops the simulator at its next report.
    """

    def __init__(self, factory: sessionmaker[Session], version_id: int) -> None:
        self.factory = factory
        self.version_id = version_id
        self.stage = ""
        self.fraction = -1.0

    def __call__(self, stage: str, fraction: float) -> None:
        fraction = max(0.0, min(fraction, 1.0))
        if stage == self.stage and fraction - self.fraction < PROGRESS_STEP:
            return
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
            raise GenerationCancelled(f"dataset version {self.version_id} was cancelled")
        self.stage, self.fraction = stage, fraction
