"""Tasks of the `evaluation` queue: score a submission, sweep for forgotten submissions.

Status handling lives here, in one exception-to-status map (`_failure_reason`): a bad file or
a time-out fails the submission with a readable reason; anything else fails it with a generic
reason and a logged traceback. A database outage is not a failure of the submission: the task
is retried (Celery's retry: a new message with a countdown, the old one acknowledged) until
the database answers again.
"""

from __future__ import annotations

import logging
from dataclasses import asdict

from celery import Task, shared_task
from celery.exceptions import SoftTimeLimitExceeded
from celery.utils.time import get_exponential_backoff_interval
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from app.core.config import Settings
from app.db import session_factory
from app.queues.celery_app import settings_of
from app.queues.routing import CLOSE_DUE_PHASES, SCORE_SUBMISSION, SWEEP_SUBMISSIONS
from app.services import dispatch, scoring
from app.services.storage import CorruptedFile

log = logging.getLogger(__name__)

# errors that say the database is unreachable (not that the submission is bad)
DATABASE_DOWN = (OperationalError, InterfaceError, PoolTimeout)
# retries 1, 2, 4, 8, 8, ... s apart: a recovered database is noticed within seconds, and 100
# retries outlast a 13-minute outage (then the sweeper's own time-outs take over)
DATABASE_RETRY_MAX_S = 8
DATABASE_RETRIES = 100


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


@shared_task(bind=True, name=SCORE_SUBMISSION, max_retries=DATABASE_RETRIES)  # type: ignore[untyped-decorator]
def score_submission(self: Task, submission_id: int, resume_attempt: int | None = None) -> None:
    """Score one submission by id, exactly once however often the message arrives.

    `resume_attempt` is set by this task's own retry after a database error: the attempt it
    held then.
    """
    settings = settings_of(self.app)
    factory = session_factory(settings.sqlalchemy_url)
    attempt = resume_attempt
    try:
        redelivered = bool((self.request.delivery_info or {}).get("redelivered"))
        attempt = scoring.claim(
            factory, settings, submission_id, redelivered=redelivered, resume=resume_attempt
        )
        if attempt is None:
            return  # finished, held by another attempt, or out of attempts
        try:
            scoring.score_claimed(factory, settings, submission_id, attempt)
        except DATABASE_DOWN:
            raise
        except Exception as error:
            if not isinstance(error, SoftTimeLimitExceeded):
                log.exception("scoring submission %s failed", submission_id)
            scoring.fail_claimed(factory, submission_id, attempt, _failure_reason(error, settings))
    except DATABASE_DOWN as error:
        # not acknowledged as done: the same task comes back once the database answers
        countdown = get_exponential_backoff_interval(
            factor=1, retries=self.request.retries, maximum=DATABASE_RETRY_MAX_S
        )
        log.warning("submission %s: database unreachable, retry in %s s", submission_id, countdown)
        raise self.retry(
            exc=error, countdown=countdown, kwargs={"resume_attempt": attempt}
        ) from error


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


@shared_task(bind=True, name=CLOSE_DUE_PHASES)  # type: ignore[untyped-decorator]
def close_due_phases(self: Task) -> list[int]:
    """Close every phase past its closing time: snapshot its board, reveal its private split."""
    from app.services.closing import close_due_phases as close_due

    settings = settings_of(self.app)
    return close_due(session_factory(settings.sqlalchemy_url))
