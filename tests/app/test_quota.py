"""The daily quota: counted per participant and UTC day; refused files and failed scorings
do not count; concurrent uploads cannot overrun it; organizers are not limited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import Role, Submission, User
from app.services.quota import day_bounds, quota_status
from tests.app.support import new_user, upload, wait_for_status

QUOTA = 2


@pytest.fixture
def quota_settings(service: Settings) -> Settings:
    return service.model_copy(update={"daily_quota": QUOTA})


@pytest.fixture
def quota_client(quota_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(quota_settings)) as client:
        yield client


def _quota(client: TestClient, headers: dict[str, str]) -> dict[str, object]:
    body: dict[str, object] = client.get("/api/v1/users/me/quota", headers=headers).json()
    return body


def test_quota_is_enforced_and_visible(quota_client: TestClient, quota_settings: Settings) -> None:
    headers = new_user(quota_settings)
    assert _quota(quota_client, headers)["remaining"] == QUOTA
    first = upload(quota_client, headers)
    assert first.status_code == 201
    assert first.json()["quota"]["remaining"] == QUOTA - 1
    assert upload(quota_client, headers, b"nonsense 1 2 3\n").status_code == 422
    assert upload(quota_client, headers).status_code == 201
    refused = upload(quota_client, headers)
    assert refused.status_code == 429
    assert f"daily quota of {QUOTA}" in refused.json()["detail"]
    quota = _quota(quota_client, headers)
    assert quota["used"] == QUOTA
    assert quota["remaining"] == 0
    assert quota_client.get("/api/v1/submissions", headers=headers).json()["count"] == QUOTA
    # someone else's quota is untouched
    assert upload(quota_client, new_user(quota_settings)).status_code == 201


def test_failed_and_yesterdays_submissions_do_not_count(
    quota_client: TestClient, quota_settings: Settings
) -> None:
    headers = new_user(quota_settings)
    ids = [upload(quota_client, headers).json()["id"] for _ in range(QUOTA)]
    assert upload(quota_client, headers).status_code == 429
    for submission_id in ids:  # let the worker finish before the rows are rewritten below
        wait_for_status(quota_client, headers, submission_id)
    yesterday = dt.datetime.now(dt.UTC) - dt.timedelta(days=1)
    with session_factory(quota_settings.sqlalchemy_url)() as db:
        db.execute(update(Submission).where(Submission.id == ids[0]).values(created_at=yesterday))
        db.execute(update(Submission).where(Submission.id == ids[1]).values(status="failed"))
        db.commit()
    assert _quota(quota_client, headers)["remaining"] == QUOTA
    assert upload(quota_client, headers).status_code == 201


def test_concurrent_uploads_cannot_overrun_the_quota(
    quota_client: TestClient, quota_settings: Settings
) -> None:
    headers = new_user(quota_settings)
    with ThreadPoolExecutor(max_workers=6) as pool:
        codes = sorted(pool.map(lambda _: upload(quota_client, headers).status_code, range(6)))
    assert codes == [201] * QUOTA + [429] * (6 - QUOTA)


def test_organizers_have_no_limit(quota_client: TestClient, quota_settings: Settings) -> None:
    headers = new_user(quota_settings, role=Role.ORGANIZER)
    for _ in range(QUOTA + 1):
        assert upload(quota_client, headers).status_code == 201
    quota = _quota(quota_client, headers)
    assert quota["limit"] is None
    assert quota["remaining"] is None
    assert quota["used"] == QUOTA + 1


def test_day_bounds_are_utc_midnights() -> None:
    moment = dt.datetime(2024, 3, 5, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=-2)))
    start, end = day_bounds(moment)
    assert start == dt.datetime(2024, 3, 6, tzinfo=dt.UTC)
    assert end == dt.datetime(2024, 3, 7, tzinfo=dt.UTC)


def test_quota_resets_at_the_next_utc_midnight(quota_settings: Settings) -> None:
    new_user(quota_settings)
    with session_factory(quota_settings.sqlalchemy_url)() as db:
        user = db.scalars(select(User).order_by(User.id.desc())).first()
        assert user is not None
        now = dt.datetime(2030, 1, 1, 12, tzinfo=dt.UTC)
        quota = quota_status(db, user, quota_settings, now)
    assert quota.resets_at == dt.datetime(2030, 1, 2, tzinfo=dt.UTC)
    assert quota.remaining == QUOTA


def test_an_admin_sets_a_participants_own_quota(
    quota_client: TestClient, quota_settings: Settings
) -> None:
    admin, participant = new_user(quota_settings, Role.ADMIN), new_user(quota_settings)
    me = quota_client.get("/api/v1/users/me", headers=participant).json()
    path = f"/api/v1/admin/users/{me['id']}/quota"
    assert quota_client.put(path, json={"daily_quota": 5}, headers=participant).status_code == 403
    assert quota_client.put(path, json={"daily_quota": -1}, headers=admin).status_code == 422
    changed = quota_client.put(path, json={"daily_quota": 1}, headers=admin)
    assert changed.status_code == 200
    assert changed.json()["daily_quota"] == 1
    assert _quota(quota_client, participant)["limit"] == 1
    assert upload(quota_client, participant).status_code == 201
    refused = upload(quota_client, participant)
    assert refused.status_code == 429
    assert "daily quota of 1" in refused.json()["detail"]
    # back to the site's setting: the second upload of the day fits again
    assert quota_client.put(path, json={"daily_quota": None}, headers=admin).status_code == 200
    assert _quota(quota_client, participant)["limit"] == QUOTA
    assert upload(quota_client, participant).status_code == 201
