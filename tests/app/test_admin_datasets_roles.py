"""Role checks on every organizer and admin route, API and pages alike (found by their role
dependency, so a new route is checked without being listed), and accounts from the CLI."""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from click.testing import CliRunner
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from starlette.testclient import TestClient

import app.routes
from app.cli.users import users
from app.core.config import Settings, settings_env
from app.db import session_factory
from app.deps import get_admin, get_organizer
from app.main import API_PREFIX, create_app
from app.models import Role
from app.routes.pages.admin import get_page_admin, get_page_staff
from app.routes.pages.errors import HTMLErrorRoute
from app.services.users import authenticate
from tests.app.datasets_support import browser_login
from tests.app.pages_support import csrf_from
from tests.app.support import new_user

# the dependency that guards a route -> the least role that passes it
GUARDS: dict[Callable[..., Any], Role] = {
    get_organizer: Role.ORGANIZER,
    get_admin: Role.ADMIN,
    get_page_staff: Role.ORGANIZER,
    get_page_admin: Role.ADMIN,
}
RANK = {Role.PARTICIPANT: 0, Role.ORGANIZER: 1, Role.ADMIN: 2}
# routes these tests must find, with their role (so the discovery itself is checked)
KNOWN = {
    ("POST", "/api/v1/admin/datasets"): Role.ADMIN,
    ("POST", "/api/v1/admin/datasets/{version_id}/activate"): Role.ADMIN,
    ("POST", "/api/v1/admin/datasets/{version_id}/rescore"): Role.ADMIN,
    ("POST", "/api/v1/admin/datasets/{version_id}/cancel"): Role.ADMIN,
    ("GET", "/api/v1/admin/submissions"): Role.ORGANIZER,
    ("POST", "/api/v1/admin/submissions/{submission_id}/hide"): Role.ORGANIZER,
    ("PUT", "/api/v1/admin/users/{user_id}/role"): Role.ADMIN,
    ("GET", "/admin"): Role.ORGANIZER,
    ("GET", "/admin/datasets"): Role.ADMIN,
    ("POST", "/admin/datasets"): Role.ADMIN,
    ("GET", "/admin/submissions"): Role.ORGANIZER,
    ("POST", "/admin/submissions/{submission_id}/hide"): Role.ORGANIZER,
    ("GET", "/admin/users"): Role.ADMIN,
}
MISSING_ID = "999999"


def _guard(dependant: Dependant) -> Role | None:
    """The strictest role guard anywhere in a route's dependency tree."""
    roles = [GUARDS[dep.call] for dep in dependant.dependencies if dep.call in GUARDS]
    roles += [role for dep in dependant.dependencies if (role := _guard(dep)) is not None]
    return max(roles, key=RANK.__getitem__) if roles else None


def _module_routes() -> Iterator[tuple[str, APIRoute]]:
    """(full path, route) of the routes each `app.routes` module defines itself: pages at
    their path, the API under its prefix (as `app.main` mounts them)."""
    for info in pkgutil.walk_packages(app.routes.__path__, "app.routes."):
        router = getattr(importlib.import_module(info.name), "router", None)
        for route in router.routes if router is not None else []:
            if isinstance(route, APIRoute):
                page = isinstance(route, HTMLErrorRoute)
                yield (route.path if page else API_PREFIX + route.path), route


def guarded_routes() -> dict[tuple[str, str], Role]:
    """(method, path) of every route that needs a role, with that role."""
    found = {}
    for path, route in _module_routes():
        if (role := _guard(route.dependant)) is not None:
            for method in route.methods - {"HEAD"}:
                found[(method, path)] = role
    return found


def test_every_organizer_and_admin_route_is_found() -> None:
    routes = guarded_routes()
    assert KNOWN.items() <= routes.items()
    unguarded = [path for path, route in _module_routes() if "/admin" in path]
    assert [path for path in unguarded if not any(p == path for _, p in routes)] == []


def _call(client: TestClient, method: str, path: str, headers: dict[str, str]) -> Any:
    url = re.sub(r"\{[^}]+\}", MISSING_ID, path)
    if path.startswith("/api/"):
        return client.request(method, url, headers=headers, json={"unexpected": True})
    # page forms: a valid CSRF token, and fields that are refused if the role passes
    data = {"size": "not a number", "role": "nobody", "reason": ""}
    if method == "POST" and "tomobench_session" in client.cookies:
        data["csrf_token"] = csrf_from(client, "/tokens")
    return client.request(method, url, data=data if method == "POST" else None,
                          follow_redirects=False)  # fmt: skip


@pytest.fixture
def guarded(fresh_settings: Settings) -> Iterator[tuple[TestClient, dict[tuple[str, str], Role]]]:
    with TestClient(create_app(fresh_settings)) as client:
        yield client, guarded_routes()


def test_anonymous_visitors_are_turned_away(
    guarded: tuple[TestClient, dict[tuple[str, str], Role]],
) -> None:
    client, routes = guarded
    for method, path in routes:
        response = _call(client, method, path, {})
        if path.startswith("/api/"):
            assert response.status_code == 401, (method, path)
        elif response.status_code == 303:  # to the login form, and back afterwards
            assert response.headers["location"].startswith("/login?next=/admin"), (method, path)
        else:  # a form post may be stopped earlier, by its missing CSRF token
            assert (method, response.status_code) == ("POST", 403), path


@pytest.mark.parametrize("role", [Role.PARTICIPANT, Role.ORGANIZER, Role.ADMIN])
def test_each_role_passes_exactly_its_routes(
    guarded: tuple[TestClient, dict[tuple[str, str], Role]], fresh_settings: Settings, role: Role
) -> None:
    client, routes = guarded
    headers = new_user(fresh_settings, role)
    browser_login(client, fresh_settings, role)
    for (method, path), needed in routes.items():
        response = _call(client, method, path, headers)
        if RANK[role] >= RANK[needed]:
            assert response.status_code not in (401, 403), (role, method, path, response.text)
        else:
            assert response.status_code == 403, (role, method, path)
            expected = "admin role required" if needed == Role.ADMIN else "organizer or admin"
            assert expected in response.text


def test_the_admin_link_shows_for_staff_only(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.PARTICIPANT)
    assert 'href="/admin"' not in fresh_client.get("/").text
    browser_login(fresh_client, fresh_settings, Role.ORGANIZER)
    home = fresh_client.get("/admin").text
    assert 'href="/admin/submissions"' in home
    assert 'href="/admin/datasets"' not in home  # organizers do not regenerate
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    assert 'href="/admin"' in fresh_client.get("/").text
    assert 'href="/admin/datasets"' in fresh_client.get("/admin").text


def test_users_create_reads_the_password_from_stdin(fresh_settings: Settings) -> None:
    runner = CliRunner(env=settings_env(fresh_settings))
    created = runner.invoke(
        users,
        ["create", "alice", "--role", "organizer", "--password-stdin"],
        input="ochre lantern 42\n",
    )
    assert created.exit_code == 0, created.output
    assert created.output.startswith("created organizer alice (id ")
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        alice = authenticate(db, "alice", "ochre lantern 42")
        assert alice is not None
        assert (alice.role, alice.email) == ("organizer", "alice@localhost")

    taken = runner.invoke(
        users, ["create", "alice", "--password-stdin"], input="ochre lantern 43\n"
    )
    assert taken.exit_code == 1
    assert taken.output.startswith("Error: username or email is already registered")
    short = runner.invoke(users, ["create", "bob", "--password-stdin"], input="short\n")
    assert short.output == "Error: password: at least 10 characters, got 5\n"
    role = runner.invoke(users, ["create", "carol", "--role", "root", "--password-stdin"])
    assert role.exit_code == 2
    assert "'root' is not one of 'participant', 'organizer', 'admin'" in role.output
