"""Dataset operations: regenerate a version, then download it from a real uvicorn server.

Prints the time to generate and register a 192³ two-tomogram version, the file listing's
latency, full-file and archive throughput (checksummed while streaming), range-request
latency, and how much the server's memory grows while it streams an archive.

    .venv/bin/python benchmarks/downloads.py
"""

from __future__ import annotations

import hashlib
import multiprocessing
import socket
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from app.core.config import Settings
from app.db import session_factory
from app.main import create_app
from app.migrate import upgrade_database
from app.services.datasets import create_dataset_version, generate_dataset
from app.services.regeneration import simulation_parameters

PARAMETERS = {"size": 192, "slab": 64, "particles": 40, "tomograms": 2, "tilt_step": 3}
MIB = 1024 * 1024


def _generate(data_dir: str) -> None:
    """Generate the version in a child process, so the server's memory starts clean."""
    settings = Settings(data_dir=Path(data_dir))
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        version = create_dataset_version(
            db, name="bench", parameters=simulation_parameters(PARAMETERS, 1), seed=1
        )
    generate_dataset(factory, settings, version.id, activate=True)


def _rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _download(client: httpx.Client, url: str) -> tuple[float, int, str]:
    """Seconds, bytes and SHA-256 of one streamed download."""
    digest, size = hashlib.sha256(), 0
    started = time.perf_counter()
    with client.stream("GET", url) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            digest.update(chunk)
            size += len(chunk)
    return time.perf_counter() - started, size, digest.hexdigest()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(data_dir=Path(folder))
        settings.resolved_data_dir.mkdir(parents=True, exist_ok=True)
        upgrade_database(settings.sqlalchemy_url)
        started = time.perf_counter()
        child = multiprocessing.get_context("spawn").Process(target=_generate, args=(folder,))
        child.start()
        child.join()
        print(f"generate + register 192³ x 2 tomograms: {time.perf_counter() - started:.1f} s")

        port = _free_port()
        server = uvicorn.Server(
            uvicorn.Config(create_app(settings), port=port, log_level="warning")
        )
        threading.Thread(target=server.run, daemon=True).start()
        while not server.started:
            time.sleep(0.05)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            listing_times = []
            for _ in range(20):
                begun = time.perf_counter()
                listing = client.get("/api/v1/datasets/1/files").json()
                listing_times.append(time.perf_counter() - begun)
            print(f"file listing: {statistics.median(listing_times) * 1e3:.1f} ms (median of 20)")

            entry = next(e for e in listing["data"] if e["name"] == "reconstruction.mrc")
            runs = [_download(client, entry["url"]) for _ in range(5)]
            assert all(sha == entry["sha256"] for _, _, sha in runs)
            best = min(seconds for seconds, _, _ in runs)
            size_mib = entry["bytes"] / MIB
            print(f"full file ({size_mib:.0f} MiB): {size_mib / best:.0f} MiB/s (best of 5)")

            middle = entry["bytes"] // 2
            ranged = []
            for _ in range(20):
                begun = time.perf_counter()
                part = client.get(
                    entry["url"], headers={"Range": f"bytes={middle}-{middle + MIB - 1}"}
                )
                ranged.append(time.perf_counter() - begun)
                assert part.status_code == 206
            print(f"1 MiB range request: {statistics.median(ranged) * 1e3:.1f} ms (median of 20)")

            archive = listing["archives"][0]
            baseline, peak = _rss_mib(), [0.0]
            done = threading.Event()

            def sample() -> None:
                while not done.is_set():
                    peak[0] = max(peak[0], _rss_mib())
                    time.sleep(0.01)

            sampler = threading.Thread(target=sample)
            sampler.start()
            seconds, size, _ = _download(client, archive["url"])
            done.set()
            sampler.join()
            assert size == archive["bytes"]
            print(
                f"archive of {archive['tomogram']} ({size / MIB:.0f} MiB): "
                f"{size / MIB / seconds:.0f} MiB/s; process memory +{peak[0] - baseline:.0f} MiB"
            )
        server.should_exit = True


if __name__ == "__main__":
    main()
