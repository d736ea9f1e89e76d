"""Scoring one submission against its dataset version's hidden ground truth.

Exactly once: a task first *claims* the submission (`received`/`queued` -> `running`, one
more attempt) and only the holder of that attempt may record the outcome. A duplicate message
(a re-send of a still-queued task, a late re-delivery) finds the row claimed or finished and
does nothing; `attempts` never passes `max_scoring_attempts`. The result row is unique per
submission, ground-truth checksum and evaluator version; a new evaluator version adds a row.
The hidden test (one or more test tomograms, loaded for the version's profile) is loaded once
per process and checksum. Every submission is scored on the whole hidden test and on its
public and private parts (evaluation/split.py): by tomogram with two or more test
tomograms, a checkerboard of the one otherwise. A version of the ``czii`` profile (a
real-data track) is scored the same way with the Kaggle CZII score (evaluation/czii.py):
its hidden test is reference points, its uploads Kaggle CSV or copick picks in Å.
"""

from __future__ import annotations

import functools
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, func, or_, update
from sqlalchemy.orm import Session, joinedload, sessionmaker

from app.core.config import Settings
from app.models import DatasetVersion, Result, Submission, SubmissionStatus, utcnow
from app.services.datasets import ground_truth_folders, hidden_test_names
from app.services.hidden_test import hidden_test_seed
from app.services.parsed_cache import load_parsed, parse_upload
from app.services.storage import read_stored

if TYPE_CHECKING:
    from evaluation import Submission as Picks
    from evaluation.czii import CziiHiddenTest, CziiPoints, CziiSplit
    from evaluation.scoring import HiddenTest
    from evaluation.split import SplitGroundTruth, TomogramSplit

    AnyHiddenTest = HiddenTest | CziiHiddenTest
    AnySplit = SplitGroundTruth | TomogramSplit | CziiSplit

log = logging.getLogger(__name__)


class GroundTruthMismatch(RuntimeError):
    """The hidden ground truth on disk is not the one the dataset version recorded."""


def load_hidden_test(folders: dict[str, Path], profile: str) -> AnyHiddenTest:
    """The hidden test of the test tomograms in ``folders`` (name -> folder, in order),
    loaded for ``profile``: the one place the service turns a version's files and profile
    into what submissions are scored against.

    Raises:
        GroundTruthError, SubmissionError, ValueError, OSError: if a ground truth cannot be
            loaded.
    """
    from evaluation.profiles import CZII, get_profile
    from evaluation.scoring import stack_tomograms

    if profile == CZII:
        from evaluation.czii import load_czii_hidden_test

        return load_czii_hidden_test(folders)

    chosen = get_profile(profile)  # the evaluator's registry: the profile's own loader
    loaded = {name: chosen.load(path) for name, path in folders.items()}
    return stack_tomograms(loaded)


@functools.lru_cache(maxsize=4)
def _load_hidden_test(
    folders: tuple[tuple[str, str], ...], profile: str, checksum: str
) -> AnyHiddenTest:
    hidden = load_hidden_test({name: Path(path) for name, path in folders}, profile)
    if hidden.checksum != checksum:
        shown = ", ".join(path for _, path in folders)
        raise GroundTruthMismatch(f"ground truth of {shown} changed since it was registered")
    return hidden


@functools.lru_cache(maxsize=2)  # two parts' hitboxes each: keep few versions in memory
def _split_hidden_test(
    folders: tuple[tuple[str, str], ...], profile: str, checksum: str, seed: int
) -> AnySplit | None:
    from evaluation.czii import CziiHiddenTest, split_czii
    from evaluation.split import split_by_tomogram, split_ground_truth

    hidden = _load_hidden_test(folders, profile, checksum)
    if isinstance(hidden, CziiHiddenTest):
        return split_czii(hidden, seed)
    if len(hidden.names) > 1:
        return split_by_tomogram(hidden, seed)
    return split_ground_truth(hidden.whole, seed)


def split_seed(version: DatasetVersion) -> int:
    """The seed of the version's public/private partition, derived from its test secret (so
    participants cannot know which blocks of the test are public)."""
    return hidden_test_seed(version, purpose="public/private split")


def _key(settings: Settings, version: DatasetVersion) -> tuple[tuple[str, str], ...]:
    folders = ground_truth_folders(settings, version)
    return tuple((name, str(path)) for name, path in folders.items())


def split_for(settings: Settings, version: DatasetVersion) -> AnySplit | None:
    """The version's hidden test cut in a public and a private part, cached per process: by
    tomogram with two or more test tomograms, else a checkerboard of the one; None for a
    test too small to cut (a single particle: it is scored whole, unsplit)."""
    from evaluation import GroundTruthError

    hidden_test_for(settings, version)  # checks the checksum first
    assert version.ground_truth_checksum is not None
    try:
        return _split_hidden_test(
            _key(settings, version),
            version.profile,
            version.ground_truth_checksum,
            split_seed(version),
        )
    except GroundTruthError:
        log.warning("dataset version %s: hidden test too small to split", version.id)
        return None


def hidden_test_for(settings: Settings, version: DatasetVersion) -> AnyHiddenTest:
    """The version's hidden test (all its test tomograms, loaded for its profile), cached
    per process by checksum.

    Raises:
        GroundTruthMismatch: if the files on disk no longer match the recorded checksum.
        ValueError, OSError: if they cannot be loaded.
    """
    if version.ground_truth_checksum is None:
        raise GroundTruthMismatch(f"dataset version {version.id} has no ground truth yet")
    return _load_hidden_test(
        _key(settings, version), version.profile, version.ground_truth_checksum
    )


def parse_for(
    settings: Settings, version: DatasetVersion, data: bytes, filename: str | None
) -> Picks:
    """A stored upload parsed as its version reads it (its test tomograms' names)."""
    return parse_upload(data, settings, filename, tomograms=hidden_test_names(version))


def parse_czii_upload(
    settings: Settings,
    version: DatasetVersion,
    data: bytes,
    *,
    allow_misframed: bool = False,
) -> CziiPoints:
    """An upload to a ``czii`` version read as its points (Kaggle CSV or copick picks, Å),
    checked against the version's hidden test: every particle type in its table, every
    experiment one of its test runs, coordinates in Å and inside the tomogram.

    Raises:
        evaluation.SubmissionError: naming the line and the problem, or the misframing.
        GroundTruthMismatch, ValueError, OSError: if the hidden test cannot be used.
    """
    from evaluation.czii import CziiHiddenTest, check_czii_frame, read_czii_points

    hidden = hidden_test_for(settings, version)
    assert isinstance(hidden, CziiHiddenTest)
    points = read_czii_points(
        data, max_bytes=settings.max_upload_bytes, max_lines=settings.max_submission_lines
    )
    check_czii_frame(hidden, points, allow_misframed=allow_misframed)
    return points


OPEN = (SubmissionStatus.RECEIVED, SubmissionStatus.QUEUED)


def interrupted_reason(attempts: int) -> str:
    """Why a submission failed whose scoring kept being interrupted."""
    return (
        f"scoring was interrupted {attempts} times (its worker stopped); "
        "the organizers have been notified (no quota used)"
    )


def claim(
    factory: sessionmaker[Session],
    settings: Settings,
    submission_id: int,
    *,
    redelivered: bool = False,
    resume: int | None = None,
) -> int | None:
    """Claim a submission for scoring; the attempt number now held, or None to do nothing.

    `resume`: the attempt this task held when a database error interrupted it; it is taken
    up again without counting a new attempt if nobody took it over meanwhile.
    `redelivered`: the broker re-delivered this very message because the process running it
    died; the row it left `running` is taken over (one more attempt).
    A submission out of attempts is failed with a reason instead.
    """
    claimable: ColumnElement[bool] = Submission.status.in_(OPEN)
    if redelivered:
        claimable = or_(claimable, Submission.status == SubmissionStatus.RUNNING)
    mine = Submission.id == submission_id
    now = utcnow()
    with factory() as db:
        # each statement below stands alone and is committed at once: without a transaction
        # around them the claim is one round trip to the database, not three. Core
        # statements: no row of the session needs the ORM's synchronisation of an update,
        # which cost more CPU than the statement
        autocommit = {"isolation_level": "AUTOCOMMIT"}
        connection = db.connection(execution_options=autocommit)
        if resume is not None:
            resumed = connection.execute(
                update(Submission)
                .where(mine, Submission.status == SubmissionStatus.RUNNING)
                .where(Submission.attempts == resume)
                .values(started_at=utcnow())
            )
            db.commit()
            if resumed.rowcount:
                return resume
            connection = db.connection(execution_options=autocommit)  # the commit released it
        attempt = connection.scalar(
            update(Submission)
            .where(mine, claimable, Submission.attempts < settings.max_scoring_attempts)
            .values(
                status=SubmissionStatus.RUNNING,
                started_at=now,
                # the worker may take the task before the sender marked the row queued
                queued_at=func.coalesce(Submission.queued_at, now),
                attempts=Submission.attempts + 1,
                error=None,
            )
            .returning(Submission.attempts)
        )
        if attempt is not None:
            db.commit()
            return int(attempt)
        exhausted = connection.scalar(
            update(Submission)
            .where(mine, claimable, Submission.attempts >= settings.max_scoring_attempts)
            .values(
                status=SubmissionStatus.FAILED,
                error=interrupted_reason(settings.max_scoring_attempts),
                finished_at=utcnow(),
            )
            .returning(Submission.attempts)
        )
        db.commit()
        if exhausted is not None:
            log.error("submission %s failed: out of scoring attempts", submission_id)
        return None


def _own(db: Session, submission_id: int, attempt: int, **values: Any) -> bool:
    """Record the outcome of `attempt` if it still holds the submission (row locked until
    commit); False if the sweeper or a re-delivery took it over meanwhile. A Core statement:
    the session's copy of the row is not read again before the commit expires it."""
    changed = db.connection().execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == SubmissionStatus.RUNNING)
        .where(Submission.attempts == attempt)
        .values(finished_at=utcnow(), **values)
    )
    return bool(changed.rowcount)


def _store_result(
    db: Session,
    submission: Submission,
    metrics: dict[str, Any],
    seconds: float,
    parts: dict[str, dict[str, Any]] | None,
) -> Result:
    checksum = metrics["ground_truth_checksum"]
    version = metrics["evaluator_version"]
    # the submission's results came with it (`score_claimed`): no query of their own
    result = next(
        (
            row
            for row in submission.results
            if row.ground_truth_checksum == checksum and row.evaluator_version == version
        ),
        None,
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
    result.metrics_public = parts["public"] if parts else None
    result.metrics_private = parts["private"] if parts else None
    result.scoring_seconds = seconds
    return result


def score_claimed(
    factory: sessionmaker[Session], settings: Settings, submission_id: int, attempt: int
) -> bool:
    """Score a claimed submission and record the result (`running` -> `scored`); False if the
    attempt was taken over meanwhile (its result is then not recorded).

    Raises:
        evaluation.SubmissionError: if the stored file does not parse (the caller fails it).
        CorruptedFile: if the stored file is missing or altered.
        GroundTruthMismatch, ValueError, OSError: if the ground truth cannot be used.
    """
    from evaluation.czii import CziiHiddenTest, CziiSplit
    from evaluation.scoring import score_tomograms

    with factory() as db:
        # its version and its earlier results in the same query: one round trip, not three
        submission = db.get(
            Submission,
            submission_id,
            options=[
                joinedload(Submission.dataset_version),
                # which scorings exist, not their documents (a re-score rewrites one)
                joinedload(Submission.results).load_only(
                    Result.ground_truth_checksum, Result.evaluator_version
                ),
            ],
        )
        if submission is None:
            log.warning("submission %s vanished before scoring", submission_id)
            return False
        started = time.perf_counter()
        version = submission.dataset_version
        hidden = hidden_test_for(settings, version)
        data = read_stored(settings.storage_dir, submission.file_sha256)  # checks integrity
        split = split_for(settings, version)
        if isinstance(hidden, CziiHiddenTest):
            # checked at upload; an organizer's override of the frame check is not stored
            points = parse_czii_upload(settings, version, data, allow_misframed=True)
            metrics = hidden.score(points)
            parts = split.score(points) if isinstance(split, CziiSplit) else None
        else:
            parsed = load_parsed(settings.storage_dir, submission.file_sha256) or parse_for(
                settings, version, data, submission.filename
            )
            metrics = score_tomograms(hidden, parsed).to_dict()
            parts = None
            if split is not None and not isinstance(split, CziiSplit):
                parts = {str(k): v for k, v in split.score(parsed, samples=True).items()}
        if not _own(db, submission_id, attempt, status=SubmissionStatus.SCORED):
            db.rollback()
            log.warning("submission %s: attempt %s was taken over", submission_id, attempt)
            return False
        _store_result(db, submission, metrics, time.perf_counter() - started, parts)
        db.commit()
        return True


def fail_claimed(
    factory: sessionmaker[Session], submission_id: int, attempt: int, reason: str
) -> None:
    """Mark a claimed submission `failed` with a reason the participant can read (unless
    the attempt was taken over meanwhile)."""
    with factory() as db:
        _own(db, submission_id, attempt, status=SubmissionStatus.FAILED, error=reason)
        db.commit()
