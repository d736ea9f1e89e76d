"""The organizer's yearly workflow in a real browser on its own `tomobench serve`: open an
edition on a fresh hidden test from the admin page, participants submit to it (the form and
the API), the admin closes it, and everybody reads the edition's report page."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.app.test_serve import ADMIN_LINE, Served, serving
from tests.browser.predictions import write_predictions
from tests.browser.test_admin_flow import login
from tests.browser.test_flow import register, submit_by_api
from tests.browser.test_layout import _check

pytestmark = pytest.mark.browser

READY_TIMEOUT_S = 180
SCORING_TIMEOUT_MS = 120_000


@pytest.fixture(scope="module")
def edition_service(
    chromium: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Served, Path]]:
    """A service of its own (the edition changes which version is active); its data folder."""
    data_dir = tmp_path_factory.mktemp("edition-service")
    with serving(data_dir) as served:
        yield served, data_dir


def _wait_for_open_edition(url: str, name: str) -> dict[str, Any]:
    """The edition once its version is simulated and active (polled through the API)."""
    import time

    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        phases = httpx.get(f"{url}/api/v1/phases", timeout=10).json()["data"]
        mine = next(p for p in phases if p["name"] == name)
        if mine["state"] == "open":
            version = httpx.get(f"{url}/api/v1/datasets/{mine['dataset_version_id']}").json()
            if version["is_active"]:
                return dict(mine)
        time.sleep(1)
    raise AssertionError(f"the edition {name} did not open within {READY_TIMEOUT_S} s")


def _test_tomogram(data_dir: Path, version_id: int) -> Path:
    """The hidden test tomogram of a version (the test may peek to write known picks)."""
    folder = data_dir / "datasets" / f"v{version_id}"
    for name, entry in json.loads((folder / "dataset.json").read_text()).items():
        if name == "tomograms":
            return folder / next(t["name"] for t in entry if t["role"] == "test")
    raise AssertionError(f"no test tomogram in {folder}")


def test_an_edition_from_opening_to_its_report(
    browser: Browser, edition_service: tuple[Served, Path], tmp_path: Path, screenshot_dir: Path
) -> None:
    served, data_dir = edition_service
    url = served.url
    match = ADMIN_LINE.search(served.log.read_text())
    assert match is not None
    admin = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    login(admin, url, "admin", match.group(1))

    # 1. open the edition on a fresh hidden test from the admin page
    admin.goto(f"{url}/admin")
    admin.locator("#content").get_by_role("link", name="Phases").click()
    expect(admin.locator("h1")).to_have_text("Phases")
    closes = dt.datetime.now(dt.UTC) + dt.timedelta(days=60)
    admin.get_by_label("Name").fill("SHREC 2027")
    admin.get_by_label("Closes at (UTC)").fill(closes.strftime("%Y-%m-%dT%H:%M"))
    admin.get_by_label("Daily quota").fill("5")
    admin.get_by_label("Ladder rule on the public board").select_option("bootstrap")
    admin.get_by_role("button", name="Open the edition").click()
    expect(admin.locator(".flash")).to_contain_text("Edition SHREC 2027 is recorded")
    edition = _wait_for_open_edition(url, "SHREC 2027")
    admin.reload()
    expect(admin.locator(f"#phase-{edition['id']} .status")).to_contain_text("open")
    admin.screenshot(path=str(screenshot_dir / "edition-open.png"), full_page=True)

    # 2. participants submit: one through the form (the edition is the default phase), two
    # through the API
    tomogram = _test_tomogram(data_dir, edition["dataset_version_id"])
    for method, found, background in (("Template matching", 20, 10), ("Blob detector", 8, 20)):
        picks = tmp_path / f"{method}.txt"
        write_predictions(tomogram, picks, found=found, background=background, wrong_class_every=3)
        submit_by_api(url, picks, method)
    participant = browser.new_context(viewport={"width": 1280, "height": 1200}).new_page()
    register(participant, url, f"alice-{uuid.uuid4().hex[:6]}")
    write_predictions(tomogram, tmp_path / "picks.txt", found=30, background=3)
    participant.goto(f"{url}/submit")
    expect(participant.locator("#phase option:checked")).to_contain_text("SHREC 2027")
    participant.get_by_label("Predictions file").set_input_files(str(tmp_path / "picks.txt"))
    participant.get_by_label("Method").fill("DeepPicker")
    participant.get_by_role("button", name="Submit").click()
    expect(participant.locator("#submissions .status").first).to_have_text(
        "scored", timeout=SCORING_TIMEOUT_MS
    )
    expect(participant.locator("#submissions")).to_contain_text("SHREC 2027")
    participant.goto(f"{url}/leaderboard")
    expect(participant.locator("#phase-status")).to_contain_text("public part")
    participant.screenshot(path=str(screenshot_dir / "edition-public-board.png"))
    hidden = httpx.get(f"{url}/api/v1/leaderboard?phase={edition['id']}&split=private")
    assert hidden.status_code == 403

    # 3. the admin closes it; the board is frozen on the private part
    for _ in range(120):  # the API entries are scored too before the close
        rows = httpx.get(f"{url}/api/v1/leaderboard?phase={edition['id']}").json()["rows"]
        if len(rows) == 3:
            break
        admin.wait_for_timeout(500)
    admin.goto(f"{url}/admin/phases")
    admin.get_by_role("button", name="Close SHREC 2027").click()
    expect(admin.locator(".flash")).to_contain_text("Phase SHREC 2027 is closed")
    expect(admin.locator(f"#phase-{edition['id']} .status")).to_contain_text("closed")

    # 4. everybody reads the report: tables, figure, rank groups, method cards
    participant.goto(f"{url}/leaderboard?phase={edition['id']}")
    expect(participant.locator("#phase-status")).to_contain_text("official ranking")
    participant.locator("#phase-report-link").click()
    expect(participant.locator("h1")).to_contain_text("SHREC 2027")
    expect(participant.locator("#table1 tbody tr")).to_have_count(3)
    expect(participant.locator("#table2 tbody tr")).to_have_count(3)
    expect(participant.locator("#table4 tbody tr")).to_have_count(3)
    expect(participant.locator(".method-card")).to_have_count(3)
    figure = participant.locator("img.figure")
    expect(figure).to_be_visible()
    assert figure.evaluate("image => image.naturalWidth") > 0
    participant.screenshot(path=str(screenshot_dir / "edition-report.png"), full_page=True)
    # the report page fits a laptop and a phone (its figure and checksum included)
    report_url = f"{url}/phases/{edition['id']}/report"
    problems = _check(participant, report_url, "edition-report", screenshot_dir)
    assert problems == [], "\n".join(problems)
    tex = httpx.get(f"{url}/api/v1/phases/{edition['id']}/report.tex")
    assert tex.status_code == 200
    assert "DeepPicker" in tex.text
