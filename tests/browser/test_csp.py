"""The Content-Security-Policy in a real browser: every page of the site, the report's
figures and the API docs (Swagger UI, ReDoc) render under it without a single violation."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, ConsoleMessage, Page, expect

from app.routes.pages import router as pages_router
from app.services.report_figures import FIGURES
from tests.app.support import wait_until
from tests.app.test_serve import ADMIN_LINE
from tests.browser.conftest import LiveService
from tests.browser.test_admin_flow import login
from tests.reliability.access import app_routes

pytestmark = pytest.mark.browser

ANONYMOUS_PAGES = ("/", "/login", "/register", "/leaderboard", "/datasets", "/no-such-page")


def _admin_pages(submission_id: int, card_id: int) -> list[str]:
    """Every page the site's router answers to GET, with its path parameters filled in."""
    site = FastAPI()
    site.include_router(pages_router)
    values = {"version_id": "1", "submission_id": str(submission_id), "path": "no-such-page"}
    values["phase_id"] = "1"  # the demo version's development phase
    values["card_id"] = str(card_id)
    pages = []
    for method, path in app_routes(site):
        if method != "GET":
            continue
        if "{name}" in path:  # the report's figures, opened on their own
            pages += [path.replace("{name}", name) for name in FIGURES]
        else:
            pages.append(path)
    return [re.sub(r"\{(\w+)(?::path)?\}", lambda m: values[m.group(1)], p) for p in pages]


def _scored_submission(url: str, password: str, test_tomogram: Path) -> int:
    """An admin's upload of the hidden test's own particles, once scored: its id."""
    lines = (test_tomogram / "particle_locations.txt").read_text().splitlines()
    picks = "".join(" ".join(line.split()[:4]) + "\n" for line in lines)
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.post("/api/v1/tokens", auth=("admin", password)).json()["token"]
        headers = {"Authorization": f"Bearer {token}"}
        created = client.post(
            "/api/v1/submissions",
            headers=headers,
            files={"file": ("picks.txt", picks.encode(), "text/plain")},
            data={"method": "csp check"},
        )
        assert created.status_code == 201, created.text
        submission_id: int = created.json()["id"]

        def scored() -> bool:
            answer = client.get(f"/api/v1/submissions/{submission_id}", headers=headers)
            return bool(answer.json()["status"] == "scored")

        wait_until(scored, 120, "the submission to be scored")
        return submission_id


def _method_card(url: str, password: str) -> int:
    """The admin's method card, its description in Markdown with a table and a link: its id."""
    description = "# CSP check\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[code](https://example.org)"
    with httpx.Client(base_url=url, timeout=30) as client:
        token = client.post("/api/v1/tokens", auth=("admin", password)).json()["token"]
        created = client.post(
            "/api/v1/method-cards",
            headers={"Authorization": f"Bearer {token}"},
            json={"method": "csp check", "description": description},
        )
        assert created.status_code == 201, created.text
        card_id: int = created.json()["id"]
        return card_id


def _visit(page: Page, url: str) -> None:
    response = page.goto(url)
    assert response is not None, url
    policy = response.headers.get("content-security-policy", "")
    assert "frame-ancestors 'none'" in policy, f"{url}: {policy!r}"
    page.wait_for_load_state("networkidle")


def test_no_page_breaks_the_content_security_policy(
    browser: Browser, live_service: LiveService
) -> None:
    url = live_service.url
    match = ADMIN_LINE.search(live_service.log.read_text())
    assert match is not None
    submission_id = _scored_submission(url, match.group(1), live_service.test_tomogram)
    context = browser.new_context()
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(f"{message.page.url if message.page else '?'}: {message.text}")

    context.on("console", on_console)
    page = context.new_page()
    for path in ANONYMOUS_PAGES:
        _visit(page, url + path)

    login(page, url, "admin", match.group(1))
    visited = _admin_pages(submission_id, _method_card(url, match.group(1)))
    assert {"/account", "/admin/users", "/submit", "/team", "/admin/moderation"} <= set(visited)
    for path in visited:
        _visit(page, url + path)
    _visit(page, f"{url}/submissions/{submission_id}")
    expect(page.locator("figure img").first).to_be_visible()
    assert page.locator("figure img").first.evaluate("image => image.naturalWidth") > 0

    _visit(page, url + "/docs")  # Swagger UI, served from the site itself
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("tomobench")
    expect(page.locator(".opblock").first).to_be_visible()
    _visit(page, url + "/redoc")
    expect(page.locator("h1").first).to_contain_text("tomobench")
    context.close()
    assert not violations, "\n".join(violations)
