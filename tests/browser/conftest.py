"""Browser tests: the real embedded service (`tomobench serve`) driven by headless Chromium.

Chromium is Debian's `/usr/bin/chromium`; Playwright never downloads a browser. Without it
the tests are skipped, unless `TOMOBENCH_REQUIRE_BROWSER=1` (as in CI), where they fail.
Screenshots go to `$TOMOBENCH_SCREENSHOT_DIR` (e.g. `docs/images` to refresh the README's),
else to a temporary folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.app.test_serve import serving  # the one way the tests start `tomobench serve`

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]


@dataclass(frozen=True)
class LiveService:
    """A running `tomobench serve`: its URL, data folder and log file."""

    url: str
    data_dir: Path
    log: Path

    @property
    def test_tomogram(self) -> Path:
        """The folder of the active dataset's hidden test tomogram (the test may peek)."""
        for manifest in sorted((self.data_dir / "datasets").glob("*/dataset.json")):
            document = json.loads(manifest.read_text())
            return manifest.parent / document["test_tomogram"]
        raise AssertionError(f"no dataset manifest under {self.data_dir / 'datasets'}")


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure when TOMOBENCH_REQUIRE_BROWSER=1)."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests"
        if os.environ.get("TOMOBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TOMOBENCH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM


@pytest.fixture(scope="session")
def live_service(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """`tomobench serve` on a free port with a fresh data folder, stopped at the end."""
    data_dir = tmp_path_factory.mktemp("live-service")
    with serving(data_dir) as served:
        yield LiveService(served.url, data_dir, served.log)


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots are written: $TOMOBENCH_SCREENSHOT_DIR, else a temporary folder."""
    configured = os.environ.get("TOMOBENCH_SCREENSHOT_DIR")
    folder = Path(configured) if configured else tmp_path_factory.mktemp("screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="session")
def browser(chromium: Path) -> Iterator[Browser]:
    """One headless Chromium for the session."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(chromium), args=CHROMIUM_ARGS)
        yield launched
        launched.close()
