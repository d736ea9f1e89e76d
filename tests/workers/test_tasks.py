"""Celery configuration and the scoring task run in-process (eagerly) on real databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Result, Submission
from app.queues.celery_app import TomobenchCelery, create_celery_app
from app.queues.routing import GENERATE_DATASET, SCORE_SUBMISSION, SWEEP_SUBMISSIONS
from app.services import scoring
from app.services.storage import CorruptedFile
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, upload
from workers.tasks.evaluation import _failure_reason


@pytest.fixture
def app_with_dataset(fresh_settings: Settings) -> Iterator[TestClient]:
    """An app with the test dataset and no worker: tasks wait in the broker."""
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        yield client


def _eager_score(settings: Settings, submission_id: int) -> None:
    celery = create_celery_app(settings)
    import workers.tasks.evaluation  # noqa: F401  (registers the shared tasks)

    celery.tasks[SCORE_SUBMISSION].apply(args=[submission_id])


def _submission(settings: Settings, submission_id: int) -> Submission:
    with session_factory(settings.sqlalchemy_url)() as db:
        submission = db.get(Submission, submission_id)
        assert submission is not None
        submission.results  # noqa: B018  (load before the session closes)
        return submission


def test_routing_sends_each_task_family_to_its_queue(fresh_settings: Settings) -> None:
    celery = create_celery_app(fresh_settings)
    router = celery.amqp.router
    assert router.route({}, SCORE_SUBMISSION)["queue"].name == "evaluation"
    assert router.route({}, SWEEP_SUBMISSIONS)["queue"].name == "evaluation"
    assert router.route({}, GENERATE_DATASET)["queue"].name == "simulation"
    assert router.route({}, "workers.tasks.baselines.train")["queue"].name == "gpu"


def test_task_options_are_the_documented_ones(fresh_settings: Settings) -> None:
    conf = create_celery_app(fresh_settings).conf
    assert conf.task_acks_late is True
    assert conf.task_reject_on_worker_lost is True
    assert conf.worker_prefetch_multiplier == 1
    assert conf.task_soft_time_limit == fresh_settings.task_soft_time_limit_s
    assert conf.task_time_limit == fresh_settings.task_hard_time_limit_s
    assert {queue.name for queue in conf.task_queues} == {"evaluation", "simulation", "gpu"}
    assert isinstance(create_celery_app(fresh_settings), TomobenchCelery)


def test_duplicate_message_does_not_score_again(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    assert _submission(fresh_settings, submission_id).status == "queued"
    _eager_score(fresh_settings, submission_id)
    first = _submission(fresh_settings, submission_id)
    assert first.status == "scored"
    assert len(first.results) == 1
    _eager_score(fresh_settings, submission_id)  # a re-send of a message that was not lost
    second = _submission(fresh_settings, submission_id)
    assert second.status == "scored"
    assert second.attempts == 1
    assert [r.id for r in second.results] == [r.id for r in first.results]
    assert second.results[0].updated_at == first.results[0].updated_at  # not even rewritten


def test_the_upload_answer_tells_the_state_the_row_is_in(
    app_with_dataset: TestClient, fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    headers = new_user(fresh_settings)
    created = upload(app_with_dataset, headers).json()
    assert created["status"] == "queued" == _submission(fresh_settings, created["id"]).status
    factory = session_factory(fresh_settings.sqlalchemy_url)

    def claimed_at_once(celery: object, submission_id: int) -> bool:  # a worker faster than
        return scoring.claim(factory, fresh_settings, submission_id) == 1  # the web's update

    monkeypatch.setattr("app.services.dispatch.send_scoring_task", claimed_at_once)
    raced = upload(app_with_dataset, headers, content=GOOD_SUBMISSION + b"1bxn 3 3 3\n").json()
    assert raced["status"] == "running" == _submission(fresh_settings, raced["id"]).status


def test_out_of_attempts_fails_instead_of_scoring(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    limit = fresh_settings.max_scoring_attempts
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        db.execute(update(Submission).where(Submission.id == submission_id).values(attempts=limit))
        db.commit()
    _eager_score(fresh_settings, submission_id)
    failed = _submission(fresh_settings, submission_id)
    assert (failed.status, failed.attempts, failed.results) == ("failed", limit, [])
    assert f"interrupted {limit} times" in (failed.error or "")


def test_only_the_attempt_holding_a_submission_records_its_score(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    factory = session_factory(fresh_settings.sqlalchemy_url)
    first = scoring.claim(factory, fresh_settings, submission_id)
    assert first == 1
    assert scoring.claim(factory, fresh_settings, submission_id) is None  # a duplicate
    # the broker re-delivers the message whose process died: it takes the row over
    second = scoring.claim(factory, fresh_settings, submission_id, redelivered=True)
    assert second == 2
    assert not scoring.score_claimed(factory, fresh_settings, submission_id, 1)  # superseded
    assert _submission(fresh_settings, submission_id).results == []
    assert scoring.score_claimed(factory, fresh_settings, submission_id, 2)
    scored = _submission(fresh_settings, submission_id)
    assert (scored.status, scored.attempts, len(scored.results)) == ("scored", 2, 1)


def test_a_retry_after_a_database_error_resumes_its_own_attempt(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    factory = session_factory(fresh_settings.sqlalchemy_url)
    assert scoring.claim(factory, fresh_settings, submission_id) == 1
    # the database went away mid-scoring; the retried task takes its attempt up again
    assert scoring.claim(factory, fresh_settings, submission_id, resume=1) == 1
    assert _submission(fresh_settings, submission_id).attempts == 1
    # unless the sweeper took the row back meanwhile: then it is a new attempt
    with factory() as db:
        db.execute(update(Submission).where(Submission.id == submission_id).values(status="queued"))
        db.commit()
    assert scoring.claim(factory, fresh_settings, submission_id, resume=1) == 2
    assert scoring.claim(factory, fresh_settings, submission_id, resume=1) is None  # not its own


def test_new_evaluator_version_adds_a_result_and_becomes_current(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    _eager_score(fresh_settings, submission_id)
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        current = db.scalars(select(Result).where(Result.submission_id == submission_id)).one()
        current.evaluator_version = "0.0.1"  # as if scored by an older evaluator
        # and queued again, as an organizer's re-score does
        db.execute(
            update(Submission)
            .where(Submission.id == submission_id)
            .values(status="received", attempts=0)
        )
        db.commit()
    _eager_score(fresh_settings, submission_id)
    submission = _submission(fresh_settings, submission_id)
    assert submission.results[0].evaluator_version == "0.0.1"
    assert len(submission.results) == 2
    assert submission.current_result is submission.results[-1]
    shown = app_with_dataset.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert shown["evaluator_version"] != "0.0.1"


def test_damaged_stored_file_fails_with_a_readable_reason(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    sha256 = _submission(fresh_settings, submission_id).file_sha256
    (fresh_settings.storage_dir / sha256[:2] / sha256).write_bytes(b"1bxn 0 0 0\n")
    _eager_score(fresh_settings, submission_id)
    failed = app_with_dataset.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert failed["status"] == "failed"
    assert "damaged" in failed["error"]
    quota = app_with_dataset.get("/api/v1/users/me/quota", headers=headers).json()
    assert quota["used"] == 0  # a platform failure costs no quota


def test_missing_ground_truth_fails_without_revealing_it(
    app_with_dataset: TestClient, fresh_settings: Settings
) -> None:
    headers = new_user(fresh_settings)
    submission_id = upload(app_with_dataset, headers).json()["id"]
    hidden = next(fresh_settings.datasets_dir.glob("*/model_1"))
    (hidden / "particle_locations.txt").unlink()
    _eager_score(fresh_settings, submission_id)
    failed = app_with_dataset.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()
    assert failed["status"] == "failed"
    assert failed["error"].startswith("internal error while scoring")
    for secret in (str(fresh_settings.datasets_dir), "model_1", "particle_locations"):
        assert secret not in failed["error"]


def test_failure_reasons_are_readable(fresh_settings: Settings) -> None:
    from evaluation import SubmissionError

    assert _failure_reason(SubmissionError("unknown class 'x'", 3), fresh_settings) == (
        "file: line 3: unknown class 'x'"
    )
    timeout = _failure_reason(SoftTimeLimitExceeded(), fresh_settings)
    assert timeout == (
        f"scoring exceeded the time limit of {fresh_settings.task_soft_time_limit_s} s"
    )
    assert "upload it again" in _failure_reason(CorruptedFile("x"), fresh_settings)
    assert "internal error" in _failure_reason(KeyError("secret/path"), fresh_settings)
