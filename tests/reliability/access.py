"""Who may call what: the access rule of every route, and clients logged in as each role.

`ACCESS` is written by hand from the service's intent, not derived from the code, so a
route that forgets its guard is caught; a route missing from it fails the access test, so
each new route gets a conscious rule.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import FastAPI
from starlette.testclient import TestClient

from app.core.config import Settings
from app.models import Role
from tests.app.support import PASSWORD, new_user

ROLES = ("anonymous", Role.PARTICIPANT, Role.ORGANIZER, Role.ADMIN)
RANK = {role: rank for rank, role in enumerate(ROLES)}
PUBLIC, BASIC = "anonymous", "basic"  # BASIC: HTTP Basic credentials, checked on their own

ACCESS: tuple[tuple[str, str, str], ...] = (
    # (methods, path pattern, the least role admitted)
    ("GET", r"/api/v1/openapi\.json|/docs.*|/redoc|/healthz", PUBLIC),
    ("GET", r"/api/v1/(leaderboard|leaderboard\.csv|datasets.*|phases.*)", PUBLIC),
    ("GET", r"/api/v1/(teams/\{team_id\}|method-cards/\{card_id\})", PUBLIC),
    ("POST", r"/api/v1/users", PUBLIC),
    ("POST", r"/api/v1/tokens", BASIC),
    ("GET", r"/api/v1/(users/me|users/me/quota|tokens|submissions.*)", Role.PARTICIPANT),
    ("DELETE", r"/api/v1/tokens/\{token_id\}", Role.PARTICIPANT),
    ("POST", r"/api/v1/submissions|/api/v1/users/me/password", Role.PARTICIPANT),
    ("GET|POST|PUT|DELETE", r"/api/v1/(teams.*|method-cards.*|selection)", Role.PARTICIPANT),
    ("GET", r"/api/v1/admin/submissions", Role.ORGANIZER),
    ("GET|POST", r"/api/v1/admin/(moderation|teams/.*)", Role.ORGANIZER),
    ("POST", r"/api/v1/admin/submissions/.*", Role.ORGANIZER),
    ("GET|PUT|POST", r"/api/v1/admin/(users|datasets|phases|editions).*", Role.ADMIN),
    ("GET|POST|DELETE", r"/api/v1/admin/invites.*", Role.ADMIN),
    ("GET", r"/|/register|/login|/leaderboard|/datasets.*|/phases/.*|/\{path:path\}", PUBLIC),
    ("GET", r"/methods/\{card_id\}", PUBLIC),
    ("POST", r"/register|/login|/logout", PUBLIC),
    ("GET|POST", r"/tokens.*|/submit|/submissions.*|/account.*", Role.PARTICIPANT),
    ("GET|POST", r"/team.*|/selection.*|/methods.*", Role.PARTICIPANT),
    ("GET", r"/admin|/admin/submissions", Role.ORGANIZER),
    ("POST", r"/admin/submissions/.*", Role.ORGANIZER),
    ("GET|POST", r"/admin/moderation.*", Role.ORGANIZER),
    ("GET|POST", r"/admin/(users|datasets|invites|phases).*", Role.ADMIN),
)


def required_role(method: str, path: str) -> str | None:
    """The least role admitted to `method path` by `ACCESS`; None if no rule names it."""
    for methods, pattern, role in ACCESS:
        if method in methods.split("|") and re.fullmatch(pattern, path):
            return role
    return None


def app_routes(app: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path template) the app answers, HEAD aside."""
    found = []
    for route in app.routes:
        contexts = getattr(route, "effective_route_contexts", None)
        for item in contexts() if contexts is not None else [route]:
            for method in getattr(item, "methods", None) or ():
                if method != "HEAD":
                    found.append((method, item.path))
    return sorted(set(found))


@dataclass
class RoleClient:
    """An in-process client logged in (page session and API token) as one role."""

    role: str
    client: TestClient
    headers: dict[str, str]
    username: str
    csrf: str


def csrf_of(client: TestClient) -> str:
    """The CSRF token the session of `client` puts in its forms."""
    page = client.get("/login").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the login form"
    return found.group(1)


def login_as(app: FastAPI, settings: Settings, role: str) -> RoleClient:
    """A client of `app` for a new user of `role` (anonymous: no user at all)."""
    client = TestClient(app, follow_redirects=False)
    if role == "anonymous":
        return RoleClient(role, client, {}, "", csrf_of(client))
    headers = new_user(settings, Role(role))
    username = client.get("/api/v1/users/me", headers=headers).json()["username"]
    form = {"username": username, "password": PASSWORD, "csrf_token": csrf_of(client)}
    assert client.post("/login", data=form).status_code == 303
    return RoleClient(role, client, headers, username, csrf_of(client))
