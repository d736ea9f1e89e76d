"""A participant's whole visit in a real browser: register, upload, watch the status turn to
scored, read the report, find the entry on the leaderboard (and the pages without JavaScript).
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.conftest import LiveService
from tests.browser.predictions import Expected, write_predictions

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SCORING_TIMEOUT_MS = 120_000


def register(page: Page, url: str, username: str) -> None:
    """Fill in the registration form; registering also logs in."""
    page.goto(f"{url}/register")
    # by name: the password's hint mentions the username, so labels overlap
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=email]").fill(f"{username}@example.org")
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".flash")).to_contain_text(f"Welcome, {username}")


def header(page: Page, label: str) -> Locator:
    """The leaderboard's column header reading exactly `label`."""
    columns = page.locator("#leaderboard thead tr").last.locator("th")
    return columns.filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))


def submit_by_api(url: str, predictions: Path, method: str) -> None:
    """Another participant's entry, through the REST API as `tomobench submit` does."""
    username = f"api-{uuid.uuid4().hex[:8]}"
    account = {"username": username, "email": f"{username}@example.org", "password": PASSWORD}
    with httpx.Client(base_url=url, timeout=30) as client:
        assert client.post("/api/v1/users", json=account).status_code == 201
        token = client.post("/api/v1/tokens", auth=(username, PASSWORD)).json()["token"]
        files = {"file": (predictions.name, predictions.read_bytes(), "text/plain")}
        response = client.post(
            "/api/v1/submissions",
            headers={"Authorization": f"Bearer {token}"},
            files=files,
            data={"method": method},
        )
        assert response.status_code == 201, response.text


def test_participant_uploads_reads_report_and_finds_the_leaderboard_row(
    browser: Browser, live_service: LiveService, tmp_path: Path, screenshot_dir: Path
) -> None:
    url = live_service.url
    tomogram = live_service.test_tomogram
    expected: Expected = write_predictions(
        tomogram, tmp_path / "picks.txt", found=40, background=3, wrong_class_every=8
    )
    for method, found, background in (("Template matching", 25, 12), ("Blob detector", 12, 20)):
        other = tmp_path / f"{method}.txt"
        write_predictions(tomogram, other, found=found, background=background, wrong_class_every=3)
        submit_by_api(url, other, method)

    context = browser.new_context(viewport={"width": 1280, "height": 1500})
    page = context.new_page()
    register(page, url, f"alice-{uuid.uuid4().hex[:6]}")

    # a broken file is explained on the form, and what was typed stays
    broken = tmp_path / "broken.txt"
    broken.write_text("1bxn 10 10 10\n4d8q 12 x 14\n")
    page.goto(f"{url}/submit")
    page.get_by_label("Predictions file").set_input_files(str(broken))
    page.get_by_label("Method").fill("Demo picker")
    expect(page.locator("#counts-for")).to_contain_text("counts for you alone")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#file-error")).to_contain_text("line 2")
    expect(page.get_by_label("Method")).to_have_value("Demo picker")
    page.screenshot(path=str(screenshot_dir / "submit-error.png"))

    # upload through the form; the list then refreshes itself until the status is "scored"
    page.get_by_label("Predictions file").set_input_files(str(tmp_path / "picks.txt"))
    page.get_by_role("button", name="Submit").click()
    expect(page).to_have_url(f"{url}/submissions")
    expect(page.locator(".flash")).to_contain_text("received: 43 predictions")
    status = page.locator("#submissions .status").first
    expect(status).to_have_text("scored", timeout=SCORING_TIMEOUT_MS)

    # the report: Table 1 of the public part (what a participant sees while the phase is
    # open), the same figures as the API's, size groups, figures that actually load
    page.get_by_role("link", name="Report").first.click()
    expect(page.locator("h1")).to_contain_text("Demo picker")
    submission_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    seen = page.request.get(f"{url}/api/v1/submissions/{submission_id}").json()["result"]
    assert seen["split"] == "public"
    counts = [seen["localization"][key] for key in ("RR", "TP", "FP", "FN", "MH", "RO")]
    row = page.locator("#localization tbody td").all_inner_texts()
    assert row[:6] == [str(count) for count in counts]
    whole = [int(value) for value in expected.row[:6]]
    assert all(part <= total for part, total in zip(counts, whole, strict=True))
    expect(page.locator("#size-groups tbody tr")).to_have_count(4)
    expect(page.locator("#per-class tbody tr")).to_have_count(12)
    page.wait_for_load_state("networkidle")
    figures = page.locator("figure img")
    expect(figures).to_have_count(2)  # F1 bars, confusion heatmap (no curves while open)
    for index in range(2):
        assert figures.nth(index).evaluate("image => image.complete && image.naturalWidth > 0")
    page.screenshot(path=str(screenshot_dir / "report.png"))
    page.locator("h2", has_text="Beyond SHREC'19").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "report-added.png"))

    # the leaderboard: our row with its size groups, sortable in place by the script
    page.set_viewport_size({"width": 1920, "height": 720})
    page.goto(f"{url}/leaderboard")
    board = page.locator("#leaderboard tbody tr")
    for method in ("Demo picker", "Template matching", "Blob detector"):  # other tests add theirs
        expect(board.filter(has_text=method)).to_have_count(1)
    mine = board.filter(has_text="Demo picker")
    cells = mine.locator("td").all_inner_texts()
    others = [
        int(board.filter(has_text=method).locator("td").first.inner_text())
        for method in ("Template matching", "Blob detector")
    ]
    assert int(cells[0]) < min(others)  # the best F1 of the three
    assert cells[2:8] == row[:6]  # the public part, as on the report
    assert all(cell.strip() and cell != "–" for cell in cells[13:17])  # four size groups
    page.screenshot(path=str(screenshot_dir / "leaderboard.png"), full_page=True)

    f1_header = header(page, "F1")
    f1_header.click()  # best first
    f1_header.click()  # then worst first
    expect(f1_header).to_have_attribute("aria-sort", "ascending")
    expect(board.first).to_contain_text("Blob detector")
    assert page.url == f"{url}/leaderboard"  # sorted in place, no reload
    context.close()


def test_pages_work_without_javascript(browser: Browser, live_service: LiveService) -> None:
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_service.url}/leaderboard")
    header(page, "RR").locator("a").click()  # a plain link: the server sorts
    assert "sort=RR" in page.url
    expect(page.locator("#leaderboard thead th[aria-sort]")).to_contain_text("RR")
    page.goto(f"{live_service.url}/login")
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".form-errors")).to_contain_text("wrong username or password")
    page.goto(f"{live_service.url}/submissions")
    expect(page).to_have_url(f"{live_service.url}/login?next=/submissions")
    context.close()
