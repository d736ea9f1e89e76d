"""Helpers of the reliability tests: uploads over real HTTP and checks straight in the database."""

from __future__ import annotations

from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from app.core.config import Settings
from app.db import session_factory
from app.models import Result, Submission, SubmissionStatus
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, running_worker, wait_until
from tests.conftest import backend_settings
from tests.reliability.servers import web_server

# background picks far from every particle of the hand-built test tomogram: each is one FP
BACKGROUND_LINE = b"4d8q 2 38 30\n"


def post_upload(
    http: httpx.Client, headers: dict[str, str], content: bytes = GOOD_SUBMISSION
) -> httpx.Response:
    """POST a result file to a running server; the response."""
    return http.post(
        "/api/v1/submissions",
        headers=headers,
        files={"file": ("picks.txt", content, "text/plain")},
        data={"method": "spheres"},
    )


def scoring_state(settings: Settings) -> dict[int, tuple[str, int, int]]:
    """Every submission's (status, attempts, number of result rows), read from the database."""
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        results = dict(
            db.execute(select(Result.submission_id, func.count()).group_by(Result.submission_id))
            .tuples()
            .all()
        )
        rows = db.execute(select(Submission.id, Submission.status, Submission.attempts)).tuples()
        return {sid: (status, attempts, results.get(sid, 0)) for sid, status, attempts in rows}


def wait_until_scored(settings: Settings, ids: list[int], timeout: float) -> dict[int, Any]:
    """Wait until every submission of `ids` is `scored`; the scoring state of all of them.

    Fails the test, showing the states, if one fails or time runs out.
    """

    def all_scored() -> dict[int, Any] | None:
        state = scoring_state(settings)
        failed = [sid for sid in ids if state[sid][0] == SubmissionStatus.FAILED]
        assert not failed, f"submissions failed: {[(sid, state[sid]) for sid in failed]}"
        done = all(state[sid][0] == SubmissionStatus.SCORED for sid in ids)
        return state if done else None

    try:
        state: dict[int, Any] = wait_until(all_scored, timeout, f"submissions {ids} to be scored")
    except AssertionError as error:
        raise AssertionError(f"{error}; states: {scoring_state(settings)}") from None
    return state


def sweeping_deployment(
    stack: ExitStack, data_dir: Path, **overrides: Any
) -> tuple[Settings, dict[str, str], httpx.Client]:
    """A production deployment for fault tests, entered on `stack`: an active dataset, a
    participant's headers, a worker with a sweeper that re-sends within seconds, a web server
    and a client of it. `overrides` name the servers (`broker_url`, `database_url`) and
    settings."""
    settings = backend_settings(
        stack,
        "production",
        data_dir,
        sweep_interval_s=1,
        received_grace_s=0,
        queued_timeout_s=3,
        **overrides,
    )
    install_dataset(settings)
    headers = new_user(settings)
    stack.enter_context(running_worker(settings, beat=True))
    server = stack.enter_context(web_server(settings))
    http = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
    return settings, headers, http


def client_from(base_url: str, address: str) -> httpx.Client:
    """An HTTP client whose connections leave from `address` (any of 127.0.0.0/8 reaches the
    loopback server), so one test can speak as several client addresses."""
    transport = httpx.HTTPTransport(local_address=address)
    return httpx.Client(base_url=base_url, timeout=30, transport=transport)
