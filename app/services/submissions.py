"""Submitting a result file and reading submissions back.

`accept_upload` is the one path from an upload to a queued scoring task: validate the
file (docs/evaluation.md, Submissions) -> store it by checksum -> commit the row within
the quota -> send.
"""

from __future__ import annotations

import logging
import math
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING

from celery import Celery
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from app.core.config import Settings
from app.models import DatasetVersion, Phase, Role, Submission, SubmissionStatus, Team, User
from app.services.datasets import hidden_test_names
from app.services.dispatch import enqueue_scoring
from app.services.errors import (
    InvalidInput,
    NotFound,
    PermissionDenied,
    QuotaExceeded,
    Unavailable,
)
from app.services.names import clean_display_name
from app.services.parsed_cache import parse_upload, save_parsed, stored_form
from app.services.phases import phase_for_upload
from app.services.quota import UNSET, Quota, Unset, lock_quota, quota_status
from app.services.scoring import parse_czii_upload
from app.services.storage import store_bytes
from app.services.teams import check_upload_team, team_of
from app.services.upload_frame import upload_ground_truth
from evaluation.profiles import CZII

if TYPE_CHECKING:
    from collections.abc import Sequence

    from evaluation import GroundTruth
    from evaluation import Submission as ParsedSubmission
    from evaluation.czii import CziiPoints

log = logging.getLogger(__name__)

MAX_METHOD = 100
MAX_TEAM = 100
MAX_DESCRIPTION = 5000
MAX_FILENAME = 255


def _clean_text(field: str, value: str | None, limit: int, *, required: bool = False) -> str:
    """Trimmed single-field text without control characters.

    Raises:
        InvalidInput: if a required value is empty or a value is too long.
    """
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(f"{field}: required")
    if len(text) > limit:
        raise InvalidInput(f"{field}: at most {limit} characters, got {len(text)}")
    if any(unicodedata.category(char) == "Cc" and char not in "\n\t" for char in text):
        raise InvalidInput(f"{field}: contains control characters")
    return text


def display_filename(filename: str | None) -> str:
    """The upload's name for display only: last path component, printable, truncated."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C")
    return name[:MAX_FILENAME]


@dataclass(frozen=True)
class UploadOptions:
    """How to read an upload: a forced format, the class of a class-less file, the pixel
    size of coordinates at another binning, and whether to score a misframed file anyway."""

    file_format: str | None = None
    class_name: str | None = None
    pixel_size: float | None = None
    allow_misframed: bool = False


def upload_options(
    file_format: str | None = None,
    class_name: str | None = None,
    pixel_size: str | float | None = None,
    allow_misframed: bool = False,
) -> UploadOptions:
    """Check the upload's reading options as a form or the API gives them.

    Raises:
        InvalidInput: an unknown format, a bad class text, a pixel size that is not a
            positive number.
    """
    from evaluation.submission import SUBMISSION_FORMATS

    chosen = _clean_text("format", file_format, 20).lower() or None
    if chosen is not None and chosen not in SUBMISSION_FORMATS:
        raise InvalidInput(
            f"format: unknown format {chosen!r} (known: {', '.join(SUBMISSION_FORMATS)})"
        )
    size: float | None = None
    if pixel_size is not None and str(pixel_size).strip():
        try:
            size = float(pixel_size)
        except ValueError:
            size = math.nan
        if not math.isfinite(size) or size <= 0:
            raise InvalidInput(f"pixel_size: must be a positive number of Å, got {pixel_size!r}")
    name = _clean_text("class", class_name, 50) or None
    return UploadOptions(chosen, name, size, bool(allow_misframed))


def validate_file(
    data: bytes,
    settings: Settings,
    filename: str,
    options: UploadOptions | None = None,
    ground_truth: GroundTruth | None = None,
    tomograms: Sequence[str] | None = None,
) -> ParsedSubmission:
    """Parse the file as the evaluator will, in the frame of ``ground_truth`` (units and
    origins converted), each prediction naming one of ``tomograms`` when the hidden test
    has several, and refuse it when it looks misframed.

    Raises:
        InvalidInput: naming the line and the problem (empty, unknown class, bad number, ...)
            or the misframing.
    """
    from evaluation import SubmissionError
    from evaluation.misframing import check_frame

    options = options or UploadOptions()
    try:
        parsed = parse_upload(
            data,
            settings,
            filename,
            options=options,
            ground_truth=ground_truth,
            tomograms=tomograms,
        )
        if ground_truth is not None:
            _, parsed = check_frame(
                ground_truth, parsed, allow_misframed=options.allow_misframed, detect_slab=False
            )
    except SubmissionError as error:
        raise InvalidInput(f"file: {error}") from error
    return parsed


def validate_czii_file(
    data: bytes,
    settings: Settings,
    version: DatasetVersion,
    options: UploadOptions | None = None,
) -> CziiPoints:
    """Read an upload to a ``czii`` version as its points and check them against the
    hidden test (its runs, its particle types, Å inside the tomogram).

    Raises:
        InvalidInput: naming the line and the problem, or the misframing.
        Unavailable: if the version's hidden test cannot be read right now.
    """
    from evaluation import SubmissionError

    allow = bool(options and options.allow_misframed)
    try:
        return parse_czii_upload(settings, version, data, allow_misframed=allow)
    except SubmissionError as error:
        raise InvalidInput(f"file: {error}") from error
    except (ValueError, OSError) as error:
        log.error("dataset version %s: hidden test unreadable: %s", version.id, error)
        raise Unavailable("the dataset version's hidden test cannot be read right now") from error


def ensure_quota(
    db: Session,
    user: User,
    settings: Settings,
    *,
    including_new: bool,
    phase: Phase | None = None,
    team: Team | Unset | None = UNSET,
) -> Quota:
    """Check the user's daily quota (in `phase`; `team`: the user's, when just looked up),
    counting a just-inserted row when `including_new`; the quota as counted.

    Raises:
        QuotaExceeded: if the quota is (or, with the new row, would be) used up.
    """
    quota = quota_status(db, user, settings, phase=phase, team=team)
    if quota.limit is None or quota.used + (0 if including_new else 1) <= quota.limit:
        return quota
    whose = f" (shared by team '{quota.team}')" if quota.team else ""
    raise QuotaExceeded(
        f"daily quota of {quota.limit} submissions{whose} used up; it resets at "
        f"{quota.resets_at:%Y-%m-%d %H:%M} UTC"
    )


def accept_upload(
    db: Session,
    settings: Settings,
    celery: Celery,
    user: User,
    data: bytes,
    *,
    filename: str | None,
    method: str,
    description: str | None = None,
    team: str | None = None,
    baseline: tuple[str, str] | None = None,
    options: UploadOptions | None = None,
    phase_id: int | None = None,
) -> tuple[Submission, Quota]:
    """Accept a result file for a phase (default: the open continuous phase of the active
    dataset version) and queue its scoring against the phase's version.

    The upload counts for the user's team when they are in one (its quota, its leaderboard
    entry); `team`, sent by old clients, must then name that team.
    `baseline` (code version, weights checksum) marks an organizer's reference run;
    `options` say how to read the file. A file read through a conversion is stored as the
    plain text it was converted to (so its scores never depend on options kept elsewhere).
    The row is committed before the task is sent; if the broker is unreachable it stays
    `received` and the sweeper sends it later. Returns the submission and the quota as
    counted with it (under the quota's lock, so no second count is needed to show it).

    Raises:
        InvalidInput: bad field or file content (the message names the line and problem).
        PermissionDenied: a participant marking a baseline.
        Unavailable: no dataset version is ready.
        NotFound, Conflict: the phase does not exist or takes no uploads now (checked
            before anything else: a refused upload costs no quota).
        QuotaExceeded: the daily quota is used up.
    """
    phase = phase_for_upload(db, phase_id)
    # shown on the leaderboard: no invisible characters, look-alikes or reserved names
    privileged = user.role != Role.PARTICIPANT
    method = clean_display_name("method", method, MAX_METHOD, required=True, privileged=privileged)
    # looked up once: the entry's team, the quota drawn on and its lock all follow from it
    user_team = team_of(db, user)
    entry_team = None if baseline is not None else check_upload_team(user_team, user, team)
    # a baseline is nobody's team entry; its `team` stays a label ("baselines")
    team_label = entry_team.name if entry_team else ""
    if baseline is not None:
        team_label = clean_display_name("team", team, MAX_TEAM, required=False, privileged=True)
    description = _clean_text("description", description, MAX_DESCRIPTION)
    shown_name = display_filename(filename)
    dataset = phase.dataset_version
    parsed: ParsedSubmission | None = None
    if dataset.profile == CZII:  # Kaggle CSV or copick picks in Å, stored as uploaded
        predictions = len(validate_czii_file(data, settings, dataset, options))
    else:
        truth = upload_ground_truth(settings, dataset)
        parsed = validate_file(
            data, settings, shown_name, options, truth, hidden_test_names(dataset)
        )
        data = stored_form(data, parsed)
        predictions = len(parsed)
    if baseline is not None and user.role == Role.PARTICIPANT:
        raise PermissionDenied("only organizers and admins may submit baselines")

    # a cheap check before storing
    ensure_quota(db, user, settings, including_new=False, phase=phase, team=user_team)
    storage = settings.storage_dir  # resolved on every read: once is enough
    sha256 = store_bytes(storage, data)
    if parsed is not None:
        save_parsed(storage, sha256, parsed)
    if user.role == Role.PARTICIPANT:  # only a limited quota needs uploads taken in turn
        lock_quota(db, user, user_team)
    submission = Submission(
        user_id=user.id,
        dataset_version_id=dataset.id,
        phase_id=phase.id,
        method=method,
        description=description,
        team=team_label,
        team_id=entry_team.id if entry_team else None,
        filename=shown_name,
        file_sha256=sha256,
        file_bytes=len(data),
        predictions=predictions,
        is_baseline=baseline is not None,
        baseline_code_version=baseline[0] if baseline else None,
        baseline_weights_checksum=baseline[1] if baseline else None,
    )
    db.add(submission)
    db.flush()
    try:
        quota = ensure_quota(db, user, settings, including_new=True, phase=phase, team=user_team)
    except QuotaExceeded:
        db.rollback()
        raise
    db.commit()
    enqueue_scoring(db, celery, submission.id)
    if submission.status == SubmissionStatus.RECEIVED:  # not sent, or a worker moved it on
        db.refresh(submission)
    return submission, quota


def can_view(user: User, submission: Submission) -> bool:
    """Owners see their submissions; organizers and admins see all."""
    return submission.user_id == user.id or user.role in (Role.ORGANIZER, Role.ADMIN)


def get_submission(db: Session, user: User, submission_id: int) -> Submission:
    """A submission the user may see.

    Raises:
        NotFound: if it does not exist or belongs to someone else (the same answer, so ids
            of others' submissions are not confirmed).
    """
    submission = db.get(Submission, submission_id)
    if submission is None or not can_view(user, submission):
        raise NotFound(f"submission {submission_id} not found")
    return submission


def list_submissions(
    db: Session, user: User | None = None, *, limit: int = 100, offset: int = 0
) -> tuple[list[Submission], int]:
    """Newest-first submissions of `user` (everyone's when None) and their total count.

    Owners and results come in two more queries, not one per row.
    """
    query = select(Submission).options(
        selectinload(Submission.user), selectinload(Submission.results)
    )
    count_query = select(func.count(Submission.id))
    if user is not None:
        query = query.where(Submission.user_id == user.id)
        count_query = count_query.where(Submission.user_id == user.id)
    rows = db.scalars(query.order_by(Submission.id.desc()).limit(limit).offset(offset))
    return list(rows), db.scalar(count_query) or 0
