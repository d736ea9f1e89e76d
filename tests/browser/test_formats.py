"""The upload form in a real browser: it lists the field's formats and refuses a misframed
file with the diagnosis at no cost; the dataset page offers the copick project. (Accepted
uploads in those formats are scored in tests/app/test_upload_formats.py.)"""

from __future__ import annotations

import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, expect

from tests.browser.conftest import LiveService
from tests.browser.test_flow import register

pytestmark = pytest.mark.browser


def particles(tomogram: Path) -> list[list[str]]:
    rows = [line.split() for line in (tomogram / "particle_locations.txt").read_text().splitlines()]
    return [row for row in rows if row]


def test_formats_misframing_and_copick_download(
    browser: Browser, live_service: LiveService, tmp_path: Path, screenshot_dir: Path
) -> None:
    url = live_service.url
    rows = particles(live_service.test_tomogram)
    in_angstrom = tmp_path / "angstrom.txt"  # voxel-style lines, but in Å (10 Å voxels)
    in_angstrom.write_text(
        "".join(f"{r[0]} {float(r[1]) * 10} {float(r[2]) * 10} {float(r[3]) * 10}\n" for r in rows)
    )
    page = browser.new_context(viewport={"width": 1280, "height": 1400}).new_page()
    register(page, url, f"formats-{uuid.uuid4().hex[:6]}")
    page.goto(f"{url}/submit")
    options = page.locator("select[name=format] option").all_inner_texts()
    for label in (
        "copick picks (JSON)",
        "CZ Data Portal points (ndjson)",
        "Kaggle CZII CSV (Å)",
        "RELION 5 STAR (centred Å)",
        "RELION 4 / pytom-match-pick STAR (pixels)",
        "Dynamo table (.tbl)",
        "DeepFinder XML",
    ):
        assert label in options
    quota = page.locator("#quota").inner_text()

    page.get_by_label("Predictions file").set_input_files(str(in_angstrom))
    page.get_by_label("Method").fill("Angstrom picker")
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#file-error")).to_contain_text("looks like Å")
    expect(page.locator("#quota")).to_have_text(quota)  # the refusal cost nothing
    page.screenshot(path=str(screenshot_dir / "submit-misframed.png"))

    active = next(v for v in httpx.get(f"{url}/api/v1/datasets").json()["data"] if v["is_active"])
    page.goto(f"{url}/datasets/{active['id']}")
    link = page.locator("#copick-download")
    expect(link).to_have_attribute("href", f"/api/v1/datasets/{active['id']}/copick.tar")
