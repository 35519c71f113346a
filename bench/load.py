"""Load: webhook deliveries → reviews posted, end to end through real ``argus`` processes.

Two deployments, one after the other, in one run:

* ``sqlite``: ``argus serve`` (embedded: web + supervised worker child) on a temp data dir
  (SQLite database, SQLite Huey queue);
* ``scaled``: 2 × ``argus serve --no-worker`` (deliveries sent round-robin) + 2 ×
  ``argus worker`` on a fresh PostgreSQL database (created here, dropped at the end) and a
  Redis database number (flushed before and after).

GitHub is a FakeGitHub and the LLM a FakeLLMServer of fixed latency, both in this process
on 127.0.0.1. PRs are spread over ``--repos`` repositories, each its own installation, so
per-installation limits do not set the pace. Deliveries are real ``pull_request``
``synchronize`` payloads (``../shared`` fixture, ~24 KB, or a synthetic one), each a new
PR, sent open-loop at ``--rate`` (as ``bench/webhook_ingest.py``); then the bench waits
until every accepted PR has its review (or ``--drain-timeout``), and a little longer for
duplicates to show.

Printed per deployment: deliveries accepted, reviews completed, ingest p50/p99 (and a
``GET /healthz`` baseline at the same rate, same run), reviews/minute (completed reviews
over the time from the first delivery to the last review), lost (= accepted − PRs with
exactly one review), duplicated (= reviews beyond one per PR).

Run:  .venv/bin/python bench/load.py [--count 2000] [--rate 200] [--llm-latency 1.0]
      [--threads 8] [--only sqlite|scaled]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import hashlib
import hmac
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path[:0] = [str(ROOT), str(BENCH)]

from tests.fakes.fake_github import FakeGitHub  # noqa: E402
from tests.fakes.fake_llm import FakeLLMServer  # noqa: E402
from tests.fakes.keys import generate_rsa_keypair  # noqa: E402

from webhook_ingest import (  # noqa: E402
    Delivery,
    Result,
    base_payload,
    free_port,
    open_loop,
)

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
OWNER = "bench"
APP_ID = 4711
PATCH = "@@ -1,1 +1,2 @@\n x = 1\n+y = eval(x)"
FINDING = {
    "path": "a.py",
    "line": 2,
    "start_line": None,
    "severity": "high",
    "category": "security",
    "title": "eval of input",
    "message": "eval runs arbitrary code; parse the value instead.",
    "suggestion": None,
}


def repo_of(i: int, repos: int) -> tuple[str, int]:
    """(repository name, installation id) of the ``i``-th PR."""
    k = i % repos
    return f"repo{k}", 1000 + k


def sha_of(i: int) -> str:
    return hashlib.sha1(f"load-head-{i}".encode()).hexdigest()


# --------------------------------------------------------------------------- fakes


@dataclass
class Fakes:
    gh: FakeGitHub
    llm: FakeLLMServer
    private_pem: str
    repos: int

    def add_prs(self, numbers: range) -> None:
        for i in numbers:
            name, _ = repo_of(i, self.repos)
            self.gh.add_pull(OWNER, name, i, files={"a.py": PATCH}, head_sha=sha_of(i))

    def review_counts(self) -> dict[int, int]:
        """PR number → reviews posted (read under the fake's lock, cheap)."""
        out: dict[int, int] = {}
        with self.gh.lock:
            for k in range(self.repos):
                repo = self.gh.repo(OWNER, f"repo{k}")
                for number, reviews in repo.reviews.items():
                    out[number] = len(reviews)
        return out

    def summary_counts(self) -> dict[int, int]:
        out: dict[int, int] = {}
        for k in range(self.repos):
            name = f"repo{k}"
            with self.gh.lock:
                numbers = list(self.gh.repo(OWNER, name).pulls)
            for n in numbers:
                out[n] = len(self.gh.issue_comments(OWNER, name, n))
        return out


@contextlib.contextmanager
def fakes(
    repos: int, llm_latency: float, responder: Callable[[dict[str, Any]], Any] | None = None
) -> Iterator[Fakes]:
    private_pem, public_pem = generate_rsa_keypair()
    with (
        FakeGitHub(app_id=APP_ID, public_key_pem=public_pem) as gh,
        FakeLLMServer(latency=llm_latency) as llm,
    ):
        for k in range(repos):
            gh.add_repo(OWNER, f"repo{k}", installation_id=1000 + k)
        llm.responder = responder or (
            lambda _req: {"summary": "One risky call.", "findings": [FINDING]}
        )
        yield Fakes(gh, llm, private_pem, repos)


# --------------------------------------------------------------------------- deliveries


def make_deliveries(secret: str, numbers: range, repos: int) -> list[Delivery]:
    template, _ = base_payload()
    out = []
    for i in numbers:
        payload = copy.deepcopy(template)
        name, installation = repo_of(i, repos)
        sha = sha_of(i)
        payload["action"] = "synchronize"
        payload["number"] = i
        payload["after"] = sha
        payload["installation"] = {"id": installation}
        payload["repository"]["full_name"] = f"{OWNER}/{name}"
        payload["repository"]["name"] = name
        pr = payload["pull_request"]
        pr.update(number=i, state="open", draft=False)
        pr["head"]["sha"] = sha
        body = json.dumps(payload, separators=(",", ":")).encode()
        digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {
            "X-GitHub-Event": "pull_request",
            "X-GitHub-Delivery": str(uuid.uuid4()),
            "X-Hub-Signature-256": f"sha256={digest}",
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/bench",
        }
        out.append(Delivery(headers, body))
    return out


# --------------------------------------------------------------------------- processes


@dataclass
class Cluster:
    """The argus processes of one deployment; all killed by :meth:`close`."""

    tmp: Path
    env: dict[str, str]
    webs: list[subprocess.Popen[bytes]] = field(default_factory=list)
    workers: list[subprocess.Popen[bytes]] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    _all: list[subprocess.Popen[bytes]] = field(default_factory=list)
    _n: int = 0

    def _spawn(self, *args: str) -> subprocess.Popen[bytes]:
        full = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
        full.update(self.env)
        self._n += 1
        log = (self.tmp / f"{args[0]}-{self._n}.log").open("wb")
        with log:
            proc = subprocess.Popen(
                [sys.executable, "-m", "argusai", *args],
                env=full,
                cwd=self.tmp,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._all.append(proc)
        return proc

    def web(self, *, embedded_worker: bool) -> None:
        port = free_port()
        flag = [] if embedded_worker else ["--no-worker"]
        self.webs.append(self._spawn("serve", *flag, "--port", str(port)))
        self.urls.append(f"http://127.0.0.1:{port}")

    def worker(self) -> subprocess.Popen[bytes]:
        proc = self._spawn("worker")
        self.workers.append(proc)
        return proc

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        for url, proc in zip(self.urls, self.webs, strict=True):
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"web exited with {proc.returncode}: see {self.tmp}")
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{url}/healthz did not answer")
                time.sleep(0.2)
        # workers log at WARNING here (no "consuming" line): give them the time to import
        # and connect, and check that they are still alive
        time.sleep(5.0 if self.workers else 2.0)  # the embedded worker child starts late too
        for proc in self.workers:
            if proc.poll() is not None:
                raise RuntimeError(f"worker exited with {proc.returncode}: see {self.tmp}")

    def close(self) -> None:
        for proc in self._all:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self._all:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        # the embedded worker is a child of serve: SIGTERM to serve stops it too


def base_env(f: Fakes, secret: str, data_dir: Path, threads: int) -> dict[str, str]:
    return {
        "ARGUS_DATA_DIR": str(data_dir),
        "ARGUS_LOG_FORMAT": "json",
        "ARGUS_LOG_LEVEL": "WARNING",
        "ARGUS_GITHUB_APP_ID": str(APP_ID),
        "ARGUS_GITHUB_PRIVATE_KEY": f.private_pem,
        "ARGUS_GITHUB_WEBHOOK_SECRET": secret,
        "ARGUS_GITHUB_API_URL": f.gh.base_url,
        "ARGUS_LLM_PROVIDER": "openai-compatible",
        "ARGUS_LLM_BASE_URL": f.llm.openai_base_url,
        "ARGUS_LLM_API_KEY": "sk-bench",
        "ARGUS_WORKER_THREADS": str(threads),
        "ARGUS_JOB_RETRY_DELAY_SECONDS": "1",
        # all deliveries come from one installation: its review limit (10/min) and the
        # per-repo webhook limit would pace the run; this measures the pipeline itself
        "ARGUS_REVIEWS_PER_MINUTE_PER_INSTALLATION": "0",
        "ARGUS_WEBHOOKS_PER_MINUTE_PER_REPO": "0",
        "ARGUS_GITHUB_WRITES_PER_MINUTE": "0",
        "ARGUS_GITHUB_WRITES_PER_HOUR": "0",
    }


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    import psycopg

    name = f"argus_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def redis_database() -> Iterator[str]:
    """A Redis database claimed for this run alone (never one a test run is using)."""
    from tests.redis_claim import claimed_database

    with claimed_database() as db:
        yield f"redis://127.0.0.1:6379/{db}"


@contextlib.contextmanager
def deployment(
    kind: str, f: Fakes, secret: str, args: argparse.Namespace, extra: dict[str, str] | None = None
) -> Iterator[Cluster]:
    """Start the processes of ``kind`` (``sqlite`` / ``scaled``); stop them and clean up."""
    tmp = Path(tempfile.mkdtemp(prefix=f"argus-bench-{kind}-"))
    env = base_env(f, secret, tmp / "data", args.threads) | (extra or {})
    with contextlib.ExitStack() as stack:
        if kind == "scaled":
            env["ARGUS_DATABASE_URL"] = stack.enter_context(postgres_database())
            env["ARGUS_QUEUE_URL"] = stack.enter_context(redis_database())
        cluster = Cluster(tmp, env)
        stack.callback(shutil.rmtree, tmp, True)
        stack.callback(cluster.close)
        if kind == "sqlite":
            cluster.web(embedded_worker=True)
        else:
            cluster.web(embedded_worker=False)  # first: it migrates the fresh database
            cluster.wait_ready()
            cluster.web(embedded_worker=False)
            cluster.worker()
            cluster.worker()
        cluster.wait_ready()
        yield cluster


# --------------------------------------------------------------------------- measuring


@dataclass
class Figures:
    name: str
    sent: int
    accepted: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    ingest: Result | None = None
    baseline: Result | None = None
    completed: int = 0
    lost: int = 0
    duplicated: int = 0
    summaries_dup: int = 0
    per_minute: float = 0.0
    drain_s: float = 0.0
    notes: list[str] = field(default_factory=list)


async def _send(
    urls: list[str], deliveries: list[Delivery], rate: float, pid: int
) -> tuple[Result, Result]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(limits=limits, timeout=60.0) as client:
        for url in urls:  # warm the connection pools and the app
            await client.get(f"{url}/healthz")
        health = [("GET", f"{urls[i % len(urls)]}/healthz", None) for i in range(len(deliveries))]
        baseline = await open_loop(client, "GET /healthz (baseline)", rate, health, pid)  # type: ignore[arg-type]
        hooks = [
            ("POST", f"{urls[i % len(urls)]}/webhooks/github", d) for i, d in enumerate(deliveries)
        ]
        ingest = await open_loop(client, "POST /webhooks/github", rate, hooks, pid)  # type: ignore[arg-type]
    return baseline, ingest


def run_load(
    name: str,
    cluster: Cluster,
    f: Fakes,
    secret: str,
    args: argparse.Namespace,
    numbers: range,
) -> Figures:
    """Send the deliveries, wait for the reviews, count."""
    deliveries = make_deliveries(secret, numbers, f.repos)
    fig = Figures(name, len(deliveries))
    started = time.monotonic()
    fig.baseline, fig.ingest = asyncio.run(
        _send(cluster.urls, deliveries, args.rate, cluster.webs[0].pid)
    )
    fig.statuses = dict(fig.ingest.statuses)
    fig.accepted = fig.ingest.statuses.get("202", 0)

    # drain: until every PR has a review, or the timeout; then wait for duplicates to show
    timeout = args.drain_timeout or (
        60 + 3 * len(deliveries) * args.llm_latency / max(1, args.threads * args.workers)
    )
    first_send = started + fig.baseline.wall_s
    last_completion = time.monotonic()
    done = 0
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        counts = f.review_counts()
        now_done = sum(1 for n in numbers if counts.get(n))
        if now_done != done:
            done, last_completion = now_done, time.monotonic()
        if done >= fig.accepted:
            break
        time.sleep(0.5)
    fig.drain_s = time.monotonic() - first_send
    time.sleep(args.settle)
    counts = f.review_counts()
    summaries = f.summary_counts()
    fig.completed = sum(1 for n in numbers if counts.get(n))
    exactly_one = sum(1 for n in numbers if counts.get(n) == 1)
    fig.lost = fig.accepted - exactly_one
    fig.duplicated = sum(max(0, counts.get(n, 0) - 1) for n in numbers)
    fig.summaries_dup = sum(max(0, summaries.get(n, 0) - 1) for n in numbers)
    span = last_completion - first_send
    fig.per_minute = fig.completed / span * 60 if span > 0 else float("nan")
    return fig


def print_table(figs: list[Figures], args: argparse.Namespace) -> None:
    cols = [
        ("deployment", lambda g: g.name),
        ("sent", lambda g: f"{g.sent:,}"),
        ("accepted (202)", lambda g: f"{g.accepted:,}"),
        ("reviews completed", lambda g: f"{g.completed:,}"),
        ("healthz p99 ms", lambda g: f"{g.baseline.pct(99):,.1f}" if g.baseline else "-"),
        ("ingest p50 ms", lambda g: f"{g.ingest.pct(50):,.1f}" if g.ingest else "-"),
        ("ingest p99 ms", lambda g: f"{g.ingest.pct(99):,.1f}" if g.ingest else "-"),
        ("achieved /s", lambda g: f"{g.sent / g.ingest.wall_s:,.1f}" if g.ingest else "-"),
        ("reviews/min", lambda g: f"{g.per_minute:,.0f}"),
        ("lost", lambda g: str(g.lost)),
        ("duplicated", lambda g: str(g.duplicated)),
    ]
    print(
        f"\n{args.count:,} deliveries at {args.rate:g}/s, LLM latency {args.llm_latency:g} s, "
        f"{args.threads} worker threads per worker process\n"
    )
    print("| " + " | ".join(c[0] for c in cols) + " |")
    print("|" + "---|" * len(cols))
    for g in figs:
        print("| " + " | ".join(c[1](g) for c in cols) + " |")
    for g in figs:
        other = {k: v for k, v in g.statuses.items() if k != "202"}
        extra = [f"answers other than 202: {other}"] if other else []
        extra.append(f"drain {g.drain_s:.0f} s after the first delivery")
        if g.summaries_dup:
            extra.append(f"duplicated summary comments: {g.summaries_dup}")
        print(f"  {g.name}: " + "; ".join(extra + g.notes))


def add_common_options(parser: argparse.ArgumentParser, count: int) -> None:
    parser.add_argument("--count", type=int, default=count, help="deliveries per deployment")
    parser.add_argument("--rate", type=float, default=200.0, help="deliveries per second")
    parser.add_argument("--llm-latency", type=float, default=1.0, help="fake LLM latency, s")
    parser.add_argument("--threads", type=int, default=8, help="ARGUS_WORKER_THREADS")
    parser.add_argument("--repos", type=int, default=200, help="repositories (installations)")
    parser.add_argument("--drain-timeout", type=float, default=0.0, help="0: from the load")
    parser.add_argument("--settle", type=float, default=5.0, help="wait for duplicates, s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    add_common_options(parser, 2000)
    parser.add_argument("--only", choices=["sqlite", "scaled"], help="run one deployment")
    args = parser.parse_args()
    kinds = [args.only] if args.only else ["sqlite", "scaled"]
    secret = uuid.uuid4().hex
    figs: list[Figures] = []
    with fakes(args.repos, args.llm_latency) as f:
        for offset, kind in enumerate(kinds):
            numbers = range(1 + offset * args.count, 1 + (offset + 1) * args.count)
            f.add_prs(numbers)
            args.workers = 1 if kind == "sqlite" else 2
            label = (
                "sqlite: argus serve (embedded)"
                if kind == "sqlite"
                else "scaled: 2 web + 2 workers, PostgreSQL + Redis"
            )
            print(f"running {label} …", flush=True)
            with deployment(kind, f, secret, args) as cluster:
                figs.append(run_load(label, cluster, f, secret, args, numbers))
            print_table(figs[-1:], args)
    print_table(figs, args)
    return 0 if all(g.lost == 0 and g.duplicated == 0 for g in figs) else 1


if __name__ == "__main__":
    sys.exit(main())
