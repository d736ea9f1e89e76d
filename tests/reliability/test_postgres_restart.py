"""PostgreSQL restarted under a running service: the web answers 503 with a clear message
while it is down, recovers by itself, and every accepted submission is scored exactly once
within seconds of its return.

A private cluster is crashed (`pg_ctl stop -m immediate`) while a worker works through a
backlog, and started again on the same port after about 20 s; the web app (uvicorn), the
worker and the sweeper keep running throughout. Tasks that hit the outage are retried, not
acknowledged as failed (the queued time-out keeps its default of 15 minutes).
"""

from __future__ import annotations

import datetime as dt
import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from app.errors import DATABASE_DOWN
from tests.app.support import wait_until
from tests.reliability.servers import private_postgres
from tests.reliability.support import (
    assert_scored_exactly_once,
    distinct_uploads,
    paused,
    post_upload,
    queue_length,
    recovery_time,
    sweeping_deployment,
    wait_until_scored,
)

BACKLOG = 30
OUTAGE_S = 20
RECOVERY_S = 60
API_READS = ("/api/v1/leaderboard", "/api/v1/submissions", "/api/v1/users/me/quota")
PAGES = ("/", "/leaderboard", "/datasets", "/login")


def _answers_ok(http: httpx.Client) -> bool:
    try:
        return http.get("/api/v1/leaderboard").status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.slow
def test_database_outage_answers_503_and_loses_nothing(tmp_path: Path) -> None:
    with private_postgres() as cluster, ExitStack() as stack:
        deployment = sweeping_deployment(
            stack,
            tmp_path / "data",
            database_url=cluster.create_database(),
            # heartbeats miss the outage; past this the sweeper would re-send every queued
            # task anyway, and the test is about the tasks' own retry
            worker_stale_after_s=OUTAGE_S * 3,
        )
        settings, headers, http = deployment.settings, deployment.headers, deployment.http
        (worker,) = deployment.workers

        with paused(worker):  # a backlog that the worker meets with the database down
            uploads = distinct_uploads(BACKLOG)
            accepted = [post_upload(http, headers, content).json()["id"] for content in uploads]
            cluster.stop()
        down = time.monotonic()

        for path in API_READS:
            started = time.monotonic()
            response = http.get(path, headers=headers)
            assert response.status_code == 503, (path, response.text)
            assert response.json() == {"detail": DATABASE_DOWN}
            assert response.headers["retry-after"] == "30"
            assert time.monotonic() - started < 5  # refused at once, not hanging
        for path in PAGES:
            page = http.get(path)
            assert page.status_code == 503, (path, page.text[:300])
            assert page.headers["content-type"].startswith("text/html")
            assert "the database is unreachable" in page.text
        refused = post_upload(http, headers)
        assert refused.status_code == 503
        assert "database is unreachable" in refused.json()["detail"]
        health = http.get("/healthz")
        assert health.status_code == 503
        assert health.json()["database"] == "unreachable"

        time.sleep(max(0.0, OUTAGE_S - (time.monotonic() - down)))
        assert not queue_length(settings)  # the worker took every task (and retries them)
        cluster.start()
        back = dt.datetime.now(dt.UTC)
        wait_until(lambda: _answers_ok(http), 30, "the web app to reach the database again")
        after = post_upload(http, headers)
        assert after.status_code == 201, after.text
        accepted.append(after.json()["id"])

        # what the outage interrupted (queued, retrying or running) is scored once
        state = wait_until_scored(settings, accepted, timeout=RECOVERY_S + 60)
        last = recovery_time("database back", settings, state, accepted, back)
        assert last < dt.timedelta(seconds=RECOVERY_S)
        assert sorted(state) == sorted(accepted)  # the refused upload left no row
        assert_scored_exactly_once(settings, state, accepted)
