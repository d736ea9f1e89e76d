"""Tasks of the `evaluation` queue: score a submission, sweep for forgotten submissions.

Status handling lives here, in one exception-to-status map (`_failure_reason`): a bad file or
a time-out fails the submission with a readable reason; a database outage leaves it for
the sweeper; anything else fails it with a generic reason and a logged traceback.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy.exc import SQLAlchemyError

from app.core.config import Settings
from app.db import session_factory
from app.services import dispatch, scoring
from app.services.storage import CorruptedFile
from workers.celery_app import settings_of
from workers.routing import SCORE_SUBMISSION, SWEEP_SUBMISSIONS

log = logging.getLogger(__name__)


def _failure_reason(error: Exception, settings: Settings) -> str:
    """What the participant reads when scoring fails with `error`."""
    from evaluation import SubmissionError

    if isinstance(error, SubmissionError):
        return f"file: {error}"
    if isinstance(error, SoftTimeLimitExceeded):
        return f"scoring exceeded the time limit of {settings.task_soft_time_limit_s} s"
    if isinstance(error, CorruptedFile):
        return "the stored file was damaged; please upload it again (this did not use quota)"
    return "internal error while scoring; the organizers have been notified (no quota used)"


@shared_task(bind=True, name=SCORE_SUBMISSION)  # type: ignore[untyped-decorator]
def score_submission(self: Task, submission_id: int) -> None:
    """Score one submission by id (idempotent)."""
    settings = settings_of(self.app)
    factory = session_factory(settings.sqlalchemy_url)
    try:
        scoring.score_submission(factory, settings, submission_id)
    except SQLAlchemyError:
        raise  # the database is away: the row stays running and the sweeper re-queues it
    except Exception as error:
        if not isinstance(error, SoftTimeLimitExceeded):
            log.exception("scoring submission %s failed", submission_id)
        scoring.fail_submission(factory, submission_id, _failure_reason(error, settings))


@shared_task(bind=True, name=SWEEP_SUBMISSIONS)  # type: ignore[untyped-decorator]
def sweep_submissions(self: Task) -> dict[str, int]:
    """Send submissions left `received`, re-send lost ones, re-queue or fail stuck ones."""
    settings = settings_of(self.app)
    report = dispatch.sweep_submissions(
        session_factory(settings.sqlalchemy_url), self.app, settings
    )
    if any(asdict(report).values()):
        log.info("sweep: %s", report)
    return asdict(report)
