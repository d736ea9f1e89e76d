"""`tomobench serve` end to end on the embedded default, driven by `tomobench submit`."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from app.cli.serve import serve
from app.cli.submit import submit
from tests.app.support import stop_process_group, wait_until

ADMIN_LINE = re.compile(r"created admin account 'admin' with password '([^']+)'")


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _healthy(url: str, served: subprocess.Popen[bytes], log: Path) -> bool:
    if served.poll() is not None:
        raise AssertionError(f"serve exited early:\n{log.read_text()}")
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextmanager
def serving(data_dir: Path) -> Iterator[Served]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TOMOBENCH_")}
    log = data_dir.parent / f"serve-{port}.log"
    command = [
        sys.executable,
        "-m",
        "app.cli",
        "serve",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _healthy(url, process, log), 120, "tomobench serve to be healthy")
        yield Served(url, process, log)
    finally:
        stop_process_group(process, grace=30)


def _worker_pids(serve_pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(serve_pid)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _perfect_submission(data_dir: Path, out: Path) -> Path:
    """Every particle of the demo's hidden test tomogram, with its class."""
    tomograms = sorted((data_dir / "datasets" / "v1").glob("model_*"))
    lines = (tomograms[-1] / "particle_locations.txt").read_text().splitlines()
    out.write_text("\n".join(" ".join(line.split()[:4]) for line in lines) + "\n")
    return out


def test_serve_runs_everything_and_submit_waits_for_scores(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with serving(data_dir) as served:
        announced = f"tomobench is running at {served.url}"
        wait_until(lambda: announced in served.log.read_text(), 10, "the URL to be printed")
        printed = served.log.read_text()
        assert f"admin pages at {served.url}/admin" in printed
        assert "baselines: PyTorch found; a worker serves the gpu queue" in printed
        match = ADMIN_LINE.search(printed)
        assert match is not None
        password = match.group(1)
        assert password not in (data_dir / "tomobench.sqlite").read_bytes().decode("latin-1")

        token = httpx.post(f"{served.url}/api/v1/tokens", auth=("admin", password)).json()["token"]
        picks = _perfect_submission(data_dir, tmp_path / "picks.txt")
        runner = CliRunner()
        api_url = f"{served.url}/api/v1/"  # the API's address works as well as the site's
        waited = runner.invoke(
            submit, [str(picks), "--url", api_url, "--token", token, "--wait", "--timeout", "60"]
        )
        assert waited.exit_code == 0, waited.output
        assert "scored" in waited.output
        assert "f1=1.0000" in waited.output  # 4 decimals, as the report
        assert f"report: {served.url}/submissions/" in waited.output
        elsewhere = runner.invoke(
            submit, [str(picks), "--url", f"{served.url}/datasets", "--token", token]
        )
        assert elsewhere.exit_code == 1
        assert "the address of a tomobench site" in elsewhere.output
        assert "FP=0" in waited.output

        board = httpx.get(f"{served.url}/api/v1/leaderboard").json()
        assert board["dataset_version"]["name"] == "demo"
        assert [row["f1"] for row in board["rows"]] == [1.0]

        bad = runner.invoke(submit, [str(picks), "--url", served.url, "--token", "tb_wrong"])
        assert bad.exit_code == 1
        assert "401: invalid or revoked token" in bad.output
        garbage = tmp_path / "garbage.txt"
        garbage.write_text("1bxn 1 2 3\nnot-a-class 1 2 3\n")
        refused = runner.invoke(submit, [str(garbage), "--url", served.url, "--token", token])
        assert refused.exit_code == 1
        assert "422: file: line 2: unknown class 'not-a-class'" in refused.output

        for path in (
            "/static/../datasets/v1/model_2/particle_locations.txt",
            "/static/%2e%2e/datasets/v1/dataset.json",
            "/datasets/v1/dataset.json",
            "/data/tomobench.sqlite",
            "/static/../../data/tomobench.sqlite",
        ):
            assert httpx.get(f"{served.url}{path}").status_code == 404, path

        workers = _worker_pids(served.process.pid)
        assert workers, "serve started no worker child"
        os.killpg(served.process.pid, signal.SIGTERM)
        assert served.process.wait(30) is not None
        wait_until(lambda: all(_gone(pid) for pid in workers), 30, "the worker to stop")

    # a second start reuses everything: no new admin password, no new demo dataset
    with serving(data_dir) as again:
        printed = again.log.read_text()
        assert ADMIN_LINE.search(printed) is None
        assert "tomobench users reset-password admin" in printed  # how to get back in
        assert "generated the demo dataset" not in printed
        workers = _worker_pids(again.process.pid)
        again.process.kill()  # even a SIGKILLed serve takes its worker down with it
        again.process.wait()
        wait_until(lambda: all(_gone(pid) for pid in workers), 30, "the orphaned worker to stop")


def test_submit_reports_an_unreachable_service(tmp_path: Path) -> None:
    picks = tmp_path / "p.txt"
    picks.write_text("1bxn 1 2 3\n")
    url = f"http://127.0.0.1:{_free_port()}"
    result = CliRunner().invoke(submit, [str(picks), "--url", url, "--token", "tb_x"])
    assert result.exit_code == 1
    assert f"cannot reach {url}" in result.output


def test_serve_refuses_the_default_secret_key_in_production(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        serve, ["--data-dir", str(tmp_path)], env={"TOMOBENCH_ENV": "production"}
    )
    assert result.exit_code == 1
    assert "TOMOBENCH_SECRET_KEY must be set" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("queues", ["", "evaluation,cpu"])
def test_worker_refuses_unknown_queues(queues: str) -> None:
    from app.cli.worker import worker

    result = CliRunner().invoke(worker, ["--queues", queues])
    assert result.exit_code == 2
    assert "queue" in result.output
