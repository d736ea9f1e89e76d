"""Service benchmark: concurrent clients upload SHREC-size submissions to the PostgreSQL +
Redis deployment on this machine; prints upload -> scored latency and scored submissions/s.

    .venv/bin/python benchmarks/service.py [--clients 20] [--rate 20] [--duration 30]

Setup (not timed): a SHREC-size dataset from the simulator (512 x 512 x 512, slab 200,
2,500 particles; cached in --dataset-dir), a fresh database, `tomobench serve --no-worker`
and `tomobench worker --concurrency 2` as separate processes. Each client thread is its
own participant. Warm-up rounds of concurrent uploads on new connections (printed, not
measured) run until every web and worker process has loaded the hidden test. Phase 1 offers
--rate uploads per second, spread over --clients threads, for --duration seconds; phase 2
sends --burst uploads as fast as the clients can. Latencies come from the database's
`finished_at` minus the moment the client started sending (one clock: one machine).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings, settings_env  # noqa: E402
from app.db import session_factory  # noqa: E402
from app.migrate import upgrade_database  # noqa: E402
from app.models import Submission, SubmissionStatus  # noqa: E402
from app.services.datasets import complete_dataset_version, create_dataset_version  # noqa: E402
from app.services.tokens import create_token  # noqa: E402
from app.services.users import register_user  # noqa: E402
from tests.app.support import stop_process_group, wait_until  # noqa: E402
from tests.conftest import postgres_database, redis_prefix  # noqa: E402

LINES = 5000
# a warm-up round is over when its slowest upload is scored within this many seconds
WARM_S = 1.0
WARM_UP_ROUNDS = 10


def shrec_dataset(folder: Path) -> Path:
    """A SHREC-size simulated dataset (generated once, then reused)."""
    if not (folder / "dataset.json").exists():
        from simulation import SimulationParameters, simulate_dataset

        print(f"simulating a SHREC-size dataset into {folder} (once) ...", flush=True)
        params = SimulationParameters(size=512, slab=200, particles=2500, tomograms=2, seed=19)
        simulate_dataset(folder, params)
    return folder


def submissions(folder: Path, variants: int) -> list[bytes]:
    """`variants` different 5,000-line files: noisy picks of every particle, then background."""
    rows = [
        line.split()
        for line in (folder / "model_1" / "particle_locations.txt").read_text().splitlines()
    ]
    rng = np.random.default_rng(0)
    files = []
    for _ in range(variants):
        lines = [
            f"{r[0]} {float(r[1]) + rng.normal(0, 2):.2f} {float(r[2]) + rng.normal(0, 2):.2f} "
            f"{float(r[3]) + rng.normal(0, 2):.2f}"
            for r in rows
        ]
        while len(lines) < LINES:
            x, y, z = rng.uniform(0, 511), rng.uniform(0, 511), rng.uniform(156, 355)
            lines.append(f"1bxn {x:.2f} {y:.2f} {z:.2f}")
        files.append(("\n".join(lines[:LINES]) + "\n").encode())
    return files


def prepare(settings: Settings, dataset: Path, participants: int) -> list[str]:
    """Migrate, register the dataset, create the participants; their API tokens."""
    upgrade_database(settings.sqlalchemy_url)
    factory = session_factory(settings.sqlalchemy_url)
    with factory() as db:
        version = create_dataset_version(db, name="shrec-size", parameters={}, seed=19)
        settings.datasets_dir.mkdir(parents=True, exist_ok=True)
        (settings.datasets_dir / version.path).symlink_to(dataset)
        complete_dataset_version(db, settings, version, activate=True)
        tokens = []
        for number in range(participants):
            name = f"bench{number}"
            user = register_user(db, name, f"{name}@example.org", "benchmark password")
            tokens.append(create_token(db, user)[1])
        db.commit()
    return tokens


def start(command: list[str], settings: Settings, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, **settings_env(settings)}
    with log.open("wb") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "app.cli", *command],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )


class Load:
    """Upload files from many threads, one participant per thread, remembering when each
    upload began."""

    def __init__(
        self, url: str, tokens: list[str], files: list[bytes], cpu: Callable[[], list[float]]
    ) -> None:
        self.url, self.files, self.cpu = url, files, cpu
        self.cpu_at_start = cpu()
        self.tokens = iter(tokens)
        self.sent: dict[int, float] = {}
        self.upload_seconds: list[float] = []
        self.refused = 0
        self.lock = threading.Lock()
        self.local = threading.local()

    def upload(self, index: int, *, fresh: bool = False) -> None:
        """Upload one file as the thread's participant, on the thread's connection (a new
        one with `fresh`)."""
        client = None if fresh else getattr(self.local, "client", None)
        if client is None:
            if not hasattr(self.local, "token"):
                with self.lock:
                    self.local.token = next(self.tokens)
            headers = {"Authorization": f"Bearer {self.local.token}"}
            client = httpx.Client(base_url=self.url, headers=headers, timeout=60)
            if not fresh:
                self.local.client = client
        began = time.time()
        response = client.post(
            "/api/v1/submissions",
            data={"method": f"m{index % 7}"},
            files={"file": ("picks.txt", self.files[index % len(self.files)], "text/plain")},
        )
        if fresh:
            client.close()
        with self.lock:
            if response.status_code == 201:
                self.sent[response.json()["id"]] = began
                self.upload_seconds.append(time.time() - began)
            else:
                self.refused += 1

    def paced(self, clients: int, rate: float, duration: float) -> None:
        """Offer `rate` uploads/s in total for `duration` s."""
        count = int(rate * duration)
        start_at = time.time() + 0.5

        def one(index: int) -> None:
            time.sleep(max(0.0, start_at + index / rate - time.time()))
            self.upload(index)

        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(one, range(count)))

    def burst(self, clients: int, count: int, *, fresh: bool = False) -> None:
        """`count` uploads as fast as `clients` threads can send them (each on a new
        connection with `fresh`, so that they spread over the web processes)."""
        with ThreadPoolExecutor(clients) as pool:
            list(pool.map(lambda index: self.upload(index, fresh=fresh), range(count)))


def process_cpu_seconds(group_ids: list[int]) -> list[float]:
    """CPU time (user + system) used so far by the live processes of each process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    totals = dict.fromkeys(group_ids, 0)
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended meanwhile
        group = int(fields[2])  # fields: state ppid pgrp ... utime(11) stime(12)
        if group in totals:
            totals[group] += int(fields[11]) + int(fields[12])
    return [totals[group] / ticks for group in group_ids]


def _quantile(values: list[float], q: float) -> float:
    return values[min(len(values) - 1, int(q * len(values)))]


def report(title: str, load: Load, settings: Settings, timeout: float) -> float:
    """Wait for every accepted upload to finish; print latency, throughput and the CPU time
    the web and worker processes spent per scored submission. Returns the longest upload ->
    scored latency (infinite when none was scored)."""
    factory = session_factory(settings.sqlalchemy_url)
    ids = list(load.sent)
    finished = (SubmissionStatus.SCORED, SubmissionStatus.FAILED)

    def all_finished() -> bool:
        with factory() as db:
            query = select(func.count()).where(
                Submission.id.in_(ids), Submission.status.in_(finished)
            )
            return db.scalar(query) == len(ids)

    try:
        wait_until(all_finished, timeout, "every submission to finish")
    except AssertionError as error:
        print(f"  {error}")
    with factory() as db:
        query = select(Submission.id, Submission.status, Submission.finished_at)
        rows = db.execute(query.where(Submission.id.in_(ids))).all()
    scored = {row.id: row.finished_at for row in rows if row.status == SubmissionStatus.SCORED}
    failed = sum(row.status == SubmissionStatus.FAILED for row in rows)
    lost = len(ids) - len(scored) - failed  # accepted, yet neither scored nor failed
    latencies = sorted(scored[i].timestamp() - load.sent[i] for i in scored)
    if not latencies:
        print(f"{title}\n  nothing scored ({failed} failed, {load.refused} refused)")
        return float("inf")
    span = max(scored.values()).timestamp() - min(load.sent.values())
    print(title)
    print(
        f"  accepted {len(ids)}, refused {load.refused}, scored {len(scored)}, "
        f"failed {failed}, lost {lost}"
    )
    print(f"  upload request p50 {statistics.median(load.upload_seconds):.3f} s")
    print(
        f"  upload -> scored p50 {_quantile(latencies, 0.5):.3f} s, "
        f"p99 {_quantile(latencies, 0.99):.3f} s, max {latencies[-1]:.3f} s"
    )
    print(
        f"  scored per second {len(scored) / span:.1f} (first upload to last score: {span:.1f} s)"
    )
    web, worker = (
        (now - before) / max(len(scored), 1)
        for now, before in zip(load.cpu(), load.cpu_at_start, strict=True)
    )
    per_submission = web + worker
    print(
        f"  web + worker CPU per scored submission {per_submission * 1000:.0f} ms "
        f"(web {web * 1000:.0f} ms, worker {worker * 1000:.0f} ms; "
        f"2 idle cores would score about {2 / per_submission:.0f}/s)",
        flush=True,
    )
    return float(latencies[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--rate", type=float, default=20.0, help="offered uploads/s, phase 1")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds of phase 1")
    parser.add_argument("--burst", type=int, default=400, help="uploads in phase 2")
    parser.add_argument("--worker-concurrency", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--dataset-dir", type=Path, default=Path("/tmp/tomobench-bench-dataset"))
    parser.add_argument("--port", type=int, default=8931)
    args = parser.parse_args()

    dataset = shrec_dataset(args.dataset_dir)
    files = submissions(dataset, 20)
    with ExitStack() as stack:
        data_dir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        settings = Settings(
            data_dir=data_dir,
            database_url=stack.enter_context(postgres_database()),
            broker_url="redis://127.0.0.1:6379/0",
            redis_key_prefix=stack.enter_context(redis_prefix()),
            daily_quota=1_000_000,
        )
        # a warm-up round's uploads all run at once, each thread its own participant
        warm = 4 * max(args.web_workers, args.worker_concurrency)
        tokens = prepare(settings, dataset, max(args.clients, warm))
        web_command = ["serve", "--no-worker", "--port", str(args.port)]
        web_command += ["--web-workers", str(args.web_workers)]
        web = start(web_command, settings, data_dir / "web.log")
        stack.callback(stop_process_group, web)
        worker = start(
            ["worker", "-Q", "evaluation", "-c", str(args.worker_concurrency)],
            settings,
            data_dir / "worker.log",
        )
        stack.callback(stop_process_group, worker)
        url = f"http://127.0.0.1:{args.port}"
        wait_until(lambda: _ready(url), 120, "the service to be healthy")

        def cpu() -> list[float]:  # web, worker
            return process_cpu_seconds([web.pid, worker.pid])

        def phase(title: str, send: Callable[[Load], None], timeout: float) -> float:
            load = Load(url, tokens, files, cpu)
            send(load)
            return report(title, load, settings, timeout)

        # Each web and worker process loads the hidden test on its first upload (about 1 s
        # of CPU, seconds of waiting): warm them all before measuring, with rounds of
        # concurrent uploads on new connections until a whole round is scored promptly.
        for round_ in range(1, WARM_UP_ROUNDS + 1):
            slowest = phase(
                f"warm-up, round {round_}", lambda load: load.burst(warm, warm, fresh=True), 120
            )
            if slowest < WARM_S:
                break
        else:
            print(f"  (still slower than {WARM_S:g} s after {WARM_UP_ROUNDS} warm-up rounds)")
        if args.rate > 0 and args.duration > 0:
            title = (
                f"{args.clients} clients offering {args.rate:g} uploads/s for {args.duration:g} s"
            )
            phase(title, lambda load: load.paced(args.clients, args.rate, args.duration), 300)
        if args.burst > 0:
            title = f"{args.clients} clients sending {args.burst} uploads at once"
            phase(title, lambda load: load.burst(args.clients, args.burst), 600)


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


if __name__ == "__main__":
    main()
