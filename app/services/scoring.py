"""Scoring one submission against its dataset version's hidden ground truth.

Idempotent: a re-delivered task rewrites the same result row (one row per submission,
ground-truth checksum and evaluator version); a new evaluator version adds a row.
The ground truth is loaded once per process and checksum.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.models import DatasetVersion, Result, Submission, SubmissionStatus, utcnow
from app.services.datasets import ground_truth_folder
from app.services.parsed_cache import load_parsed, parse_upload
from app.services.storage import read_stored

if TYPE_CHECKING:
    from evaluation import GroundTruth

log = logging.getLogger(__name__)


class GroundTruthMismatch(RuntimeError):
    """The hidden ground truth on disk is not the one the dataset version recorded."""


@functools.lru_cache(maxsize=4)
def _load_ground_truth(folder: str, checksum: str) -> GroundTruth:
    from evaluation import load_ground_truth

    ground_truth = load_ground_truth(Path(folder))
    if ground_truth.checksum != checksum:
        raise GroundTruthMismatch(f"ground truth of {folder} changed since it was registered")
    return ground_truth


def ground_truth_for(settings: Settings, version: DatasetVersion) -> GroundTruth:
    """The version's hidden test ground truth, cached per process by checksum.

    Raises:
        GroundTruthMismatch: if the files on disk no longer match the recorded checksum.
        ValueError, OSError: if they cannot be loaded.
    """
    if version.ground_truth_checksum is None:
        raise GroundTruthMismatch(f"dataset version {version.id} has no ground truth yet")
    return _load_ground_truth(
        str(ground_truth_folder(settings, version)), version.ground_truth_checksum
    )


def start_scoring(db: Session, submission_id: int) -> Submission | None:
    """Mark a submission `running` (one more attempt); None if it no longer exists."""
    submission = db.get(Submission, submission_id)
    if submission is None:
        return None
    submission.status = SubmissionStatus.RUNNING
    submission.started_at = utcnow()
    submission.attempts += 1
    submission.error = None
    db.commit()
    return submission


def _store_result(
    db: Session, submission: Submission, metrics: dict[str, Any], seconds: float
) -> Result:
    checksum = metrics["ground_truth_checksum"]
    version = metrics["evaluator_version"]
    result = db.scalar(
        select(Result).where(
            Result.submission_id == submission.id,
            Result.ground_truth_checksum == checksum,
            Result.evaluator_version == version,
        )
    )
    if result is None:
        result = Result(
            submission_id=submission.id,
            dataset_version_id=submission.dataset_version_id,
            ground_truth_checksum=checksum,
            evaluator_version=version,
            metrics=metrics,
        )
        db.add(result)
    else:  # a re-delivered task: rewrite the same row
        result.metrics = metrics
        result.updated_at = utcnow()
    result.scoring_seconds = seconds
    return result


def score_submission(
    factory: sessionmaker[Session], settings: Settings, submission_id: int
) -> None:
    """Score a submission and record the result (`running` -> `scored`).

    Raises:
        evaluation.SubmissionError: if the stored file does not parse (the caller fails it).
        CorruptedFile: if the stored file is missing or altered.
        GroundTruthMismatch, ValueError, OSError: if the ground truth cannot be used.
    """
    from evaluation import score

    with factory() as db:
        submission = start_scoring(db, submission_id)
        if submission is None:
            log.warning("submission %s vanished before scoring", submission_id)
            return
        started = time.perf_counter()
        ground_truth = ground_truth_for(settings, submission.dataset_version)
        data = read_stored(settings.storage_dir, submission.file_sha256)  # checks integrity
        parsed = load_parsed(settings.storage_dir, submission.file_sha256) or parse_upload(
            data, settings, submission.filename
        )
        metrics = score(ground_truth, parsed).to_dict()
        _store_result(db, submission, metrics, time.perf_counter() - started)
        submission.status = SubmissionStatus.SCORED
        submission.finished_at = utcnow()
        db.commit()


def fail_submission(factory: sessionmaker[Session], submission_id: int, reason: str) -> None:
    """Mark a submission `failed` with a reason the participant can read."""
    with factory() as db:
        submission = db.get(Submission, submission_id)
        if submission is None:
            return
        submission.status = SubmissionStatus.FAILED
        submission.error = reason
        submission.finished_at = utcnow()
        db.commit()
