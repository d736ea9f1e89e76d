"""Browser tests: the real embedded service (`tomobench serve`) driven by headless Chromium.

Chromium is Debian's `/usr/bin/chromium`; Playwright never downloads a browser. Without it
the tests are skipped, unless `TOMOBENCH_REQUIRE_BROWSER=1` (as in CI), where they fail.
Screenshots go to `$TOMOBENCH_SCREENSHOT_DIR` (e.g. `docs/images` to refresh the README's),
else to a temporary folder.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
START_TIMEOUT_S = 180


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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder drives the browser."""
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's Chromium, or a skip (a failure when TOMOBENCH_REQUIRE_BROWSER=1)."""
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"{CHROMIUM} is missing: install Debian's chromium to run the browser tests"
        if os.environ.get("TOMOBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"TOMOBENCH_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return CHROMIUM


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for_health(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    """Poll `/healthz` until the service (web, database, worker, dataset) is ready."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tomobench serve exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(
        f"tomobench serve was not ready in {START_TIMEOUT_S} s:\n{log.read_text()}"
    )


@pytest.fixture(scope="session")
def live_service(chromium: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    """`tomobench serve` on a free port with a fresh data folder, stopped at the end."""
    data_dir = tmp_path_factory.mktemp("live-service")
    log = data_dir.parent / f"{data_dir.name}-serve.log"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("TOMOBENCH_")}
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port)]
    command += ["--data-dir", str(data_dir)]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        wait_for_health(url, process, log)
        yield LiveService(url, data_dir, log)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, 15)  # SIGTERM: uvicorn, worker child and dispatcher stop
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)
                process.wait()


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
