"""How long installing tomobench takes and how much it puts on disk, per extra.

Each extra goes into a fresh virtual environment from this checkout, as `make serve` (service),
`make test` (dev) and `pip install .` (the core) do; pip's cache is used as it would be on a
second install. Prints one Markdown row per extra.

    python benchmarks/install.py [--extras ,service,dev]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under `folder` (links not followed)."""
    return sum(path.lstat().st_size for path in folder.rglob("*") if path.is_file())


def install(extra: str, scratch: Path) -> tuple[float, int]:
    """Seconds to create a venv and install the project with `extra`; the venv's bytes."""
    venv = scratch / (extra or "core")
    target = f"{ROOT}[{extra}]" if extra else str(ROOT)
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run(
        [str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check", target],
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - start, folder_bytes(venv)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--extras", default=",service,dev", help="comma-separated; empty: core")
    extras = parser.parse_args().extras.split(",")
    print("| install | wall s | size |")
    print("|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="tomobench-install-") as scratch:
        for extra in extras:
            seconds, size = install(extra, Path(scratch))
            name = f"`pip install '.[{extra}]'`" if extra else "`pip install .` (core)"
            print(f"| {name} | {seconds:.0f} | {size / 2**20:.0f} MiB |", flush=True)


if __name__ == "__main__":
    main()
