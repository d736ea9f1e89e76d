"""A worker process SIGKILLed in the middle of scoring: the task is re-delivered and the
submission is scored exactly once (one result row, two attempts).

Scoring is made long in a legitimate way: a valid upload at the line limit, which the
worker parses itself (as on any cache miss) before scoring; that takes seconds.
"""

from __future__ import annotations

import shutil
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, running_worker
from tests.app.support import wait_until as wait_for
from tests.conftest import backend_settings
from tests.reliability.servers import cpu_ticks, kill_hard, pool_children, web_server
from tests.reliability.support import BACKGROUND_LINE, post_upload, scoring_state, wait_until_scored

LINES = 150_000


def _busy_child(worker_pids: list[int]) -> int | None:
    """The pool process that is burning CPU (the one scoring), if any."""
    children = [child for pid in worker_pids for child in pool_children(pid)]
    before = {child: cpu_ticks(child) for child in children}
    time.sleep(0.5)
    busy = [child for child in children if cpu_ticks(child) - before[child] >= 20]
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
        response = post_upload(http, headers, big)
        assert response.status_code == 201, response.text
        submission_id = response.json()["id"]
        # no worker yet: drop the web app's parse of the upload so the worker parses it
        shutil.rmtree(settings.storage_dir / "parsed", ignore_errors=True)

        workers = [stack.enter_context(running_worker(settings)) for _ in range(2)]
        wait_for(lambda: scoring_state(settings)[submission_id][0] == "running", 60, "running")
        victim = wait_for(lambda: _busy_child([w.pid for w in workers]), 30, "the busy child")
        kill_hard(victim)

        state = wait_until_scored(settings, [submission_id], timeout=120)
        assert state[submission_id] == ("scored", 2, 1)  # status, attempts, result rows
        assert all(worker.poll() is None for worker in workers)  # the workers carried on
        result = http.get(f"/api/v1/submissions/{submission_id}", headers=headers).json()

    # by hand: the 4 picks of GOOD_SUBMISSION (3 hits, 1 background) plus background picks
    localization = result["result"]["localization"]
    assert localization["RR"] == LINES - 1
    assert (localization["TP"], localization["FP"], localization["FN"]) == (3, LINES - 4, 1)
