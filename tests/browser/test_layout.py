"""Every page a participant or an admin opens, at a laptop's and a phone's width: nothing
overflows its box sideways (tables scroll inside their own frame, on purpose), no button
lies off-screen. Each page is photographed for docs/pages.md."""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.app.test_serve import ADMIN_LINE
from tests.browser.conftest import LiveService
from tests.browser.predictions import write_predictions
from tests.browser.test_admin_flow import login
from tests.browser.test_flow import register

pytestmark = pytest.mark.browser

WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}

# elements wider than their box; `.table-wrap` frames scroll sideways by design
OVERFLOWS = """
() => {
  const problems = [];
  const root = document.documentElement;
  const width = root.clientWidth;
  if (root.scrollWidth > width + 1) {
    problems.push(`the page scrolls sideways: ${root.scrollWidth}px in ${width}px`);
  }
  for (const element of document.body.querySelectorAll("*")) {
    if (element.closest("svg") || element.closest(".table-wrap")) continue;
    const style = getComputedStyle(element);
    if (style.display === "none" || style.display === "inline" || element.clientWidth === 0) {
      continue;
    }
    const name = element.tagName.toLowerCase() + (element.id ? "#" + element.id : "")
      + (element.className && typeof element.className === "string"
         ? "." + element.className.trim().split(/\\s+/).join(".") : "");
    const scrolls = ["auto", "scroll"].includes(style.overflowX);
    if (!scrolls && element.scrollWidth > element.clientWidth + 1) {
      problems.push(`${name} overflows: ${element.scrollWidth}px in ${element.clientWidth}px`);
    }
    const box = element.getBoundingClientRect();
    if ((element.tagName === "BUTTON" || element.classList.contains("button"))
        && box.right > width + 1) {
      problems.push(`${name} is off-screen (right edge ${Math.round(box.right)}px)`);
    }
  }
  return problems;
}
"""


def _check(page: Page, url: str, name: str, screenshot_dir: Path) -> list[str]:
    problems = []
    for device, (width, height) in WIDTHS.items():
        page.set_viewport_size({"width": width, "height": height})
        response = page.goto(url)
        assert response is not None
        assert response.status < 400, f"{url}: {response.status}"
        page.screenshot(path=str(screenshot_dir / f"page-{name}-{device}.png"), full_page=True)
        problems += [f"{name} at {width}px: {problem}" for problem in page.evaluate(OVERFLOWS)]
    return problems


def test_pages_fit_laptop_and_phone_widths(
    browser: Browser, live_service: LiveService, tmp_path: Path, screenshot_dir: Path
) -> None:
    url = live_service.url
    picks = tmp_path / "picks.txt"
    write_predictions(live_service.test_tomogram, picks, found=20, background=2)
    context = browser.new_context()
    page = context.new_page()
    problems: list[str] = []
    for name, path in (("home", "/"), ("register", "/register"), ("login", "/login")):
        problems += _check(page, url + path, name, screenshot_dir)

    register(page, url, f"layout-{uuid.uuid4().hex[:6]}")
    page.goto(f"{url}/submit")
    page.get_by_label("Predictions file").set_input_files(str(picks))
    page.get_by_label("Method").fill("Layout picker")
    page.get_by_role("button", name="Submit").click()
    # the listing refreshes itself; the leaderboard and report are shot once it is scored
    expect(page.locator(".status-scored").first).to_be_visible(timeout=120_000)
    report = page.locator("table a[href^='/submissions/']").first.get_attribute("href")
    assert report is not None
    with httpx.Client(base_url=url) as client:
        version = client.get("/api/v1/datasets").json()["data"][0]["id"]
    participant = {
        "leaderboard": "/leaderboard",
        "leaderboard-classes": "/leaderboard?classes=true",
        "datasets": "/datasets",
        "dataset": f"/datasets/{version}",
        "submit": "/submit",
        "submissions": "/submissions",
        "report": report,
        "tokens": "/tokens",
        "account": "/account",
        "team": "/team",
        "selection": "/selection",
        "method-card-form": "/methods/new?method=Layout%20picker",
    }
    for name, path in participant.items():
        problems += _check(page, url + path, name, screenshot_dir)
    context.close()

    match = ADMIN_LINE.search(live_service.log.read_text())
    assert match is not None
    admin = browser.new_context().new_page()
    login(admin, url, "admin", match.group(1))
    for name in ("admin", "admin/datasets", "admin/submissions", "admin/users", "admin/moderation"):
        problems += _check(admin, f"{url}/{name}", name.replace("/", "-"), screenshot_dir)
    assert problems == [], "\n".join(problems)
