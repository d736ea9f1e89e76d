"""Organizer actions on submissions: hide from the leaderboard (with a reason), re-score."""

from __future__ import annotations

from celery import Celery
from sqlalchemy.orm import Session

from app.models import Submission, SubmissionStatus
from app.services.dispatch import enqueue_scoring
from app.services.errors import Conflict, InvalidInput, NotFound


def find_submission(db: Session, submission_id: int) -> Submission:
    """Any submission by id.

    Raises:
        NotFound: if there is none.
    """
    submission = db.get(Submission, submission_id)
    if submission is None:
        raise NotFound(f"submission {submission_id} not found")
    return submission


def set_hidden(db: Session, submission: Submission, reason: str | None) -> Submission:
    """Hide a submission from the leaderboard with a reason, or show it again (reason None).

    Raises:
        InvalidInput: if hiding without a reason.
    """
    if reason is not None and not reason.strip():
        raise InvalidInput("reason: required when hiding a submission")
    submission.hidden = reason is not None
    submission.hidden_reason = reason.strip() if reason is not None else None
    db.commit()
    return submission


def rescore(db: Session, celery: Celery, submission: Submission) -> Submission:
    """Score a submission again (a changed evaluator version adds a result row).

    Raises:
        Conflict: if it is waiting or being scored already.
    """
    if submission.status not in (SubmissionStatus.SCORED, SubmissionStatus.FAILED):
        raise Conflict(f"submission {submission.id} is {submission.status}; wait until it finishes")
    submission.status = SubmissionStatus.RECEIVED
    submission.error = None
    submission.attempts = 0
    db.commit()
    enqueue_scoring(db, celery, submission.id)
    db.refresh(submission)
    return submission
