"""Attacks on accounts, played with only what a participant (or a stranger) has: the API and
the pages over real HTTP to a real uvicorn, from several client addresses of the loopback
network. Each test fails while its attack works.

- Mass registration: many accounts from one address, each with a fresh quota.
- Lockout by strangers: wrong passwords for someone else's username, or for `admin`.
- Sessions and tokens that outlive logout, a password change or a deactivation; tokens that
  never expire and may do everything.
- Weak passwords: `12345678`, `password`, blanks, invisible characters, the username.
- The same username registered concurrently: one account, the others a clean 409.
- The last admin demoted or deactivated, leaving the site without one.
- Leaderboard spoofing: bidi overrides, zero-width and BOM-only names, Cyrillic look-alikes of
  the baselines, a team posing as the organizers.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from sqlalchemy import update

from app.cli.users import users as users_cli
from app.core.config import Settings, settings_env
from app.db import session_factory
from app.models import ApiToken, Role
from tests.app.support import GOOD_SUBMISSION, PASSWORD, install_dataset, new_user
from tests.conftest import backend_settings
from tests.reliability.addresses import client_from
from tests.reliability.servers import web_server

PER_ADDRESS = 5  # accounts one address may register per window
_addresses = (f"127.0.{block}.{host}" for block in range(1, 250) for host in range(2, 250))


def fresh_address() -> str:
    """A client address no other test of this module has used."""
    return next(_addresses)


@dataclass
class Site:
    settings: Settings
    url: str

    def client(self, address: str | None = None) -> httpx.Client:
        """A client speaking from `address` (a fresh one when None)."""
        return client_from(self.url, address or fresh_address())


def _site(stack: ExitStack, backend: str, data: Any, **overrides: Any) -> Site:
    settings = backend_settings(
        stack,
        backend,
        data,
        registrations_per_address=PER_ADDRESS,
        login_backoff_s=5,  # long enough to be seen on a busy machine
        **overrides,
    )
    install_dataset(settings)
    server = stack.enter_context(web_server(settings, workers=2 if backend == "production" else 1))
    return Site(settings, server.url)


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """PostgreSQL, Redis (the throttles' counts shared by two uvicorn processes)."""
    with ExitStack() as stack:
        yield _site(stack, "production", tmp_path_factory.mktemp("accounts-pg"))


@pytest.fixture
def embedded_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., Site]]:
    """A factory of embedded (SQLite) sites with their own settings, stopped at the end."""
    with ExitStack() as stack:
        yield lambda **overrides: _site(
            stack, "embedded", tmp_path_factory.mktemp("accounts-sq"), **overrides
        )


def _account(name: str | None = None, password: str = PASSWORD, **extra: str) -> dict[str, str]:
    username = name or f"user-{uuid.uuid4().hex[:10]}"
    return {"username": username, "email": f"{username}@example.org", "password": password, **extra}


def _bearer(http: httpx.Client, username: str, password: str = PASSWORD, **body: Any) -> str:
    created = http.post("/api/v1/tokens", auth=(username, password), json=body or None)
    assert created.status_code == 201, created.text
    token: str = created.json()["token"]
    return token


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _csrf(http: httpx.Client, path: str = "/login") -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', http.get(path).text)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def _page_login(http: httpx.Client, username: str, password: str = PASSWORD) -> httpx.Response:
    form = {"username": username, "password": password, "csrf_token": _csrf(http)}
    return http.post("/login", data=form)


def _form(http: httpx.Client, path: str, **fields: str) -> httpx.Response:
    """Post a page form as the logged-in browser of `http` would (with its CSRF token)."""
    return http.post(path, data={"csrf_token": _csrf(http, "/account"), **fields})


def _participant(site: Site, http: httpx.Client) -> tuple[str, dict[str, str]]:
    """A participant registered through the API from `http`'s address; name and headers."""
    account = _account()
    registered = http.post("/api/v1/users", json=account)
    assert registered.status_code == 201, registered.text
    return account["username"], _auth(_bearer(http, account["username"]))


# --- 4. mass registration ---------------------------------------------------------------


def test_one_address_cannot_mass_register(production: Site) -> None:
    with production.client() as sybil, production.client() as neighbour:
        # refused registrations do not use up the address's share
        for weak in ("12345678", "password"):
            refused = sybil.post("/api/v1/users", json=_account(password=weak))
            assert refused.status_code == 422
        # 20 at once, through two web processes: exactly the limit gets in
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(
                pool.map(lambda _: sybil.post("/api/v1/users", json=_account()), range(20))
            )
        codes = sorted(answer.status_code for answer in answers)
        assert codes == [201] * PER_ADDRESS + [429] * (20 - PER_ADDRESS), codes
        throttled = next(answer for answer in answers if answer.status_code == 429)
        assert throttled.json()["detail"].startswith("too many new accounts from this address")
        assert 0 < int(throttled.headers["retry-after"]) <= 3600
        page = sybil.post("/register", data={**_account(), "csrf_token": _csrf(sybil, "/register")})
        assert page.status_code == 429
        assert "too many new accounts" in page.text
        # another address is not affected
        assert neighbour.post("/api/v1/users", json=_account()).status_code == 201


def test_approval_mode_keeps_new_accounts_out_until_an_admin_approves(
    embedded_site: Callable[..., Site],
) -> None:
    site = embedded_site(registration="approval")
    admin = _auth(_bearer_for_new(site, Role.ADMIN))
    with site.client() as newcomer:
        notice = newcomer.get("/register").text
        assert "an admin" in notice
        assert "approved" in notice
        account = _account()
        registered = newcomer.post("/api/v1/users", json=account)
        assert registered.status_code == 201
        assert registered.json()["is_active"] is False
        refused = newcomer.post("/api/v1/tokens", auth=(account["username"], PASSWORD))
        assert refused.status_code == 403
        assert "waiting for an admin's approval" in refused.json()["detail"]
        page = _page_login(newcomer, account["username"])
        assert "waiting for an admin" in page.text
        assert newcomer.get("/api/v1/users/me").status_code == 401

        approved = newcomer.put(
            f"/api/v1/admin/users/{registered.json()['id']}/active",
            headers=admin,
            json={"is_active": True},
        )
        assert approved.status_code == 200
        assert _bearer(newcomer, account["username"]).startswith("tb_")


def test_invite_mode_needs_a_single_use_code(embedded_site: Callable[..., Site]) -> None:
    site = embedded_site(registration="invite")
    admin = _auth(_bearer_for_new(site, Role.ADMIN))
    with site.client() as stranger, site.client() as friend:
        without = stranger.post("/api/v1/users", json=_account())
        assert without.status_code == 422
        assert without.json()["detail"].startswith("invite_code: registration is by invitation")
        guessed = stranger.post("/api/v1/users", json=_account(invite_code="inv_guess"))
        assert guessed.status_code == 422
        assert 'name="invite_code"' in stranger.get("/register").text

        code = friend.post("/api/v1/admin/invites", headers=admin, json={"note": "a friend"})
        assert code.status_code == 201
        invite = code.json()["code"]
        with ThreadPoolExecutor(max_workers=4) as pool:  # four race for one code
            answers = list(
                pool.map(
                    lambda _: friend.post("/api/v1/users", json=_account(invite_code=invite)),
                    range(4),
                )
            )
        assert sorted(answer.status_code for answer in answers) == [201, 422, 422, 422]
        listed = friend.get("/api/v1/admin/invites", headers=admin).json()
        assert listed["data"][0]["used_at"] is not None
        assert invite not in str(listed)


def _bearer_for_new(site: Site, role: Role) -> str:
    """A token of a new account of `role`, made straight in the database (as the operator's
    command line would)."""
    header = new_user(site.settings, role)["Authorization"]
    return header.removeprefix("Bearer ")


# --- 5. lockout by strangers ------------------------------------------------------------


def test_strangers_cannot_lock_an_owner_or_the_admin_out(production: Site) -> None:
    victim = _account()
    with production.client() as attacker, production.client() as owner:
        assert owner.post("/api/v1/users", json=victim).status_code == 201
        name = victim["username"]
        # ten wrong passwords for a public username from the attacker's address
        guesses = [attacker.post("/api/v1/tokens", auth=(name, "guess")) for _ in range(10)]
        assert [answer.status_code for answer in guesses] == [401] * 10
        assert attacker.post("/api/v1/tokens", auth=(name, PASSWORD)).status_code == 429
        # the owner, elsewhere, is not locked out (API and login form)
        assert owner.post("/api/v1/tokens", auth=(name, PASSWORD)).status_code == 201
        assert _page_login(owner, name).status_code == 303

        # the attacker's wait doubles with each further failure
        waits = []
        for _ in range(2):
            blocked = attacker.post("/api/v1/tokens", auth=(name, "guess"))
            assert blocked.status_code == 429
            waits.append(int(blocked.headers["retry-after"]))
            time.sleep(waits[-1] + 0.3)
            assert attacker.post("/api/v1/tokens", auth=(name, "guess")).status_code == 401
        blocked = attacker.post("/api/v1/tokens", auth=(name, "guess"))
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) >= 2 * waits[-1] - 1, waits

    admin_token = _bearer_for_new(production, Role.ADMIN)
    with production.client() as attacker, production.client() as admin:
        admin_name = admin.get("/api/v1/users/me", headers=_auth(admin_token)).json()["username"]
        # 101 failures from one address: ten for the admin, the rest for made-up names
        names = itertools.chain([admin_name] * 10, (f"x{n}" for n in itertools.count()))
        codes = [attacker.post("/api/v1/tokens", auth=(next(names), "guess")).status_code
                 for _ in range(101)]  # fmt: skip
        assert codes.count(401) == 100
        assert codes[-1] == 429
        # the address is spent, for itself only: the admin logs in from anywhere else
        assert attacker.post("/api/v1/tokens", auth=("someone", "guess")).status_code == 429
        assert admin.post("/api/v1/tokens", auth=(admin_name, PASSWORD)).status_code == 201


# --- 6. sessions and tokens -------------------------------------------------------------


def test_logout_makes_a_copied_session_cookie_useless(production: Site) -> None:
    with production.client() as browser, production.client() as thief:
        name, _ = _participant(production, browser)
        assert _page_login(browser, name).status_code == 303
        thief.cookies.update(browser.cookies)  # the cookie, copied
        assert thief.get("/api/v1/users/me").json()["username"] == name
        assert _form(browser, "/logout").status_code == 303
        assert thief.get("/api/v1/users/me").status_code == 401
        page = thief.get("/submissions")
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login")


def test_a_password_change_ends_every_other_session_and_token(production: Site) -> None:
    with production.client() as laptop, production.client() as stolen:
        name, headers = _participant(production, laptop)
        second_token = _auth(_bearer(laptop, name))
        assert _page_login(laptop, name).status_code == 303
        assert _page_login(stolen, name).status_code == 303

        wrong = _form(
            laptop, "/account/password", current_password="guess", new_password="x y z w q r"
        )
        assert wrong.status_code == 422
        assert "wrong password" in wrong.text
        weak = _form(
            laptop, "/account/password", current_password=PASSWORD, new_password="1234567890"
        )
        assert weak.status_code == 422
        assert "new_password: too easy to guess" in weak.text
        new_password = "mauve otter sextant"
        changed = _form(
            laptop, "/account/password", current_password=PASSWORD, new_password=new_password
        )
        assert changed.status_code == 303
        assert laptop.get("/api/v1/users/me").status_code == 200  # this session stays
        assert stolen.get("/api/v1/users/me").status_code == 401
        for old in (headers, second_token):
            assert stolen.get("/api/v1/users/me", headers=old).status_code == 401
        assert stolen.post("/api/v1/tokens", auth=(name, PASSWORD)).status_code == 401

        # through the API: the calling token stays, every other one ends
        api = _auth(_bearer(laptop, name, new_password))
        other = _auth(_bearer(laptop, name, new_password))
        body = {"current_password": new_password, "new_password": "violet quarry anchor"}
        answer = laptop.post("/api/v1/users/me/password", headers=api, json=body)
        assert answer.status_code == 200
        assert answer.json() == {"sessions_ended": 1, "tokens_revoked": 1}
        assert laptop.get("/api/v1/users/me", headers=api).status_code == 200
        assert laptop.get("/api/v1/users/me", headers=other).status_code == 401


def test_a_deactivated_account_loses_its_sessions_and_tokens(production: Site) -> None:
    admin_token = _bearer_for_new(production, Role.ADMIN)
    with production.client() as victim, production.client() as admin:
        name, headers = _participant(production, victim)
        assert _page_login(victim, name).status_code == 303
        admin_name = admin.get("/api/v1/users/me", headers=_auth(admin_token)).json()["username"]
        assert _page_login(admin, admin_name).status_code == 303
        user_id = victim.get("/api/v1/users/me", headers=headers).json()["id"]
        page = admin.get("/admin/users").text
        assert f'action="/admin/users/{user_id}/active"' in page  # the button is there

        pressed = _form(admin, f"/admin/users/{user_id}/active", active="false")
        assert pressed.status_code == 303
        assert victim.get("/api/v1/users/me").status_code == 401
        assert victim.get("/api/v1/users/me", headers=headers).status_code == 401
        refused = victim.post("/api/v1/tokens", auth=(name, PASSWORD))
        assert refused.status_code == 403
        assert "not active" in refused.json()["detail"]

        # re-activated, the old token stays dead: a new login is needed
        back = admin.put(
            f"/api/v1/admin/users/{user_id}/active",
            headers=_auth(admin_token),
            json={"is_active": True},
        )
        assert back.status_code == 200
        assert victim.get("/api/v1/users/me", headers=headers).status_code == 401
        assert (
            victim.get("/api/v1/users/me", headers=_auth(_bearer(victim, name))).status_code == 200
        )


def test_tokens_expire_and_a_submit_token_only_submits(production: Site) -> None:
    with production.client() as http:
        name, full = _participant(production, http)
        lived = http.get("/api/v1/tokens", headers=full).json()["data"][0]
        created, expires = (
            dt.datetime.fromisoformat(lived[k]) for k in ("created_at", "expires_at")
        )
        assert dt.timedelta(days=89) < expires - created <= dt.timedelta(days=90)
        short = http.post("/api/v1/tokens", auth=(name, PASSWORD), json={"expires_in_days": 1})
        assert short.status_code == 201
        short_headers = _auth(short.json()["token"])
        with session_factory(production.settings.sqlalchemy_url)() as db:  # a day passes
            past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
            db.execute(
                update(ApiToken).where(ApiToken.id == short.json()["id"]).values(expires_at=past)
            )
            db.commit()
        expired = http.get("/api/v1/users/me", headers=short_headers)
        assert expired.status_code == 401
        assert "token expired" in expired.json()["detail"]

        submit_only = _auth(_bearer(http, name, scope="submit"))
        uploaded = http.post(
            "/api/v1/submissions",
            headers=submit_only,
            files={"file": ("picks.txt", GOOD_SUBMISSION, "text/plain")},
            data={"method": "spheres"},
        )
        assert uploaded.status_code == 201, uploaded.text
        mine = uploaded.json()["id"]
        assert http.get(f"/api/v1/submissions/{mine}", headers=submit_only).status_code == 200
        assert http.get("/api/v1/submissions", headers=submit_only).json()["count"] == 1
        for method, path in (
            ("GET", "/api/v1/users/me"),
            ("GET", "/api/v1/tokens"),
            ("DELETE", "/api/v1/tokens/1"),
            ("POST", "/api/v1/users/me/password"),
            ("GET", "/api/v1/admin/users"),
        ):
            refused = http.request(method, path, headers=submit_only, json={})
            assert refused.status_code == 403, (method, path, refused.text)
            assert "scope is 'submit'" in refused.json()["detail"]

    # an organizer's submit token reads only the organizer's own submissions
    organizer = _auth(_bearer_for_new(production, Role.ORGANIZER))
    with production.client() as http:
        organizer_name = http.get("/api/v1/users/me", headers=organizer).json()["username"]
        scoped = _auth(_bearer(http, organizer_name, scope="submit"))
        assert http.get(f"/api/v1/submissions/{mine}", headers=organizer).status_code == 200
        assert http.get(f"/api/v1/submissions/{mine}", headers=scoped).status_code == 404
        assert http.get("/api/v1/admin/submissions", headers=scoped).status_code == 403


def test_reset_password_on_the_command_line_ends_all_access(production: Site) -> None:
    with production.client() as http:
        name, headers = _participant(production, http)
        assert _page_login(http, name).status_code == 303
        runner = CliRunner(env=settings_env(production.settings))
        reset = runner.invoke(users_cli, ["reset-password", name])
        assert reset.exit_code == 0, reset.output
        found = re.search(rf"new password for {name}: (\S+)", reset.output)
        assert found, reset.output
        assert http.get("/api/v1/users/me").status_code == 401
        assert http.get("/api/v1/users/me", headers=headers).status_code == 401
        assert http.post("/api/v1/tokens", auth=(name, PASSWORD)).status_code == 401
        assert http.post("/api/v1/tokens", auth=(name, found.group(1))).status_code == 201


# --- 9. weak passwords ------------------------------------------------------------------

WEAK_PASSWORDS = {
    "12345678": "at least 10 characters",
    "1234567890": "too easy to guess",
    "password": "at least 10 characters",
    "password12": "too easy to guess",
    " " * 8: "at least 10 characters",
    " " * 12: "must not be only spaces",
    "\u200b" * 8: "at least 10 characters",
    "\u200b" * 12: "invisible or control characters",
    "\u00a0" * 12: "must not be only spaces",  # NFKC makes no-break spaces plain ones
    "qwertyuiop": "too easy to guess",
}


def test_weak_passwords_are_refused_and_the_rules_shown_first(production: Site) -> None:
    with production.client() as http:
        form = http.get("/register").text
        assert "At least 10 characters" in form
        assert "not containing your username" in form
        for password, problem in WEAK_PASSWORDS.items():
            refused = http.post("/api/v1/users", json=_account(password=password))
            assert refused.status_code == 422, (password, refused.text)
            assert refused.json()["detail"].startswith("password: "), refused.text
            assert problem in refused.json()["detail"], (password, refused.text)
        name = f"nina-{uuid.uuid4().hex[:6]}"
        own = http.post("/api/v1/users", json=_account(name, password=name))
        assert own.status_code == 422
        assert "username" in own.json()["detail"]


# --- 10. the same username at once ------------------------------------------------------


def test_the_same_username_registered_concurrently_is_one_account(production: Site) -> None:
    name = f"twin-{uuid.uuid4().hex[:6]}"
    clients = [production.client() for _ in range(10)]  # ten addresses, one try each
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(
                pool.map(
                    lambda pair: pair[1].post(
                        "/api/v1/users",
                        json={**_account(name), "email": f"{name}-{pair[0]}@example.org"},
                    ),
                    enumerate(clients),
                )
            )
    finally:
        for client in clients:
            client.close()
    codes = sorted(answer.status_code for answer in answers)
    assert codes == [201] + [409] * 9, [answer.text for answer in answers]
    with production.client() as http:  # a look-alike of an existing name is the same name
        again = http.post("/api/v1/users", json=_account(name.upper().replace("I", "1")))
        assert again.status_code == 409
        assert "already registered" in again.json()["detail"]


# --- 11. the last admin -----------------------------------------------------------------


def test_the_last_admin_can_be_neither_demoted_nor_deactivated(
    embedded_site: Callable[..., Site],
) -> None:
    site = embedded_site()
    admin = _auth(_bearer_for_new(site, Role.ADMIN))
    with site.client() as http:
        me = http.get("/api/v1/users/me", headers=admin).json()
        demoted = http.put(
            f"/api/v1/admin/users/{me['id']}/role", headers=admin, json={"role": "participant"}
        )
        assert demoted.status_code == 409
        assert "last active admin" in demoted.json()["detail"]
        deactivated = http.put(
            f"/api/v1/admin/users/{me['id']}/active", headers=admin, json={"is_active": False}
        )
        assert deactivated.status_code == 409
        assert _page_login(http, me["username"]).status_code == 303
        pressed = _form(http, f"/admin/users/{me['id']}/role", role="participant")
        assert pressed.status_code == 303
        assert "last active admin" in http.get("/admin/users").text
        assert http.get("/api/v1/users/me", headers=admin).json()["role"] == "admin"
        # with a second admin, the first may step down
        second = http.post("/api/v1/users", json=_account())
        promoted = http.put(
            f"/api/v1/admin/users/{second.json()['id']}/role", headers=admin, json={"role": "admin"}
        )
        assert promoted.status_code == 200
        stepped_down = http.put(
            f"/api/v1/admin/users/{me['id']}/role", headers=admin, json={"role": "organizer"}
        )
        assert stepped_down.status_code == 200


# --- 12. leaderboard spoofing -----------------------------------------------------------

SPOOFED_NAMES = (
    ("method", "Bаseline (official)", "mixes scripts"),  # a Cyrillic а
    ("method", "\u202eenilesab lacol", "U+202E RIGHT-TO-LEFT OVERRIDE"),
    ("method", "\u200b\u200b\u200b", "U+200B ZERO WIDTH SPACE"),
    ("method", "\ufeff", "U+FEFF ZERO WIDTH NO-BREAK SPACE"),
    ("method", "Bаѕеlіnе", "mixes scripts"),  # five Cyrillic letters among Latin ones
    ("method", "baseline: dog", "reserved for the organizers"),
    ("team", "SHREC organizers", "reserved for the organizers"),
    ("team", "ＳＨＲＥＣ", "reserved for the organizers"),  # full-width
    ("team", "Official\u2060Team", "U+2060 WORD JOINER"),
    ("team", "\u3164", "HANGUL JUNGSEONG FILLER"),  # what NFKC makes of U+3164
)


def test_names_cannot_spoof_the_baselines_or_the_organizers(production: Site) -> None:
    with production.client() as http:
        _, headers = _participant(production, http)

        def upload(method: str, team: str = "") -> httpx.Response:
            return http.post(
                "/api/v1/submissions",
                headers=headers,
                files={"file": ("picks.txt", GOOD_SUBMISSION, "text/plain")},
                data={"method": method, "team": team},
            )

        for field, name, problem in SPOOFED_NAMES:
            answer = upload(name) if field == "method" else upload("spheres", team=name)
            assert answer.status_code == 422, (name, answer.text)
            assert answer.json()["detail"].startswith(f"{field}: "), answer.text
            assert problem in answer.json()["detail"], (name, answer.text)
            if field == "team":  # nor can a team be created under such a name
                team = http.post("/api/v1/teams", headers=headers, json={"name": name})
                assert team.status_code == 422, (name, team.text)
                assert problem in team.json()["detail"], (name, team.text)
        team = http.post("/api/v1/teams", headers=headers, json={"name": "Лаборатория"})
        assert team.status_code == 201, team.text
        accepted = upload("Метод 2", team="Лаборатория")  # one script is fine
        assert accepted.status_code == 201, accepted.text
        for spoof in ("shrec-organizers", "official", "Baseline", "ｂａｓｅｌｉｎｅ"):
            refused = http.post("/api/v1/users", json=_account(spoof))
            assert refused.status_code == 422, (spoof, refused.text)
            assert refused.json()["detail"].startswith("username: "), refused.text
