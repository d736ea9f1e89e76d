"""Admin operations on dataset versions: request a regeneration, cancel it, re-score a version.

A regeneration is a `queued` version row plus a task on the `simulation` queue; the worker
generates it (`app.services.datasets.generate_dataset`), one version at a time. Re-scoring
puts every finished submission of a version back on the `evaluation` queue; results of an
older evaluator stay in the history (a new evaluator version adds a row).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from celery import Celery
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import DatasetStatus, DatasetVersion, Submission, SubmissionStatus, User, utcnow
from app.queues.routing import GENERATE_DATASET, enqueue
from app.schemas import DatasetCreate
from app.services.datasets import create_dataset_version
from app.services.dispatch import enqueue_scoring
from app.services.errors import Conflict, InvalidInput, Unavailable
from app.services.generation import PENDING

# `v<id>` names are given to unnamed versions; a chosen name must not look like one
RESERVED_NAME = re.compile(r"v\d+")
MAX_SEED = 2**31 - 1
# the simulator's default slab (200 slices) does not fit small volumes; they get a full slab
DEFAULT_SLAB = 200


def simulation_parameters(requested: dict[str, Any], seed: int) -> dict[str, Any]:
    """Every simulator setting of a request (defaults filled in, seed left out), checked.

    A request naming a ``preset`` starts from that preset's values (the version then records
    it among its parameters); the other settings given override them.

    Raises:
        InvalidInput: naming the setting that is wrong and why.
    """
    from simulation import SimulationParameters

    given = {key: value for key, value in requested.items() if value is not None}
    preset = given.pop("preset", None)
    if "slab" not in given and "size" in given and "shape" not in given:
        given["slab"] = min(DEFAULT_SLAB, int(given["size"]))
    try:
        if preset is not None:
            parameters = SimulationParameters.from_preset(str(preset), **given, seed=seed)
        else:
            parameters = SimulationParameters.from_dict({**given, "seed": seed})
    except (TypeError, ValueError) as error:
        raise InvalidInput(f"parameters: {error}") from error
    resolved = parameters.to_dict()
    del resolved["seed"]  # stored in its own column
    return resolved


def send_generation(celery: Celery, version_id: int, activate: bool) -> bool:
    """Hand the generation task to the broker; False (logged) when it is unreachable."""
    return enqueue(celery, GENERATE_DATASET, version_id, activate)


def request_regeneration(
    db: Session, celery: Celery, admin: User, request: DatasetCreate
) -> DatasetVersion:
    """Record a new `queued` version with the requested simulator settings and queue its
    generation.

    Without a seed one is drawn at random (and recorded); without a name the version is
    called `v<id>`. With `activate`, the version becomes active as soon as it is ready.

    Raises:
        InvalidInput: for a reserved name or settings the simulator refuses.
        Conflict: if the name is taken.
        Unavailable: if the task queue cannot be reached (the version is marked failed).
    """
    name = request.name
    if name is not None and RESERVED_NAME.fullmatch(name):
        raise InvalidInput("name: names like 'v12' are given to unnamed versions; choose another")
    seed = secrets.randbelow(MAX_SEED) if request.seed is None else request.seed
    parameters = simulation_parameters(request.simulator_settings(), seed)
    version = create_dataset_version(
        db, name=name, parameters=parameters, seed=seed, triggered_by=admin
    )
    return start_generation(db, celery, version, activate=request.activate)


def start_generation(
    db: Session, celery: Celery, version: DatasetVersion, *, activate: bool
) -> DatasetVersion:
    """Queue the generation of a recorded `queued` version.

    Raises:
        Unavailable: if the task queue cannot be reached (the version is marked failed).
    """
    if not send_generation(celery, version.id, activate):
        version.status = DatasetStatus.FAILED
        version.error = "the task queue could not be reached; request the regeneration again"
        version.finished_at = utcnow()
        db.commit()
        raise Unavailable("the task queue is unreachable; the regeneration was not queued")
    return version


def cancel_generation(db: Session, version: DatasetVersion, admin: User) -> DatasetVersion:
    """Stop a queued or generating version: it fails with a note of who cancelled it, and a
    running simulation stops at its next progress report (committed).

    Raises:
        Conflict: if the version is not queued or generating.
    """
    if version.status not in PENDING:
        raise Conflict(f"dataset version {version.id} is {version.status}; nothing to cancel")
    version.status = DatasetStatus.FAILED
    version.error = f"cancelled by {admin.username}"
    version.finished_at = utcnow()
    db.commit()
    return version


def rescore_version(db: Session, celery: Celery, version: DatasetVersion) -> int:
    """Queue every scored or failed submission of a version for scoring again; how many.

    Submissions still waiting or running are left alone: they will be scored by the current
    evaluator anyway. Rows whose task cannot be sent stay `received` for the sweeper.

    Raises:
        Conflict: if the version is not ready.
    """
    if version.status != DatasetStatus.READY:
        raise Conflict(f"dataset version {version.id} is {version.status}, not ready")
    finished = (SubmissionStatus.SCORED, SubmissionStatus.FAILED)
    ids = list(
        db.scalars(
            select(Submission.id)
            .where(Submission.dataset_version_id == version.id, Submission.status.in_(finished))
            .order_by(Submission.id)
        )
    )
    if ids:
        db.execute(
            update(Submission)
            .where(Submission.id.in_(ids), Submission.status.in_(finished))
            .values(status=SubmissionStatus.RECEIVED, error=None, attempts=0)
        )
        db.commit()
    for submission_id in ids:
        enqueue_scoring(db, celery, submission_id)
    return len(ids)
