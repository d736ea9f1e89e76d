"""Helpers of the reliability tests: uploads over real HTTP and checks straight in the database."""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import redis
from sqlalchemy import func, select

from app.background import Dispatcher
from app.core.config import Settings
from app.db import session_factory
from app.models import Result, Submission, SubmissionStatus
from app.queues.routing import EVALUATION_QUEUE
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, running_worker, wait_until
from tests.conftest import backend_settings
from tests.reliability.servers import web_server

# background picks far from every particle of the hand-built test tomogram: each is one FP
BACKGROUND_LINE = b"4d8q 2 38 30\n"


def post_upload(
    http: httpx.Client, headers: dict[str, str], content: bytes = GOOD_SUBMISSION, **fields: str
) -> httpx.Response:
    """POST a result file to a running server (`fields`: more form fields); the response."""
    return http.post(
        "/api/v1/submissions",
        headers=headers,
        files={"file": ("picks.txt", content, "text/plain")},
        data={"method": "spheres", **fields},
    )


# background picks all lie outside the particles' region, which is refused as misframed
# unless the upload says to score it anyway
MISFRAMED_OK = {"allow_misframed": "true"}


def scoring_state(settings: Settings) -> dict[int, tuple[str, int, int]]:
    """Every submission's (status, attempts, number of result rows), read from the database
    in one statement: one snapshot, so a scoring committed meanwhile is seen whole or not at
    all (two statements could see its status `scored` but not its result row)."""
    results = (
        select(func.count())
        .where(Result.submission_id == Submission.id)
        .correlate(Submission)
        .scalar_subquery()
    )
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        rows = db.execute(select(Submission.id, Submission.status, Submission.attempts, results))
        return {sid: (status, attempts, count) for sid, status, attempts, count in rows.tuples()}


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


@dataclass
class Deployment:
    """A production deployment under test: its settings, a participant's headers, a client of
    the web server and the worker processes."""

    settings: Settings
    headers: dict[str, str]
    http: httpx.Client
    workers: list[subprocess.Popen[bytes]]


def sweeping_deployment(
    stack: ExitStack, data_dir: Path, *, workers: int = 1, **overrides: Any
) -> Deployment:
    """A production deployment for fault tests, entered on `stack`: an active dataset, a
    participant's headers, `workers` worker processes, a web server and a client of it, and
    the sweeper that `serve` runs (here in the test process, so it keeps sweeping while a
    worker is paused or killed) every second. Time-outs keep their defaults, so recovery
    within seconds comes from the sweeper's fast paths, not from a short time-out.
    `overrides` name the servers (`broker_url`, `database_url`) and settings."""
    overrides = {"sweep_interval_s": 1, "received_grace_s": 0, "daily_quota": 1000} | overrides
    settings = backend_settings(stack, "production", data_dir, **overrides)
    install_dataset(settings)
    headers = new_user(settings)
    processes = [stack.enter_context(running_worker(settings)) for _ in range(workers)]
    server = stack.enter_context(web_server(settings))
    http = stack.enter_context(httpx.Client(base_url=server.url, timeout=30))
    stack.enter_context(sweeper(settings))
    return Deployment(settings, headers, http, processes)


@contextmanager
def sweeper(settings: Settings) -> Iterator[Dispatcher]:
    """The dispatcher thread of `serve` (the sweeper, no worker child), stopped on exit."""
    dispatcher = Dispatcher(settings)
    dispatcher.start()
    try:
        yield dispatcher
    finally:
        dispatcher.stop()


@contextmanager
def paused(process: subprocess.Popen[bytes]) -> Iterator[None]:
    """A worker and its pool frozen (SIGSTOP to its process group) until the block ends."""
    os.killpg(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGCONT)


def distinct_uploads(count: int, extra: bytes = b"") -> list[bytes]:
    """`count` valid result files that differ (a comment line each), each with `extra`."""
    return [GOOD_SUBMISSION + f"# upload {n}\n".encode() + extra for n in range(count)]


def finish_times(settings: Settings, ids: list[int]) -> dict[int, dt.datetime]:
    """When each submission of `ids` finished, read from the database."""
    with session_factory(settings.sqlalchemy_url)() as db:
        rows = db.execute(
            select(Submission.id, Submission.finished_at).where(Submission.id.in_(ids))
        ).tuples()
        return {sid: finished for sid, finished in rows if finished is not None}


def recovery_time(
    fault: str, settings: Settings, state: dict[int, Any], ids: list[int], since: dt.datetime
) -> dt.timedelta:
    """How long after `since` the last submission of `ids` was scored; printed with the most
    attempts any of them took (the figures of docs/reliability.md)."""
    last = max(finish_times(settings, ids).values()) - since
    most = max(state[sid][1] for sid in ids)
    print(
        f"{fault}: last of {len(ids)} scored {last.total_seconds():.1f} s later; attempts <= {most}"
    )
    return last


def assert_scored_exactly_once(settings: Settings, state: dict[int, Any], ids: list[int]) -> None:
    """Each submission of `ids` is scored with one result row and at most the allowed
    number of attempts."""
    limit = settings.max_scoring_attempts
    wrong = {sid: state[sid] for sid in ids if state[sid][0] != "scored" or state[sid][2] != 1}
    assert not wrong, f"not scored exactly once (status, attempts, results): {wrong}"
    over = {sid: state[sid] for sid in ids if state[sid][1] > limit}
    assert not over, f"attempts past the limit of {limit}: {over}"


def queue_length(settings: Settings) -> int:
    """How many messages wait in the broker's evaluation queue (duplicates included)."""
    client = redis.Redis.from_url(settings.celery_broker_url)
    try:
        return int(client.llen(settings.redis_key_prefix + EVALUATION_QUEUE))
    finally:
        client.close()


def evaluation_queue_drained(settings: Settings) -> bool:
    """True when the broker's evaluation queue holds no message."""
    return queue_length(settings) == 0
