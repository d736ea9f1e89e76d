"""Account rules in detail: names, passwords, the login backoff, the admin that always exists,
invitations, token lifetimes, the command line, and the migration of existing accounts."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
from alembic import command
from click.testing import CliRunner
from sqlalchemy import select, text, update
from starlette.testclient import TestClient

from app.cli.users import users as users_cli
from app.core.config import Settings, settings_env
from app.db import get_engine, session_factory
from app.deps import SUBMIT_SCOPE_HANDLERS
from app.migrate import alembic_config
from app.models import Invite, Role, User
from app.services.errors import Conflict, InvalidInput
from app.services.invites import create_invite, delete_invite, redeem_invite
from app.services.login_throttle import LoginThrottle, MemoryCounter
from app.services.names import clean_display_name, clean_username, skeleton, username_key
from app.services.passwords import check_new_password
from app.services.seed import seed
from app.services.users import authenticate, ensure_admin, register_user, set_active, set_role
from tests.app.pages_support import csrf_from
from tests.app.support import PASSWORD, install_dataset, register


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("Bаseline", "mixes scripts"),
        ("team\u202e", "U+202E RIGHT-TO-LEFT OVERRIDE"),
        ("\u200d", "U+200D ZERO WIDTH JOINER"),
        ("a\u180eb", "U+180E MONGOLIAN VOWEL SEPARATOR"),
        ("Organisers united", "'organiser'"),
        ("The 0fficial one", "'official'"),  # a zero for the O
        ("tomobench-team", "'tomobench'"),
        ("ad min", None),  # two words: neither is reserved
        ("Badminton", None),  # short reserved words only as whole words
        ("Équipe Ondée", None),  # accents are letters like any other
    ],
)
def test_display_names(name: str, problem: str | None) -> None:
    if problem is None:
        assert clean_display_name("team", name, 100, required=True, privileged=False) == name
        return
    with pytest.raises(InvalidInput) as refused:
        clean_display_name("team", name, 100, required=True, privileged=False)
    assert refused.value.message.startswith("team: ")
    assert problem in refused.value.message


def test_organizers_may_use_reserved_words_but_not_hidden_characters() -> None:
    assert clean_display_name("team", "SHREC organizers", 100, required=True, privileged=True)
    with pytest.raises(InvalidInput):
        clean_display_name("team", "SHREC\u200b", 100, required=True, privileged=True)
    # NFKC and single spaces: these show as the same name, so they are stored as one
    shown = clean_display_name(
        "method", "  ＤｏＧ\u00a0\u00a0net ", 100, required=True, privileged=False
    )
    assert shown == "DoG net"


def test_usernames_are_unique_by_how_they_look() -> None:
    assert username_key("Alice") == username_key("alice") == username_key("AIice")
    assert username_key("rnike") == username_key("mike")
    assert username_key("b0b") == username_key("bob")
    assert username_key("alice") != username_key("alicia")
    assert skeleton("ЅНREС") == skeleton("shrec")  # Cyrillic S, H, E, C
    assert clean_username("ｂｏｂ") == "bob"
    with pytest.raises(InvalidInput, match="reserved"):
        clean_username("OfficialTeam")  # no separator needed: the word is found in the shape
    assert clean_username("organizers", privileged=True) == "organizers"


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Passw0rd!", "at least 10 characters"),
        ("aaaaaaaaaaaa", "too easy to guess"),
        ("Password123", "too easy to guess"),
        ("tomobench2026", "too easy to guess"),  # the site's own name is a hint to zxcvbn
        ("carol-on-a-hill-42", "must not contain the username"),
        ("tab\tseparated words", "invisible or control characters"),
    ],
)
def test_password_rules(password: str, problem: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        check_new_password(password, username="Carol", email="carol@example.org")
    assert refused.value.message.startswith("password: ")
    assert problem in refused.value.message


def test_a_password_is_the_same_however_it_was_typed(fresh_settings: Settings) -> None:
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        register_user(db, "dana", "dana@example.org", "ｍａｕｖｅ otter １２")  # full-width
        db.commit()
        assert authenticate(db, "dana", "mauve otter 12") is not None
        assert authenticate(db, "dana", "ｍａｕｖｅ otter １２") is not None


def test_the_login_backoff_doubles_up_to_the_window() -> None:
    settings = Settings(login_max_failures=3, login_backoff_s=30, login_window_s=900)
    throttle = LoginThrottle(MemoryCounter(), settings)
    waits = [throttle._backoff(failures) for failures in range(1, 10)]
    assert waits == [0, 0, 30, 60, 120, 240, 480, 900, 900]
    for _ in range(3):
        throttle.record("eve", "10.0.0.1", success=False)
    assert throttle.counter.blocked_for(throttle._keys("eve", "10.0.0.1")[0]) > 0
    assert throttle.counter.blocked_for(throttle._keys("eve", "10.0.0.2")[0]) == 0
    throttle.record("eve", "10.0.0.1", success=True)
    assert throttle.counter.blocked_for(throttle._keys("eve", "10.0.0.1")[0]) == 0


def test_start_up_never_fails_for_want_of_an_admin(fresh_settings: Settings) -> None:
    factory = session_factory(fresh_settings.sqlalchemy_url)
    first = seed_admin(fresh_settings)
    with factory() as db:
        # an admin demoted by hand in the database (the service itself refuses it)
        db.execute(update(User).where(User.id == first.id).values(role=Role.PARTICIPANT))
        db.commit()
        admin, password = ensure_admin(db, fresh_settings.admin_username, "admin@localhost")
        db.commit()
        assert (admin.username, admin.role) == ("admin-2", Role.ADMIN)
        assert password is not None
        assert authenticate(db, "admin-2", password) is not None
        with pytest.raises(Conflict, match="last active admin"):
            set_active(db, admin, False)
        with pytest.raises(Conflict, match="last active admin"):
            set_role(db, admin, Role.ORGANIZER)


def seed_admin(settings: Settings) -> User:
    """The first admin, as `serve` creates it (the demo dataset aside)."""
    with session_factory(settings.sqlalchemy_url)() as db:
        admin, password = ensure_admin(db, settings.admin_username, settings.admin_email)
        db.commit()
        assert password is not None
        return admin


def test_seed_starts_with_a_deactivated_admin(fresh_settings: Settings) -> None:
    """`serve` seeds on every start: with its only admin deactivated by hand it still starts,
    and says which admin it created."""
    first = seed_admin(fresh_settings)
    factory = session_factory(fresh_settings.sqlalchemy_url)
    with factory() as db:
        db.execute(update(User).where(User.id == first.id).values(is_active=False))
        db.commit()
    install_dataset(fresh_settings)  # a ready version: seed has no demo to simulate
    report = seed(factory, fresh_settings)
    assert report.admin_username == "admin-2"
    assert report.admin_password is not None
    assert seed(factory, fresh_settings).admin_password is None  # and only once


def test_invites_are_single_use_and_expire(fresh_settings: Settings) -> None:
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        admin = seed_admin(fresh_settings)
        invite, code = create_invite(db, admin, "for erin", 1)
        late, late_code = create_invite(db, admin, "too late", 1)
        late.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
        user = register_user(db, "erin", "erin@example.org", PASSWORD)
        redeem_invite(db, code, user)
        with pytest.raises(InvalidInput, match="invite_code: unknown, already used or expired"):
            redeem_invite(db, code, user)
        with pytest.raises(InvalidInput, match="invite_code"):
            redeem_invite(db, late_code, user)
        db.commit()
        with pytest.raises(Conflict, match="already used"):
            delete_invite(db, invite.id)
        delete_invite(db, late.id)
        db.commit()
        assert db.scalars(select(Invite.note)).all() == ["for erin"]
        with pytest.raises(InvalidInput, match="note: at most 200"):
            create_invite(db, admin, "x" * 201, 1)


def test_token_lifetime_and_scope_are_checked(fresh_client: TestClient) -> None:
    headers = register(fresh_client, "frank")
    for body, problem in (
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 100_000}, "expires_in_days"),
        ({"scope": "admin"}, "scope"),
    ):
        refused = fresh_client.post("/api/v1/tokens", auth=("frank", PASSWORD), json=body)
        assert refused.status_code == 422
        assert refused.json()["detail"].startswith(problem)
    made = fresh_client.post(
        "/api/v1/tokens", auth=("frank", PASSWORD), json={"scope": "submit", "expires_in_days": 7}
    ).json()
    assert made["scope"] == "submit"
    lifetime = dt.datetime.fromisoformat(made["expires_at"]) - dt.datetime.fromisoformat(
        made["created_at"]
    )
    assert dt.timedelta(days=6, hours=23) < lifetime <= dt.timedelta(days=7)
    listed = fresh_client.get("/api/v1/tokens", headers=headers).json()["data"]
    assert {token["scope"] for token in listed} == {"full", "submit"}


def test_cli_reset_password_and_last_admin(fresh_settings: Settings) -> None:
    runner = CliRunner(env=settings_env(fresh_settings))
    admin = seed_admin(fresh_settings)
    weak = runner.invoke(
        users_cli, ["reset-password", admin.username, "--password-stdin"], input="x\n"
    )
    assert weak.exit_code == 1
    assert "password: at least 10 characters" in weak.output
    given = runner.invoke(
        users_cli,
        ["reset-password", admin.username, "--password-stdin"],
        input="amber kettle drum\n",
    )
    assert given.exit_code == 0, given.output
    assert "amber kettle drum" not in given.output
    with session_factory(fresh_settings.sqlalchemy_url)() as db:
        assert authenticate(db, admin.username, "amber kettle drum") is not None
    missing = runner.invoke(users_cli, ["reset-password", "nobody"])
    assert missing.exit_code == 1
    assert "no user named 'nobody'" in missing.output
    demoted = runner.invoke(users_cli, ["set-role", admin.username, "participant"])
    assert demoted.exit_code == 1
    assert "last active admin" in demoted.output


def test_the_migration_keeps_look_alike_accounts_apart(fresh_settings: Settings) -> None:
    url = fresh_settings.sqlalchemy_url
    config = alembic_config(url)
    command.downgrade(config, "0004")
    with get_engine(url).begin() as connection:
        for username in ("Bob", "bob", "alice"):
            connection.execute(
                text(
                    "INSERT INTO users (username, email, password_hash, role, is_active, "
                    "created_at) VALUES (:name, :email, 'x', 'participant', true, "
                    "CURRENT_TIMESTAMP)"
                ),
                {"name": username, "email": f"{username}@example.org"},
            )
    command.upgrade(config, "head")
    with session_factory(url)() as db:
        keys = dict(db.execute(select(User.username, User.username_key)).tuples().all())
    assert keys["Bob"] == "bob"
    assert keys["bob"].startswith("bob#")  # the later look-alike keeps its account
    assert keys["alice"] == username_key("alice")


def test_the_submit_scope_names_handlers_that_exist() -> None:
    """A renamed handler would silently leave the `submit` scope; every name must resolve."""
    for module, name in SUBMIT_SCOPE_HANDLERS:
        assert callable(getattr(importlib.import_module(module), name, None)), (module, name)


def test_logging_in_again_ends_the_previous_session(fresh_client: TestClient) -> None:
    register(fresh_client, "gina")

    def log_in() -> None:
        form = {
            "username": "gina",
            "password": PASSWORD,
            "csrf_token": csrf_from(fresh_client, "/login"),
        }
        assert fresh_client.post("/login", data=form, follow_redirects=False).status_code == 303

    log_in()
    first = fresh_client.cookies.get("tomobench_session")
    log_in()
    assert fresh_client.get("/api/v1/users/me").status_code == 200
    fresh_client.cookies.set("tomobench_session", first or "")
    assert fresh_client.get("/api/v1/users/me").status_code == 401
