"""A paused worker under a short queued time-out: the sweeper sends every waiting task again
and again, and each submission is still scored exactly once, its attempts within the limit.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.app.support import wait_until
from tests.reliability.support import (
    assert_scored_exactly_once,
    distinct_uploads,
    evaluation_queue_drained,
    paused,
    post_upload,
    queue_length,
    scoring_state,
    sweeping_deployment,
    wait_until_scored,
)

UPLOADS = 10
PAUSE_S = 10  # below the 15 s after which a silent worker counts as gone


@pytest.mark.slow
def test_resent_messages_of_a_paused_worker_score_each_submission_once(tmp_path: Path) -> None:
    with ExitStack() as stack:
        deployment = sweeping_deployment(stack, tmp_path / "data", queued_timeout_s=1)
        settings, headers, http = deployment.settings, deployment.headers, deployment.http
        (worker,) = deployment.workers
        with paused(worker):
            ids = [
                post_upload(http, headers, content).json()["id"]
                for content in distinct_uploads(UPLOADS)
            ]
            time.sleep(PAUSE_S)  # each task is sent again about every second meanwhile
            waiting = queue_length(settings)
            assert waiting > 3 * UPLOADS  # the duplicates are there
        state = wait_until_scored(settings, ids, timeout=60)
        wait_until(lambda: evaluation_queue_drained(settings), 60, "the duplicate messages")
        time.sleep(2)  # the last duplicate taken is done
        state = scoring_state(settings)
        assert_scored_exactly_once(settings, state, ids)
        assert all(state[sid][1] == 1 for sid in ids), state  # no duplicate counted an attempt
        print(f"paused worker: {waiting} messages for {UPLOADS} submissions, each scored once")
