"""Ids in paths: every id parameter of every API and page route is bounded to the database's
integer range, so an id past it (2**63 overflows SQLite's driver, 2**31 PostgreSQL's INTEGER)
is a 422 naming the parameter, on both backends, and never reaches the database."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from app.core.config import Settings
from app.deps import MAX_ID
from app.main import create_app
from app.models import Role
from tests.app.support import install_dataset
from tests.reliability.access import app_routes, login_as

BAD_IDS = ("0", "-1", str(MAX_ID + 1), str(2**63), str(2**64), "1" + "0" * 40)
OTHER_PARTS = {"path": "no-such-page", "name": "f1", "tomogram": "model_0"}
ID_PARAMETER = re.compile(r"\{(\w+_id)\}")


@pytest.fixture
def app_and_settings(fresh_settings: Settings) -> Iterator[tuple[TestClient, Settings]]:
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as client:
        yield client, fresh_settings


def test_every_id_parameter_refuses_out_of_range_ids(
    app_and_settings: tuple[TestClient, Settings],
) -> None:
    client, settings = app_and_settings
    app = client.app
    routes = [(m, p) for m, p in app_routes(app) if ID_PARAMETER.search(p)]  # type: ignore[arg-type]
    assert len(routes) >= 25, routes  # API and page routes alike
    admin = login_as(app, settings, Role.ADMIN)  # type: ignore[arg-type]
    anonymous = login_as(app, settings, "anonymous")  # type: ignore[arg-type]
    for method, path in routes:
        name = ID_PARAMETER.search(path).group(1)  # type: ignore[union-attr]
        for bad in BAD_IDS:
            url = ID_PARAMETER.sub(bad, path)
            url = re.sub(r"\{(\w+)(?::path)?\}", lambda m: OTHER_PARTS[m.group(1)], url)
            where = f"{method} {url}"
            if path.startswith("/api/"):
                answer = admin.client.request(method, url, headers=admin.headers, json={})
                assert answer.status_code == 422, f"{where}: {answer.status_code} {answer.text}"
                assert answer.json()["detail"].startswith(f"{name}: "), where
            else:  # a page form carries the session's CSRF token, so the id is what is judged
                data = {"csrf_token": admin.csrf, "reason": "x", "role": "admin"}
                answer = admin.client.request(method, url, data=data)
                assert answer.status_code == 422, f"{where}: {answer.status_code}"
                assert f"{name}: Input should be" in answer.text, where
            # a visitor without an account is refused or told the id is wrong, never a 5xx
            visitor = anonymous.client.request(method, url)
            assert visitor.status_code < 500, f"{where} anonymous: {visitor.status_code}"


def test_the_anonymous_dataset_route_explains_the_range(
    app_and_settings: tuple[TestClient, Settings],
) -> None:
    client, _ = app_and_settings
    answer = client.get(f"/api/v1/datasets/{2**63}")
    assert answer.status_code == 422
    assert answer.json() == {
        "detail": f"version_id: Input should be less than or equal to {MAX_ID}"
    }
