"""Sending scoring tasks, and the sweeper that makes sure no submission is left behind.

A submission row is committed as `received` before its task is sent; once the broker took
the task it becomes `queued`. If the broker is down, the row stays `received` and the
sweeper sends it later. Scoring claims a row exactly once (`app.services.scoring.claim`),
so the sweeper may send a task again whenever its message may be lost: a duplicate does
nothing. The sweeper re-sends `queued` rows at once when the broker restarted empty or a
worker vanished (its prefetched messages would come back only after the visibility timeout),
else after `queued_timeout_s`; it re-queues (or fails, with a reason) `running` rows that no
live worker is running, or that are past the hard time limit.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from dataclasses import dataclass
from typing import Any

import redis
from celery import Celery
from sqlalchemy import delete, select, update
from sqlalchemy.orm import QueryableAttribute, Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from app.core.config import Settings
from app.models import Submission, SubmissionStatus, WorkerHeartbeat, utcnow
from app.queues.routing import EVALUATION_QUEUE, SCORE_SUBMISSION, enqueue
from app.services.scoring import interrupted_reason

log = logging.getLogger(__name__)

# a running task gets this long past its hard time limit before it is declared stuck
STUCK_GRACE = dt.timedelta(seconds=30)
SWEEP_BATCH = 500
# a key the sweeper keeps in the broker's Redis: gone means Redis restarted empty
BROKER_EPOCH_KEY = "tomobench:broker-epoch"
# how long live workers get to say what they hold (the answer usually takes milliseconds)
INSPECT_TIMEOUT_S = 2.0


def send_scoring_task(celery: Celery, submission_id: int) -> bool:
    """Hand a scoring task to the broker; False (logged) when the broker is unreachable (the
    sweeper sends it again)."""
    return enqueue(celery, SCORE_SUBMISSION, submission_id)


def enqueue_scoring(db: Session, celery: Celery, submission_id: int) -> bool:
    """Send the task of a committed `received` submission and mark it `queued`.

    Returns False, leaving the row `received`, when the broker is unreachable.
    """
    if not send_scoring_task(celery, submission_id):
        return False
    if not db.in_transaction():  # one statement: committed as it runs, one round trip
        db.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    # only received -> queued: a fast worker may already have moved it on. A Core statement
    # (the ORM's own synchronisation of a bulk update cost more CPU than the statement); a
    # copy of the row held in the session learns what the database matched, so the caller
    # can trust it without reading it back
    queued_at = db.connection().scalar(
        update(Submission)
        .where(Submission.id == submission_id, Submission.status == SubmissionStatus.RECEIVED)
        .values(status=SubmissionStatus.QUEUED, queued_at=utcnow())
        .returning(Submission.queued_at)
    )
    db.commit()
    held = db.identity_map.get(identity_key(Submission, submission_id))
    if held is not None and queued_at is not None:
        set_committed_value(held, "status", SubmissionStatus.QUEUED)
        set_committed_value(held, "queued_at", queued_at)
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


@functools.cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def broker_restarted_empty(settings: Settings) -> bool:
    """True once after the broker's Redis lost its keys (restarted without persistence), and
    on the first sweep of a deployment; False for the embedded broker or while Redis is down.
    """
    url = settings.celery_broker_url
    if not url.startswith(("redis://", "rediss://")):
        return False  # the embedded broker is a file: it cannot come back empty
    try:
        key = settings.redis_key_prefix + BROKER_EPOCH_KEY
        return bool(_redis(url).set(key, utcnow().isoformat(), nx=True))
    except redis.RedisError as error:
        log.warning("broker check skipped: %s", error)
        return False


def forget_vanished_workers(db: Session, settings: Settings, now: dt.datetime) -> int:
    """Delete the heartbeats of workers that stopped without saying so; how many."""
    cutoff = now - dt.timedelta(seconds=settings.worker_stale_after_s)
    stale = db.execute(
        select(WorkerHeartbeat.hostname, WorkerHeartbeat.last_seen_at).where(
            WorkerHeartbeat.last_seen_at < cutoff
        )
    ).all()
    gone = 0
    for hostname, seen in stale:
        # only the row as read: a worker that beat again meanwhile is alive
        deleted = db.execute(
            delete(WorkerHeartbeat).where(
                WorkerHeartbeat.hostname == hostname, WorkerHeartbeat.last_seen_at == seen
            )
        )
        gone += deleted.rowcount  # type: ignore[attr-defined]
    db.commit()
    if gone:
        log.warning("workers vanished: %s", ", ".join(hostname for hostname, _ in stale))
    return gone


def _held_by_workers(celery: Celery, settings: Settings, hostnames: list[str]) -> set[int] | None:
    """Submission ids that the given (live) workers are running or hold, asked over the
    broker; None if that cannot be known (embedded broker, a worker did not answer)."""
    if not hostnames:
        return set()
    if settings.embedded_broker:
        return None  # no remote control on the embedded broker
    inspect = celery.control.inspect(
        destination=hostnames, timeout=INSPECT_TIMEOUT_S, limit=len(hostnames)
    )
    held: set[int] = set()
    try:
        # reserved as well as active: a task the pool just started may not be active yet
        for replies in (inspect.active(), inspect.reserved()):
            if replies is None or not set(hostnames) <= set(replies):
                return None
            for tasks in replies.values():
                held.update(
                    int(task["args"][0])
                    for task in tasks
                    if task.get("name") == SCORE_SUBMISSION and task.get("args")
                )
    except Exception as error:  # a broker failure: decide nothing this time
        log.warning("could not ask the workers what they run: %s", error)
        return None
    return held


def _orphaned(
    db: Session,
    celery: Celery,
    settings: Settings,
    now: dt.datetime,
    running: list[tuple[int, dt.datetime | None]],
) -> set[int]:
    """The running submissions that no live evaluation worker is running."""
    cutoff = now - dt.timedelta(seconds=settings.worker_stale_after_s)
    live = dict(
        db.execute(
            select(WorkerHeartbeat.hostname, WorkerHeartbeat.started_at).where(
                WorkerHeartbeat.last_seen_at >= cutoff,
                WorkerHeartbeat.queues.contains(EVALUATION_QUEUE),
            )
        )
        .tuples()
        .all()
    )
    # claimed before every live worker started: none of them can be running it
    orphans = {
        sid
        for sid, started in running
        if started is None or all(since > started for since in live.values())
    }
    if len(orphans) < len(running):
        held = _held_by_workers(celery, settings, sorted(live))
        if held is not None:
            orphans.update(sid for sid, _ in running if sid not in held)
    return orphans


def _reclaim(
    db: Session, celery: Celery, settings: Settings, sid: int, attempts: int, reason: str
) -> str | None:
    """Take a running submission back from its attempt: queue it again, or fail it with
    `reason` when it is out of attempts. What was done, or None if the attempt moved on."""
    held = (
        Submission.id == sid,
        Submission.status == SubmissionStatus.RUNNING,
        Submission.attempts == attempts,
    )
    if attempts >= settings.max_scoring_attempts:
        values: dict[str, Any] = {"status": SubmissionStatus.FAILED, "error": reason}
        values["finished_at"] = utcnow()
    else:  # received, so that a broker failure in between leaves it for the next sweep
        values = {"status": SubmissionStatus.RECEIVED}
    changed = db.execute(update(Submission).where(*held).values(**values))
    db.commit()
    if not changed.rowcount:  # type: ignore[attr-defined]
        return None
    if values["status"] == SubmissionStatus.FAILED:
        log.error("submission %s failed: %s", sid, reason)
        return "failed"
    enqueue_scoring(db, celery, sid)
    return "requeued"


def sweep_submissions(
    factory: sessionmaker[Session],
    celery: Celery,
    settings: Settings,
    now: dt.datetime | None = None,
) -> SweepReport:
    """One pass of the sweeper (safe to run concurrently: scoring claims a row once)."""
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

        # every queued message may be lost: with the broker's keys, or prefetched by a
        # worker that vanished; a re-send that turns out to be a duplicate does nothing
        lost_all = broker_restarted_empty(settings) | bool(
            forget_vanished_workers(db, settings, now)
        )
        queued_before = now if lost_all else now - dt.timedelta(seconds=settings.queued_timeout_s)
        resent = 0
        for sid in _ids(db, SubmissionStatus.QUEUED, Submission.queued_at, queued_before):
            if send_scoring_task(celery, sid):
                db.execute(update(Submission).where(Submission.id == sid).values(queued_at=now))
                db.commit()
                resent += 1

        running = db.execute(
            select(Submission.id, Submission.attempts, Submission.started_at)
            .where(Submission.status == SubmissionStatus.RUNNING)
            .order_by(Submission.id)
            .limit(SWEEP_BATCH)
        ).all()
        deadline = now - hard_limit - STUCK_GRACE
        stuck = {sid for sid, _, started in running if started and started < deadline}
        unsure = [(sid, started) for sid, _, started in running if sid not in stuck]
        orphans = _orphaned(db, celery, settings, now, unsure) if unsure else set()
        requeued = failed = 0
        for sid, attempts, _ in running:
            if sid in stuck:
                reason = (
                    f"scoring did not finish within {settings.task_hard_time_limit_s} s "
                    f"in {attempts} attempts; the organizers have been notified"
                )
            elif sid in orphans:
                reason = interrupted_reason(attempts)
            else:
                continue
            done = _reclaim(db, celery, settings, sid, attempts, reason)
            requeued += done == "requeued"
            failed += done == "failed"
    return SweepReport(dispatched=dispatched, resent=resent, requeued=requeued, failed=failed)
