"""An admin's regeneration in a real browser on its own `tomobench serve`: queue a new dataset
version from the form, watch its progress refresh in place, activate it, open its downloads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.app.test_serve import ADMIN_LINE, Served, serving

pytestmark = pytest.mark.browser

# a version that takes several polls (2 s each) to simulate even on a fast machine (14 s on the
# one in docs/benchmarks.md, 3 s was too short elsewhere), so its progress can be seen
REQUEST = {
    "name": "spring",
    "size": "128",
    "particles": "60",
    "tomograms": "10",
    "tilt_step": "0.5",
}
GENERATION_TIMEOUT_MS = 180_000


@pytest.fixture(scope="module")
def own_service(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """A service of its own: activating a version here must not change other tests' data."""
    with serving(tmp_path_factory.mktemp("admin-service")) as served:
        yield served


def login(page: Page, url: str, username: str, password: str) -> None:
    """Log in through the form."""
    page.goto(f"{url}/login")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    expect(page.locator(".flash")).to_contain_text(f"Logged in as {username}")


def test_admin_regenerates_watches_progress_and_activates(
    browser: Browser, own_service: Served, screenshot_dir: Path
) -> None:
    url = own_service.url
    match = ADMIN_LINE.search(own_service.log.read_text())
    assert match is not None
    context = browser.new_context(viewport={"width": 1280, "height": 1100})
    page = context.new_page()
    login(page, url, "admin", match.group(1))

    page.get_by_role("link", name="Admin", exact=True).click()
    page.locator("#content").get_by_role("link", name="Datasets").click()
    expect(page.locator("h1")).to_have_text("Dataset versions")
    expect(page.locator("#admin-datasets tbody tr")).to_have_count(1)  # the demo, active
    for field, value in REQUEST.items():
        page.locator(f"#regenerate-form input[name={field}]").fill(value)
    page.locator("#regenerate-form input[name=seed]").fill("2027")
    page.locator("#regenerate").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshot_dir / "admin-regenerate.png"), full_page=True)
    page.get_by_role("button", name="Queue regeneration").click()

    expect(page.locator(".flash")).to_contain_text("Dataset version spring is queued.")
    row = page.locator("#admin-datasets tbody tr", has_text="spring")
    # the region refreshes itself: queued, then generating with a progress bar and the stage
    # (one refresh shows both), then ready
    generating = row.filter(has_text="model_")
    expect(generating.locator("progress")).to_be_visible(timeout=GENERATION_TIMEOUT_MS)
    page.screenshot(path=str(screenshot_dir / "admin-progress.png"))
    expect(row.locator(".status")).to_have_text("ready", timeout=GENERATION_TIMEOUT_MS)
    expect(row.locator("progress")).to_have_count(0)

    page.get_by_role("button", name="Activate spring").click()
    expect(page.locator(".flash")).to_contain_text("spring is now the active dataset version.")
    expect(row).to_contain_text("active")
    expect(page.locator("#admin-datasets tbody tr", has_text="demo")).not_to_contain_text("active")
    page.screenshot(path=str(screenshot_dir / "admin-activated.png"))
    board = httpx.get(f"{url}/api/v1/leaderboard").json()
    assert board["dataset_version"]["name"] == "spring"

    # the new version's page: training files with checksums, the test without ground truth
    row.get_by_role("link", name="spring").click()
    expect(page.locator("h1")).to_contain_text("Dataset spring")
    tomograms = int(REQUEST["tomograms"])
    expect(page.locator("table[id^=files-model_]")).to_have_count(tomograms)
    test_table = page.locator(f"#files-model_{tomograms - 1}")
    test_files = test_table.locator("tbody td:first-child").all_inner_texts()
    assert test_files == [
        "metadata.json",
        "projections.mrc",
        "reconstruction.mrc",
        "tilt_angles.txt",
    ]
    link = page.locator("#files-model_0 a", has_text="particle_locations.txt")
    listed = page.locator("#files-model_0 tr", has_text="particle_locations.txt").locator("code")
    body = httpx.get(f"{url}{link.get_attribute('href')}").content
    assert hashlib.sha256(body).hexdigest() == listed.inner_text()
    page.screenshot(path=str(screenshot_dir / "admin-dataset-page.png"), full_page=True)
    context.close()
