"""A worker process SIGKILLed in the middle of scoring: the task is re-delivered and the
submission is scored exactly once (one result row, two attempts). A whole worker SIGKILLed
in a backlog: what it held is taken back within seconds and everything is scored once.

Scoring is made long in a legitimate way: a valid upload at the line limit, which the
worker parses itself (as on any cache miss) before scoring; that takes seconds.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
import redis
from sqlalchemy import select

from app.core.config import Settings
from app.db import session_factory
from app.models import Result
from app.queues.celery_app import create_celery_app
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, running_worker
from tests.app.support import wait_until as wait_for
from tests.conftest import backend_settings
from tests.reliability.servers import cpu_ticks, kill_hard, pool_children, web_server
from tests.reliability.support import (
    BACKGROUND_LINE,
    MISFRAMED_OK,
    assert_scored_exactly_once,
    distinct_uploads,
    evaluation_queue_drained,
    paused,
    post_upload,
    recovery_time,
    scoring_state,
    sweeping_deployment,
    wait_until_scored,
)

LINES = 150_000


def _busy_child(worker_pids: list[int]) -> int | None:
    """The pool process that is burning CPU (the one scoring), if any."""
    children = [child for pid in worker_pids for child in pool_children(pid)]
    before = {child: cpu_ticks(child) for child in children}
    time.sleep(0.5)
    # a fifth of a core at least: the machine may be shared with other test runs
    busy = [child for child in children if cpu_ticks(child) - before[child] >= 10]
    return busy[0] if len(busy) == 1 else None


@pytest.mark.slow
def test_worker_killed_mid_scoring_is_redelivered_and_scored_once(tmp_path: Path) -> None:
    big = GOOD_SUBMISSION + BACKGROUND_LINE * (LINES - 5)
    with ExitStack() as stack:
        settings = backend_settings(
            stack, "production", tmp_path / "data", task_soft_time_limit_s=120,
            task_hard_time_limit_s=130,
        )  # fmt: skip
        install_dataset(settings)
        headers = new_user(settings)
        server = stack.enter_context(web_server(settings))
        http = stack.enter_context(httpx.Client(base_url=server.url, timeout=120))
        response = post_upload(http, headers, big, **MISFRAMED_OK)
        assert response.status_code == 201, response.text
        submission_id = response.json()["id"]
        # no worker yet: drop the web app's parse of the upload so the worker parses it
        shutil.rmtree(settings.storage_dir / "parsed", ignore_errors=True)

        workers = [stack.enter_context(running_worker(settings)) for _ in range(2)]
        wait_for(lambda: scoring_state(settings)[submission_id][0] == "running", 60, "running")
        victim = wait_for(lambda: _busy_child([w.pid for w in workers]), 60, "the busy child")
        kill_hard(victim)

        state = wait_until_scored(settings, [submission_id], timeout=120)
        assert state[submission_id] == ("scored", 2, 1)  # status, attempts, result rows
        assert all(worker.poll() is None for worker in workers)  # the workers carried on
        with session_factory(settings.sqlalchemy_url)() as db:  # scored on the whole test
            metrics = db.scalars(
                select(Result.metrics).where(Result.submission_id == submission_id)
            ).one()

    # by hand: the 4 picks of GOOD_SUBMISSION (3 hits, 1 background) plus background picks
    localization = metrics["localization"]
    assert localization["RR"] == LINES - 1
    assert (localization["TP"], localization["FP"], localization["FN"]) == (3, LINES - 4, 1)


BACKLOG = 50
# each upload takes the worker a few tenths of a second to parse, so both workers stay busy
BACKLOG_LINES = 30_000
RECOVERY_S = 60  # the target: every submission scored within this of the fault


def _running(settings: Settings) -> set[int]:
    return {sid for sid, (status, _, _) in scoring_state(settings).items() if status == "running"}


def _held_by_the_paused_victim(settings: Settings, victim: subprocess.Popen[bytes]) -> set[int]:
    """Once both workers are scoring, pause the victim; the submissions that stay `running`
    meanwhile are the ones it holds (the other worker finishes one in a fraction of a
    second). Then SIGKILL it. Empty if it held none: resumed, try again."""
    wait_for(lambda: len(_running(settings)) >= 2, 30, "both workers scoring")
    with paused(victim):
        before = _running(settings)
        time.sleep(2.5)
        held = before & _running(settings)
        if held:
            kill_hard(victim.pid)  # the main process; its pool dies with it (parent-death signal)
            victim.wait()
            return held
    return set()


@pytest.mark.slow
def test_whole_worker_killed_in_a_backlog_loses_nothing_and_scores_once(tmp_path: Path) -> None:
    with ExitStack() as stack:
        deployment = sweeping_deployment(stack, tmp_path / "data", workers=0)
        settings, headers, http = deployment.settings, deployment.headers, deployment.http
        extra = BACKGROUND_LINE * BACKLOG_LINES
        ids = []
        for content in distinct_uploads(BACKLOG, extra):  # no worker yet: a backlog builds
            response = post_upload(http, headers, content, **MISFRAMED_OK)
            assert response.status_code == 201, response.text
            ids.append(response.json()["id"])
        shutil.rmtree(settings.storage_dir / "parsed", ignore_errors=True)  # workers parse
        victim = stack.enter_context(running_worker(settings))
        survivor = stack.enter_context(running_worker(settings))

        held: set[int] = set()
        deadline = time.monotonic() + 60
        while not held and time.monotonic() < deadline:
            held = _held_by_the_paused_victim(settings, victim)
        assert held, "the victim never held a running submission"
        killed = dt.datetime.now(dt.UTC)

        state = wait_until_scored(settings, ids, timeout=RECOVERY_S + 60)
        last = recovery_time(f"worker killed holding {sorted(held)}", settings, state, ids, killed)
        assert last < dt.timedelta(seconds=RECOVERY_S)
        assert_scored_exactly_once(settings, state, ids)
        assert all(state[sid][1] == 2 for sid in held)  # taken back once from the dead worker
        assert survivor.poll() is None

        # the dead worker's unacknowledged message comes back once the broker's visibility
        # timeout (hours) has passed: simulated here, it must change nothing
        broker = redis.Redis.from_url(settings.celery_broker_url)
        assert broker.hlen(settings.redis_key_prefix + "unacked") >= len(held)
        broker.close()
        with create_celery_app(settings).connection_for_write() as connection:
            channel = connection.default_channel
            channel.visibility_timeout = 0  # as if the timeout had passed
            channel.qos.restore_visible(num=100)
        wait_for(lambda: evaluation_queue_drained(settings), 30, "the re-delivered messages")
        time.sleep(2)
        assert scoring_state(settings) == state
