"""Redis (the broker) killed and restarted empty while submissions arrive: uploads are still
accepted and stored as `received`, and every one is scored exactly once after it returns.

The private redis-server keeps nothing on disk, so messages queued before the crash are
lost with it: the sweeper must send those again too.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import pytest

from tests.reliability.servers import private_redis
from tests.reliability.support import (
    post_upload,
    scoring_state,
    sweeping_deployment,
    wait_until_scored,
)

UPLOADS_WHILE_DOWN = 4


@pytest.mark.slow
def test_uploads_during_a_broker_restart_are_kept_and_scored(tmp_path: Path) -> None:
    with private_redis() as broker, ExitStack() as stack:
        settings, headers, http = sweeping_deployment(
            stack, tmp_path / "data", broker_url=broker.url
        )

        before = post_upload(http, headers).json()["id"]
        wait_until_scored(settings, [before], timeout=60)
        just_queued = post_upload(http, headers).json()["id"]  # its message may die with Redis
        broker.kill()

        during = []
        for _ in range(UPLOADS_WHILE_DOWN):
            started = time.monotonic()
            response = post_upload(http, headers)
            assert response.status_code == 201, response.text
            assert response.json()["status"] == "received"  # stored, waiting for the broker
            assert time.monotonic() - started < 10  # no endless retrying inside the request
            during.append(response.json()["id"])
        assert http.get("/leaderboard").status_code == 200  # reads do not need the broker
        state = scoring_state(settings)
        assert all(state[sid][0] == "received" for sid in during)

        broker.start()  # same port, empty
        accepted = [before, just_queued, *during]
        state = wait_until_scored(settings, accepted, timeout=120)
        assert all(state[sid][2] == 1 for sid in accepted), state  # one result each
        assert state[before][1] == 1  # the first one was not scored again
