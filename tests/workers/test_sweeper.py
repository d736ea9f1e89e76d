"""The sweeper: no submission stays `received`, `queued` or `running` forever."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.models import Submission
from app.services.dispatch import STUCK_GRACE, sweep_submissions
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


def test_running_within_its_time_limit_is_left_alone(client: TestClient, service: Settings) -> None:
    headers, submission_id = _scored(client, service)
    started = dt.datetime.now(dt.UTC)
    _force(service, submission_id, status="running", started_at=started, attempts=1)
    limit = dt.timedelta(seconds=service.task_hard_time_limit_s)
    _sweep(client, service, now=started + limit + STUCK_GRACE - dt.timedelta(seconds=1))
    detail = client.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert detail["status"] == "running"
    _force(service, submission_id, status="scored")


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
