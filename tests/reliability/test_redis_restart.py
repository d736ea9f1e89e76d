"""Redis (the broker) killed and restarted empty while submissions arrive: uploads are still
accepted and stored as `received`, and every one is scored exactly once within seconds of
its return.

The private redis-server keeps nothing on disk, so the messages of a backlog queued before
the crash are lost with it: the sweeper notices the empty broker and sends them again at
once (the queued time-out keeps its default of 15 minutes).
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.reliability.servers import private_redis
from tests.reliability.support import (
    assert_scored_exactly_once,
    distinct_uploads,
    paused,
    post_upload,
    queue_length,
    recovery_time,
    scoring_state,
    sweeping_deployment,
    wait_until_scored,
)

BACKLOG = 20
UPLOADS_WHILE_DOWN = 4
OUTAGE_S = 15
RECOVERY_S = 60


@pytest.mark.slow
def test_uploads_during_a_broker_restart_are_kept_and_scored(tmp_path: Path) -> None:
    with private_redis() as broker, ExitStack() as stack:
        deployment = sweeping_deployment(stack, tmp_path / "data", broker_url=broker.url)
        settings, headers, http = deployment.settings, deployment.headers, deployment.http
        (worker,) = deployment.workers

        before = post_upload(http, headers).json()["id"]
        wait_until_scored(settings, [before], timeout=60)
        with paused(worker):  # a backlog waits in Redis when it dies
            backlog = [
                post_upload(http, headers, c).json()["id"] for c in distinct_uploads(BACKLOG)
            ]
            assert queue_length(settings) >= BACKLOG - 1
            broker.kill()
        down = time.monotonic()

        during = []
        for content in distinct_uploads(UPLOADS_WHILE_DOWN, b"# during\n"):
            started = time.monotonic()
            response = post_upload(http, headers, content)
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "received"  # stored, waiting for the broker
            assert time.monotonic() - started < 10  # no endless retrying inside the request
            during.append(response.json()["id"])
        assert http.get("/leaderboard").status_code == 200  # reads do not need the broker
        state = scoring_state(settings)
        assert all(state[sid][0] == "received" for sid in during)

        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
        broker.start()  # same port, empty
        back = dt.datetime.now(dt.UTC)
        accepted = [before, *backlog, *during]
        state = wait_until_scored(settings, accepted, timeout=RECOVERY_S + 60)
        last = recovery_time("broker back empty", settings, state, accepted, back)
        assert last < dt.timedelta(seconds=RECOVERY_S)
        assert_scored_exactly_once(settings, state, accepted)
        assert state[before][1] == 1  # the first one was not scored again
