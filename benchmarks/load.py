"""Load benchmark: a mix of leaderboard pages, report pages, API reads and uploads at rising
rates against the PostgreSQL + Redis deployment (uvicorn with 2 processes, 2 workers).

    .venv/bin/python benchmarks/load.py [--rates 5,10,20,40] [--seconds 15] [--max-minutes 8]

Open loop, loopback only: each level offers `rate` requests per second for `--seconds`
(bounded: rate x seconds requests), from a pool of client threads; a latency is measured
from the moment the request was due, so a server falling behind shows in it. After each
level every accepted upload must be scored (waited for up to 60 s). A level passes when
page p99 < 2 s, nothing failed, and every accepted upload was scored; the run stops at the
first level that does not pass, or when --max-minutes is spent.
"""

from __future__ import annotations

import argparse
import random
import sys
import threading
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from tempfile import TemporaryDirectory

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.core.config import Settings  # noqa: E402
from app.migrate import upgrade_database  # noqa: E402
from app.queues.celery_app import create_celery_app  # noqa: E402
from tests.app.support import GOOD_SUBMISSION, install_dataset, new_user, running_worker  # noqa: E402
from tests.conftest import REDIS_URL, postgres_database, redis_prefix  # noqa: E402
from tests.reliability.servers import web_server  # noqa: E402
from tests.reliability.support import post_upload, scoring_state  # noqa: E402
from workers.tasks.evaluation import score_submission  # noqa: E402

# (share of requests, kind): pages are HTML, reads are JSON, uploads are multipart POSTs
MIX = ((0.35, "page"), (0.15, "report"), (0.35, "read"), (0.15, "upload"))
PAGE_P99_LIMIT_S = 2.0
USERS = 20


def deployment(stack: ExitStack, folder: Path) -> tuple[Settings, str, list[dict[str, str]]]:
    """A migrated PostgreSQL + Redis deployment with a dataset, served and worked on."""
    settings = Settings(
        data_dir=folder,
        database_url=stack.enter_context(postgres_database()),
        broker_url=REDIS_URL,
        redis_key_prefix=stack.enter_context(redis_prefix()),
        daily_quota=100_000,
    )
    upgrade_database(settings.sqlalchemy_url)
    install_dataset(settings)
    users = [new_user(settings) for _ in range(USERS)]
    stack.enter_context(running_worker(settings, beat=True))
    stack.enter_context(running_worker(settings))
    server = stack.enter_context(web_server(settings, workers=2))
    return settings, server.url, users


class Level:
    """The requests of one load level and what came of them."""

    def __init__(self, url: str, users: list[dict[str, str]], reports: list[tuple[int, int]]):
        self.url, self.users, self.reports = url, users, reports
        self.latencies: dict[str, list[float]] = defaultdict(list)
        self.errors: list[str] = []
        self.accepted: list[int] = []
        self.lock = threading.Lock()
        self.local = threading.local()

    def _client(self) -> httpx.Client:
        if not hasattr(self.local, "client"):
            self.local.client = httpx.Client(base_url=self.url, timeout=30)
        client: httpx.Client = self.local.client
        return client

    def one(self, kind: str, due: float, rng: random.Random) -> None:
        """Wait until `due`, send one request of `kind`, record its latency or its error."""
        time.sleep(max(0.0, due - time.perf_counter()))
        http, user = self._client(), rng.choice(self.users)
        owner, submission = rng.choice(self.reports)
        try:
            if kind == "page":
                response = http.get(rng.choice(["/leaderboard", "/", "/datasets"]))
            elif kind == "report":
                response = http.get(f"/api/v1/submissions/{submission}", headers=self.users[owner])
            elif kind == "read":
                response = http.get(rng.choice(["/api/v1/leaderboard", "/api/v1/submissions"]),
                                    headers=user)  # fmt: skip
            else:
                response = post_upload(http, user, GOOD_SUBMISSION)
        except httpx.HTTPError as error:
            with self.lock:
                self.errors.append(f"{kind}: {type(error).__name__}")
            return
        with self.lock:
            self.latencies[kind].append(time.perf_counter() - due)
            if response.status_code >= 400:
                self.errors.append(f"{kind}: HTTP {response.status_code}")
            elif kind == "upload":
                self.accepted.append(response.json()["id"])

    def run(self, rate: float, seconds: float, seed: int) -> None:
        """Offer `rate` requests per second for `seconds`."""
        rng = random.Random(seed)
        kinds = [kind for _, kind in MIX]
        weights = [share for share, _ in MIX]
        start = time.perf_counter() + 0.5
        with ThreadPoolExecutor(max_workers=min(256, int(rate * 4) + 8)) as pool:
            for n in range(int(rate * seconds)):
                kind = rng.choices(kinds, weights)[0]
                pool.submit(self.one, kind, start + n / rate, random.Random(rng.random()))


def p(values: list[float], q: float) -> float:
    """The q-th percentile in seconds (nan when there are none)."""
    return float(np.percentile(values, q)) if values else float("nan")


def drained(settings: Settings, ids: list[int], timeout: float) -> tuple[bool, float]:
    """Whether every submission of `ids` got scored within `timeout`, and how long it took."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        state = scoring_state(settings)
        if all(state[sid][0] == "scored" and state[sid][2] == 1 for sid in ids):
            return True, time.monotonic() - started
        time.sleep(0.5)
    return False, timeout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="5,10,20,40,60")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--max-minutes", type=float, default=8)
    args = parser.parse_args()
    deadline = time.monotonic() + args.max_minutes * 60
    with ExitStack() as stack:
        folder = Path(stack.enter_context(TemporaryDirectory(prefix="tomobench-load-")))
        settings, url, users = deployment(stack, folder / "data")

        celery = create_celery_app(settings)
        with httpx.Client(base_url=url, timeout=30) as http:
            reports = []
            for owner in range(USERS):
                sid = post_upload(http, users[owner]).json()["id"]
                celery.tasks[score_submission.name].apply(args=[sid])
                reports.append((owner, sid))
        print("| offered req/s | achieved req/s | page p50 / p99 (s) | report p99 | API p99 | "
              "upload p99 | errors | uploads scored (drain s) | verdict |")  # fmt: skip
        print("|---|---|---|---|---|---|---|---|---|")
        best = None
        for rate in (float(r) for r in args.rates.split(",")):
            if time.monotonic() + args.seconds + 60 > deadline:
                print(f"(stopped before {rate:g} req/s: --max-minutes spent)")
                break
            level = Level(url, users, reports)
            started = time.perf_counter()
            level.run(rate, args.seconds, seed=int(rate))
            took = time.perf_counter() - started
            scored, drain = drained(settings, level.accepted, 60)
            done = sum(len(v) for v in level.latencies.values())
            page = level.latencies["page"]
            passed = scored and not level.errors and p(page, 99) < PAGE_P99_LIMIT_S
            print(
                f"| {rate:g} | {done / took:.1f} | {p(page, 50):.3f} / {p(page, 99):.3f} | "
                f"{p(level.latencies['report'], 99):.3f} | {p(level.latencies['read'], 99):.3f} | "
                f"{p(level.latencies['upload'], 99):.3f} | {len(level.errors)} | "
                f"{len(level.accepted)} {'all' if scored else 'NOT all'} ({drain:.1f}) | "
                f"{'pass' if passed else 'FAIL'} |",
                flush=True,
            )
            if level.errors:
                print(f"  errors: {sorted(set(level.errors))[:5]}")
            if not passed:
                break
            best = rate
        print(f"highest passing rate: {best} req/s")


if __name__ == "__main__":
    main()
