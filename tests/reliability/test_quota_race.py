"""Quota evasion: a burst of concurrent uploads, through several uvicorn processes and with
several tokens of the same account, never gets past the daily limit. The check runs in the
database (the account's row is locked while its day's submissions are counted)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from app.db import session_factory
from app.models import User
from app.services.tokens import create_token
from tests.app.support import install_dataset, new_user
from tests.conftest import backend_settings
from tests.reliability.servers import web_server
from tests.reliability.support import post_upload, scoring_state

QUOTA, BURST = 3, 16


@pytest.mark.slow
def test_concurrent_uploads_cannot_exceed_the_daily_quota(tmp_path: Path) -> None:
    with ExitStack() as stack:
        settings = backend_settings(stack, "production", tmp_path / "data", daily_quota=QUOTA)
        install_dataset(settings)
        first = new_user(settings)
        server = stack.enter_context(web_server(settings, workers=3))
        http = stack.enter_context(httpx.Client(base_url=server.url, timeout=60))
        user_id = http.get("/api/v1/users/me", headers=first).json()["id"]
        with session_factory(settings.sqlalchemy_url)() as db:
            user = db.get(User, user_id)
            assert user is not None
            tokens = [create_token(db, user, f"extra {n}")[1] for n in range(3)]
            db.commit()
        identities = [first] + [{"Authorization": f"Bearer {token}"} for token in tokens]

        start = threading.Barrier(BURST)

        def attempt(n: int) -> int:
            with httpx.Client(base_url=server.url, timeout=60) as own:
                start.wait()  # all at once
                return post_upload(own, identities[n % len(identities)]).status_code

        with ThreadPoolExecutor(max_workers=BURST) as pool:
            codes = sorted(pool.map(attempt, range(BURST)))
        assert codes == [201] * QUOTA + [429] * (BURST - QUOTA)
        assert len(scoring_state(settings)) == QUOTA
        quota = http.get("/api/v1/users/me/quota", headers=first).json()
        assert (quota["used"], quota["remaining"]) == (QUOTA, 0)
        # someone else's uploads are not held back by it
        assert post_upload(http, new_user(settings)).status_code == 201
