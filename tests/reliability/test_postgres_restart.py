"""PostgreSQL restarted under a running service: the web answers 503 with a clear message
while it is down, recovers by itself, and no accepted submission is lost.

A private cluster is crashed (`pg_ctl stop -m immediate`) and started again on the same
port; the web app (uvicorn) and a worker with the sweeper keep running throughout.
"""

from __future__ import annotations

import time
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from app.errors import DATABASE_DOWN
from tests.app.support import wait_until
from tests.reliability.servers import private_postgres
from tests.reliability.support import post_upload, sweeping_deployment, wait_until_scored

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
        settings, headers, http = sweeping_deployment(
            stack,
            tmp_path / "data",
            database_url=cluster.create_database(),
            task_soft_time_limit_s=4,
            task_hard_time_limit_s=5,
        )

        accepted = [post_upload(http, headers).json()["id"] for _ in range(3)]
        cluster.stop()  # some of them are still queued or being scored

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

        cluster.start()
        wait_until(lambda: _answers_ok(http), 30, "the web app to reach the database again")
        after = post_upload(http, headers)
        assert after.status_code == 201, after.text
        accepted.append(after.json()["id"])

        # the sweeper finds what the outage interrupted (queued or running) and sends it again
        state = wait_until_scored(settings, accepted, timeout=90)
        assert sorted(state) == sorted(accepted)  # the refused upload left no row
        assert all(state[sid][2] == 1 for sid in accepted), state  # one result each
