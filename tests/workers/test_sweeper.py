"""The sweeper: no submission stays `received`, `queued` or `running` forever."""

from __future__ import annotations

import datetime as dt

import redis
from sqlalchemy import func, select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.models import Submission, WorkerHeartbeat, utcnow
from app.services.dispatch import BROKER_EPOCH_KEY, broker_restarted_empty, sweep_submissions
from tests.app.support import new_user, upload, wait_for_status

LONG_AGO = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _force(settings: Settings, submission_id: int, **values: object) -> None:
    with session_factory(settings.sqlalchemy_url)() as db:
        db.execute(update(Submission).where(Submission.id == submission_id).values(**values))
        db.commit()


def _sweep(client: TestClient, settings: Settings, now: dt.datetime | None = None) -> object:
    celery = client.app.state.celery  # type: ignore[attr-defined]
    return sweep_submissions(session_factory(settings.sqlalchemy_url), celery, settings, now)


def _scored(client: TestClient, service: Settings) -> tuple[dict[str, str], int]:
    headers = new_user(service)
    submission_id = upload(client, headers).json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    return headers, submission_id


def test_stuck_running_submission_is_requeued_and_scored(
    client: TestClient, service: Settings
) -> None:
    headers, submission_id = _scored(client, service)
    _force(service, submission_id, status="running", started_at=LONG_AGO, attempts=1)
    report = _sweep(client, service)
    assert report.requeued >= 1  # type: ignore[attr-defined]
    again = wait_for_status(client, headers, submission_id)
    assert again["status"] == "scored"
    assert again["attempts"] == 2


def test_stuck_running_past_its_attempts_fails_with_a_reason(
    client: TestClient, service: Settings
) -> None:
    headers, submission_id = _scored(client, service)
    _force(
        service,
        submission_id,
        status="running",
        started_at=LONG_AGO,
        attempts=service.max_scoring_attempts,
    )
    _sweep(client, service)
    failed = client.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert failed["status"] == "failed"
    assert f"did not finish within {service.task_hard_time_limit_s} s" in failed["error"]


def test_running_on_no_live_worker_is_requeued_at_once(
    client: TestClient, service: Settings
) -> None:
    """A running row that no live worker holds (its worker died) is taken back at the next
    sweep, long before the hard time limit; with the embedded broker, which cannot ask the
    workers, only once it was claimed before every live worker started."""
    headers, submission_id = _scored(client, service)
    with session_factory(service.sqlalchemy_url)() as db:
        first_start = db.scalar(select(func.min(WorkerHeartbeat.started_at)))
    assert first_start is not None
    patient = service.model_copy(update={"task_hard_time_limit_s": 10**6})  # no time-out
    _force(service, submission_id, status="running", started_at=utcnow(), attempts=1)
    report = _sweep(client, patient)
    if service.embedded_broker:
        assert report.requeued == 0  # type: ignore[attr-defined]
        detail = client.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
        assert detail["status"] == "running"
        before_workers = first_start - dt.timedelta(seconds=1)
        _force(service, submission_id, started_at=before_workers)
        report = _sweep(client, patient)
    assert report.requeued == 1  # type: ignore[attr-defined]
    again = wait_for_status(client, headers, submission_id)
    assert (again["status"], again["attempts"]) == ("scored", 2)


def test_a_vanished_worker_makes_queued_messages_be_sent_again(
    client: TestClient, service: Settings
) -> None:
    """A worker that died without saying so may hold prefetched messages that the broker
    gives back only after hours: every queued row is sent again at once."""
    headers, submission_id = _scored(client, service)
    with session_factory(service.sqlalchemy_url)() as db:
        db.add(WorkerHeartbeat(hostname="gone@nowhere", queues="evaluation", pid=1,
                               started_at=LONG_AGO, last_seen_at=LONG_AGO))  # fmt: skip
        db.commit()
    _sweep(client, service)  # whatever was pending before this test
    _force(service, submission_id, status="queued", queued_at=utcnow())
    with session_factory(service.sqlalchemy_url)() as db:
        db.add(WorkerHeartbeat(hostname="gone@nowhere", queues="evaluation", pid=1,
                               started_at=LONG_AGO, last_seen_at=LONG_AGO))  # fmt: skip
        db.commit()
    report = _sweep(client, service)
    assert report.resent >= 1  # type: ignore[attr-defined]
    with session_factory(service.sqlalchemy_url)() as db:
        assert db.get(WorkerHeartbeat, "gone@nowhere") is None  # counted once
    again = wait_for_status(client, headers, submission_id)
    assert (again["status"], again["attempts"]) == ("scored", 2)
    _force(service, submission_id, status="queued", queued_at=utcnow())
    assert _sweep(client, service).resent == 0  # type: ignore[attr-defined]
    _force(service, submission_id, status="scored")


def test_a_broker_restarted_empty_makes_queued_messages_be_sent_again(
    client: TestClient, service: Settings
) -> None:
    if service.embedded_broker:
        assert not broker_restarted_empty(service)  # a file: it cannot come back empty
        return
    headers, submission_id = _scored(client, service)
    _sweep(client, service)  # the broker's mark is set
    _force(service, submission_id, status="queued", queued_at=utcnow())
    assert _sweep(client, service).resent == 0  # type: ignore[attr-defined]
    broker = redis.Redis.from_url(service.celery_broker_url)
    broker.delete(service.redis_key_prefix + BROKER_EPOCH_KEY)  # as after a restart
    broker.close()
    assert _sweep(client, service).resent >= 1  # type: ignore[attr-defined]
    again = wait_for_status(client, headers, submission_id)
    assert (again["status"], again["attempts"]) == ("scored", 2)


def test_lost_queued_message_is_sent_again(client: TestClient, service: Settings) -> None:
    headers, submission_id = _scored(client, service)
    _force(service, submission_id, status="queued", queued_at=LONG_AGO)
    report = _sweep(client, service)
    assert report.resent >= 1  # type: ignore[attr-defined]
    again = wait_for_status(client, headers, submission_id)
    assert again["status"] == "scored"
    assert again["attempts"] == 2


def test_received_submission_is_dispatched(client: TestClient, service: Settings) -> None:
    headers, submission_id = _scored(client, service)
    _force(service, submission_id, status="received", created_at=LONG_AGO)
    report = _sweep(client, service)
    assert report.dispatched >= 1  # type: ignore[attr-defined]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
