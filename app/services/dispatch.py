"""Sending scoring tasks, and the sweeper that makes sure no submission is left behind.

A submission row is committed as `received` before its task is sent; once the broker took
the task it becomes `queued`. If the broker is down, the row stays `received` and the
sweeper sends it later. The sweeper also re-sends `queued` rows whose message may have been
lost, and re-queues (or fails, with a reason) `running` rows past the hard time limit.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from celery import Celery
from sqlalchemy import select, update
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker

from app.core.config import Settings
from app.models import Submission, SubmissionStatus, utcnow
from workers.routing import SCORE_SUBMISSION

log = logging.getLogger(__name__)

# a running task gets this long past its hard time limit before it is declared stuck
STUCK_GRACE = dt.timedelta(seconds=30)
SWEEP_BATCH = 500


def send_scoring_task(celery: Celery, submission_id: int) -> bool:
    """Hand a scoring task to the broker; False (logged) when the broker is unreachable."""
    try:
        celery.send_task(SCORE_SUBMISSION, args=[submission_id], retry=False)
    except Exception as error:  # any broker or connection failure: the sweeper retries
        log.warning("could not queue submission %s: %s", submission_id, error)
        return False
    return True


def enqueue_scoring(db: Session, celery: Celery, submission_id: int) -> bool:
    """Send the task of a committed `received` submission and mark it `queued`.

    Returns False, leaving the row `received`, when the broker is unreachable.
    """
    if not send_scoring_task(celery, submission_id):
        return False
    # only received -> queued: a fast worker may already have moved it on
    db.execute(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == SubmissionStatus.RECEIVED)
        .values(status=SubmissionStatus.QUEUED, queued_at=utcnow())
    )
    db.commit()
    return True


@dataclass(frozen=True)
class SweepReport:
    """What one sweep did."""

    dispatched: int = 0
    resent: int = 0
    requeued: int = 0
    failed: int = 0


def _ids(
    db: Session, status: SubmissionStatus, column: QueryableAttribute[Any], before: dt.datetime
) -> list[int]:
    query = (
        select(Submission.id)
        .where(Submission.status == status, column < before)
        .order_by(Submission.id)
        .limit(SWEEP_BATCH)
    )
    return list(db.scalars(query))


def sweep_submissions(
    factory: sessionmaker[Session],
    celery: Celery,
    settings: Settings,
    now: dt.datetime | None = None,
) -> SweepReport:
    """One pass of the sweeper (safe to run concurrently: scoring is idempotent)."""
    now = now or utcnow()
    hard_limit = dt.timedelta(seconds=settings.task_hard_time_limit_s)
    with factory() as db:
        waiting = _ids(
            db,
            SubmissionStatus.RECEIVED,
            Submission.created_at,
            now - dt.timedelta(seconds=settings.received_grace_s),
        )
        dispatched = sum(enqueue_scoring(db, celery, sid) for sid in waiting)

        lost = _ids(
            db,
            SubmissionStatus.QUEUED,
            Submission.queued_at,
            now - dt.timedelta(seconds=settings.queued_timeout_s),
        )
        resent = 0
        for sid in lost:
            if send_scoring_task(celery, sid):
                db.execute(update(Submission).where(Submission.id == sid).values(queued_at=now))
                db.commit()
                resent += 1

        stuck = _ids(
            db, SubmissionStatus.RUNNING, Submission.started_at, now - hard_limit - STUCK_GRACE
        )
        requeued = failed = 0
        for sid in stuck:
            submission = db.get(Submission, sid)
            if submission is None or submission.status != SubmissionStatus.RUNNING:
                continue
            if submission.attempts >= settings.max_scoring_attempts:
                submission.status = SubmissionStatus.FAILED
                submission.error = (
                    f"scoring did not finish within {settings.task_hard_time_limit_s} s "
                    f"in {submission.attempts} attempts; the organizers have been notified"
                )
                submission.finished_at = now
                db.commit()
                log.error("submission %s failed: stuck in running", sid)
                failed += 1
            else:
                submission.status = SubmissionStatus.RECEIVED
                db.commit()
                enqueue_scoring(db, celery, sid)
                requeued += 1
    return SweepReport(dispatched=dispatched, resent=resent, requeued=requeued, failed=failed)
