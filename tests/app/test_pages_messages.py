"""What the pages tell a newcomer: the quota when it is used up, the footer's versions on every
page, and which dataset versions have (had) a leaderboard."""

from __future__ import annotations

import datetime as dt
import html
import re

from sqlalchemy import select, update
from starlette.testclient import TestClient

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.models import DatasetVersion, Role, User
from app.services.quota import until
from tests.app.datasets_support import browser_login, generate_small
from tests.app.pages_support import csrf_from, register_in_browser
from tests.app.support import install_dataset, new_user, upload, wait_for_status


def test_until_says_hours_and_minutes() -> None:
    now = dt.datetime(2026, 11, 30, 20, 48, tzinfo=dt.UTC)
    midnight = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert until(midnight, now) == "3 h 12 min"
    assert until(now + dt.timedelta(seconds=30), now) == "1 min"
    assert until(now + dt.timedelta(minutes=45), now) == "45 min"


def test_a_used_up_quota_says_when_it_resets(fresh_settings: Settings) -> None:
    install_dataset(fresh_settings)
    with TestClient(create_app(fresh_settings)) as browser:
        username = register_in_browser(browser)
        with session_factory(fresh_settings.sqlalchemy_url)() as db:
            db.execute(update(User).where(User.username == username).values(daily_quota=0))
            db.commit()
        page = browser.get("/submit").text
    assert 'id="quota-exhausted"' in page
    assert "0</strong> of 0 submissions left today; the quota resets at 00:00 UTC (in " in page
    assert 'disabled aria-describedby="quota-exhausted"' in page


def test_every_page_keeps_the_footer_versions(fresh_client: TestClient) -> None:
    for path in ("/", "/datasets", "/leaderboard", "/login"):
        page = fresh_client.get(path).text
        assert "· evaluator " in page, path
        assert "tomobench  ·" not in page, path  # an empty version would leave a gap


def test_an_unreleased_version_has_no_closed_leaderboard(fresh_settings: Settings) -> None:
    released = generate_small(fresh_settings, seed=1, activate=True)
    never = generate_small(fresh_settings, seed=2, activate=False)
    with TestClient(create_app(fresh_settings)) as client:
        listing = client.get("/datasets").text
        row = listing.split(f'id="dataset-{never}"')[1].split("</tr>")[0]
        assert "not released" in row
        assert "Leaderboard" not in row
        assert "not released yet" in client.get(f"/datasets/{never}").text
        # activating another version closes the first one's board, which says so
        with session_factory(fresh_settings.sqlalchemy_url)() as db:
            db.execute(update(DatasetVersion).values(is_active=False))
            db.commit()
        closed = client.get("/datasets").text.split(f'id="dataset-{released}"')[1]
        assert "Leaderboard (closed)" in closed.split("</tr>")[0]


def test_the_class_columns_fold_behind_a_toggle(client: TestClient, service: Settings) -> None:
    headers = new_user(service)
    submission_id = upload(client, headers).json()["id"]
    assert wait_for_status(client, headers, submission_id)["status"] == "scored"
    folded = client.get("/leaderboard").text
    assert "F1 per class (Table 2)" not in folded
    assert "Show the F1 of each of the 12 classes" in folded
    toggle = re.search(r'id="classes-toggle" href="([^"]+)"', folded)
    assert toggle is not None
    shown = client.get("/leaderboard" + html.unescape(toggle.group(1))).text
    assert "F1 per class (Table 2)" in shown
    assert "Hide the F1 of each class" in shown
    assert "classes=true" in shown.split('id="leaderboard"')[1]  # sorting keeps them shown
    assert "F1 per class (Table 2)" in client.get("/leaderboard?sort=f1_1bxn").text


def test_the_regeneration_form_offers_starting_points(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    page = fresh_client.get("/admin/datasets").text
    assert "?start=demo#regenerate" in page
    assert "ready in seconds" in page
    demo = fresh_client.get("/admin/datasets?start=demo").text
    assert re.search(r'name="size" value="96"', demo)
    assert re.search(r'name="tomograms" value="3"', demo)
    shrec = fresh_client.get("/admin/datasets?start=shrec").text
    assert re.search(r'name="particles" value="2500"', shrec)
    unknown = fresh_client.get("/admin/datasets?start=huge")
    assert unknown.status_code == 422
    assert "expected one of demo, small, shrec" in unknown.text


def test_registration_names_every_problem_at_once(fresh_client: TestClient) -> None:
    page = fresh_client.get("/register").text
    assert "At least 10" in page or "at least 10" in page  # the rules are stated up front
    response = fresh_client.post(
        "/register",
        data={
            "csrf_token": csrf_from(fresh_client, "/register"),
            "username": "a b",
            "email": "not-an-address",
            "password": "short",
        },
    )
    assert response.status_code == 422
    errors = response.text.split('id="form-errors"')[1].split("</div>")[0]
    assert errors.count("<li>") == 3, errors
    for field in ("username", "email", "password"):
        assert f'id="{field}-error"' in response.text, field
    api = fresh_client.post(
        "/api/v1/users", json={"username": "a b", "email": "nowhere", "password": "short"}
    )
    assert api.status_code == 422
    detail = api.json()["detail"]
    assert "username:" in detail
    assert "email:" in detail
    assert "password:" in detail


def test_admins_set_a_quota_and_reset_a_password_from_the_users_page(
    fresh_client: TestClient, fresh_settings: Settings
) -> None:
    browser_login(fresh_client, fresh_settings, Role.ADMIN)
    with TestClient(create_app(fresh_settings)) as other:
        username = register_in_browser(other)
        with session_factory(fresh_settings.sqlalchemy_url)() as db:
            account = db.scalar(select(User).where(User.username == username))
            assert account is not None
            account_id = account.id
        token = csrf_from(fresh_client, "/admin/users")
        page = fresh_client.post(
            f"/admin/users/{account_id}/quota", data={"csrf_token": token, "daily_quota": "3"}
        )
        assert f"{username}&#39;s daily quota is now 3." in page.text
        refused = fresh_client.post(
            f"/admin/users/{account_id}/quota", data={"csrf_token": token, "daily_quota": "-1"}
        )
        assert "daily_quota: expected a whole number or empty" in refused.text
        assert other.get("/submit").text.count("of 3") == 1
        reset = fresh_client.post(
            f"/admin/users/{account_id}/reset-password", data={"csrf_token": token}
        )
        shown = re.search(r'<pre id="new-password">([^<]+)</pre>', reset.text)
        assert shown is not None
        assert other.get("/submit", follow_redirects=False).status_code == 303  # session ended
        assert (
            other.post("/api/v1/tokens", auth=(username, html.unescape(shown.group(1)))).status_code
            == 201
        )
