"""Webhook ingest on the embedded default (SQLite database + SQLite Huey queue).

Starts ``argus serve --no-worker`` as a separate process on a temp data dir, then sends
signed ``pull_request`` ``synchronize`` deliveries (~24 KB each, every one a new PR head,
so every one creates a work item and a queue message) at a fixed rate with an open-loop
scheduler: each request leaves at its scheduled time whatever the previous ones are doing,
and its latency is counted from that scheduled time. A baseline of the same number of
``GET /healthz`` at the same rate is measured in the same run. Afterwards the database and
the queue file are opened to check that nothing accepted was lost.

Run:    .venv/bin/python bench/webhook_ingest.py [--count 2000] [--rate 100]
Stress: .venv/bin/python bench/webhook_ingest.py --rate 200
Target: p99 < 25 ms at 100 deliveries/s.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import hashlib
import hmac
import json
import math
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT.parent / "shared" / "fixtures" / "webhooks" / "pull_request" / "synchronize.json"
TARGET_P99_MS = 25.0
TARGET_RATE = 100.0
WARMUP = 20  # requests of each kind before measuring (imports, connection pools, JIT-less caches)
QUEUE_NAME = "argus"  # argusai.workq.huey.QUEUE_NAME


# --------------------------------------------------------------------------- payloads


def base_payload() -> tuple[dict[str, Any], str]:
    """The real synchronize fixture when present, else a synthetic one of similar size."""
    if FIXTURE.is_file():
        payload: dict[str, Any] = json.loads(FIXTURE.read_text())
        return payload, f"fixture {FIXTURE.name}"
    repo = {
        "id": 1296269,
        "name": "hello-world",
        "full_name": "bench/hello-world",
        "private": False,
        "owner": {"login": "bench", "id": 1, "type": "Organization"},
        "default_branch": "main",
        **{f"{k}_url": f"https://api.github.com/repos/bench/hello-world/{k}" for k in _URL_KEYS},
    }
    user = {"login": "octocat", "id": 583231, "type": "User"}
    pr = {
        "number": 1,
        "state": "open",
        "draft": False,
        "title": "Synthetic pull request for the ingest benchmark",
        "body": ("Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 340),
        "user": user,
        "head": {"ref": "feature", "sha": "0" * 40, "repo": repo, "user": user},
        "base": {"ref": "main", "sha": "1" * 40, "repo": repo, "user": user},
        "additions": 10,
        "deletions": 2,
        "changed_files": 1,
    }
    payload = {
        "action": "synchronize",
        "number": 1,
        "before": "2" * 40,
        "after": "0" * 40,
        "pull_request": pr,
        "repository": repo,
        "installation": {"id": 1},
        "sender": user,
    }
    return payload, "synthetic payload (fixture not found)"


_URL_KEYS = (
    "archive", "branches", "comments", "commits", "compare", "contents", "events", "hooks",
    "issues", "labels", "pulls", "releases", "statuses", "tags", "teams", "trees",
)  # fmt: skip


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


def make_deliveries(template: dict[str, Any], n: int, secret: str, start: int) -> list[Delivery]:
    """``n`` signed deliveries, each a new PR number, head SHA and delivery id."""
    out = []
    for i in range(start, start + n):
        payload = copy.deepcopy(template)
        number = 100_000 + i
        sha = hashlib.sha1(f"bench-head-{i}".encode()).hexdigest()
        payload["action"] = "synchronize"
        payload["number"] = number
        payload["after"] = sha
        payload["pull_request"]["number"] = number
        payload["pull_request"]["head"]["sha"] = sha
        payload["pull_request"]["state"] = "open"
        payload["pull_request"]["draft"] = False
        body = json.dumps(payload, separators=(",", ":")).encode()  # GitHub sends compact JSON
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


# --------------------------------------------------------------------------- server


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rsa_private_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def start_server(data_dir: Path, port: int, secret: str, log_path: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ARGUS_")}
    env.update(
        ARGUS_DATA_DIR=str(data_dir),
        ARGUS_GITHUB_APP_ID="123456",
        ARGUS_GITHUB_PRIVATE_KEY=rsa_private_pem(),
        ARGUS_GITHUB_WEBHOOK_SECRET=secret,
        ARGUS_LOG_LEVEL="WARNING",
        ARGUS_LOG_FORMAT="json",
    )
    argv = [sys.executable, "-m", "argusai", "serve", "--no-worker", "--port", str(port)]
    with log_path.open("wb") as log:
        # cwd = the data dir's parent, so no stray .env is read
        return subprocess.Popen(
            argv, env=env, cwd=data_dir.parent, stdout=log, stderr=subprocess.STDOUT
        )


def wait_healthy(base: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before /healthz answered")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"/healthz did not answer within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> int:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    return int(proc.returncode)


def cpu_seconds(pid: int) -> float | None:
    """utime + stime of ``pid`` (Linux /proc), None elsewhere."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- load


@dataclass
class Result:
    name: str
    offered: float
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    max_send_lag_ms: float = 0.0
    wall_s: float = 0.0
    server_cpu_s: float | None = None

    def pct(self, q: float) -> float:
        data = sorted(self.latencies_ms)
        if not data:
            return float("nan")
        rank = max(0, min(len(data) - 1, math.ceil(q / 100 * len(data)) - 1))
        return data[rank]


async def open_loop(
    client: httpx.AsyncClient,
    name: str,
    rate: float,
    requests: list[tuple[str, str, Delivery | None]],
    server_pid: int,
) -> Result:
    """Send ``requests`` at ``rate``/s on a fixed schedule; latency from the scheduled time."""
    res = Result(name, rate)
    loop = asyncio.get_running_loop()
    cpu0 = cpu_seconds(server_pid)

    async def one(method: str, url: str, d: Delivery | None, scheduled: float) -> None:
        lag = (loop.time() - scheduled) * 1000
        res.max_send_lag_ms = max(res.max_send_lag_ms, lag)
        try:
            if d is None:
                r = await client.request(method, url)
            else:
                r = await client.request(method, url, content=d.body, headers=d.headers)
            res.statuses[str(r.status_code)] += 1
        except httpx.HTTPError as exc:
            res.statuses[type(exc).__name__] += 1
        res.latencies_ms.append((loop.time() - scheduled) * 1000)

    start = loop.time() + 0.05
    tasks = []
    for i, (method, url, d) in enumerate(requests):
        scheduled = start + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(method, url, d, scheduled)))
    await asyncio.gather(*tasks)
    res.wall_s = loop.time() - start
    cpu1 = cpu_seconds(server_pid)
    if cpu0 is not None and cpu1 is not None:
        res.server_cpu_s = cpu1 - cpu0
    return res


def report(res: Result, n: int) -> None:
    achieved = n / res.wall_s if res.wall_s else float("nan")
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(res.statuses.items()))
    print(f"\n{res.name}")
    print(
        f"  offered      {res.offered:8.1f} req/s   achieved {achieved:8.1f} req/s "
        f"({n} in {res.wall_s:.2f} s)"
    )
    print(f"  statuses     {statuses}")
    print(
        f"  latency ms   p50 {res.pct(50):7.2f}   p90 {res.pct(90):7.2f}   "
        f"p99 {res.pct(99):7.2f}   max {max(res.latencies_ms):7.2f}"
    )
    print(f"  client       max send lag behind schedule {res.max_send_lag_ms:.2f} ms")
    if res.server_cpu_s is not None:
        print(
            f"  server CPU   {res.server_cpu_s:.2f} s = "
            f"{res.server_cpu_s / n * 1000:.2f} ms/request "
            f"({res.server_cpu_s / res.wall_s * 100:.0f} % of one core)"
        )


def server_ingest_mean_ms(base: str) -> tuple[float, float] | None:
    """(count, mean ms) of the server's own argus_webhook_ingest_seconds histogram."""
    text = httpx.get(f"{base}/metrics", timeout=5).text
    vals: dict[str, float] = {}
    for line in text.splitlines():
        for key in ("argus_webhook_ingest_seconds_sum", "argus_webhook_ingest_seconds_count"):
            if line.startswith(key + " "):
                vals[key] = float(line.split()[1])
    if len(vals) != 2 or not vals["argus_webhook_ingest_seconds_count"]:
        return None
    count = vals["argus_webhook_ingest_seconds_count"]
    return count, vals["argus_webhook_ingest_seconds_sum"] / count * 1000


# --------------------------------------------------------------------------- checks


def count_rows(db: Path, sql: str, params: tuple[Any, ...] = ()) -> int:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return int(conn.execute(sql, params).fetchone()[0])
    finally:
        conn.close()


# --------------------------------------------------------------------------- main


async def run(args: argparse.Namespace, base: str, pid: int, secret: str) -> tuple[Result, Result]:
    template, _ = base_payload()
    warm = make_deliveries(template, WARMUP, secret, start=0)
    measured = make_deliveries(template, args.count, secret, start=WARMUP)
    hook, health = f"{base}/webhooks/github", f"{base}/healthz"
    limits = httpx.Limits(
        max_connections=args.connections, max_keepalive_connections=args.connections
    )
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        for d in warm:
            await client.post(hook, content=d.body, headers=d.headers)
            await client.get(health)
        baseline = await open_loop(
            client, "GET /healthz (baseline)", args.rate, [("GET", health, None)] * args.count, pid
        )
        webhooks = await open_loop(
            client,
            "POST /webhooks/github (pull_request synchronize)",
            args.rate,
            [("POST", hook, d) for d in measured],
            pid,
        )
    return baseline, webhooks


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--count", type=int, default=2000, help="deliveries (and health checks)")
    parser.add_argument("--rate", type=float, default=TARGET_RATE, help="offered requests/s")
    parser.add_argument("--connections", type=int, default=64, help="client connection pool")
    parser.add_argument("--keep", action="store_true", help="keep the temp data dir")
    args = parser.parse_args()

    template, source = base_payload()
    size = len(make_deliveries(template, 1, "x", start=0)[0].body)
    tmp = Path(tempfile.mkdtemp(prefix="argus-bench-ingest-"))
    data_dir = tmp / "data"
    data_dir.mkdir()
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    secret = uuid.uuid4().hex + uuid.uuid4().hex
    log_path = tmp / "server.log"
    print(
        f"payload: {source}, {size:,} bytes compact; "
        f"{args.count} requests of each kind at {args.rate:g}/s"
    )
    print(f"server:  argus serve --no-worker on {base}, data dir {data_dir}")

    proc = start_server(data_dir, port, secret, log_path)
    ok = False
    try:
        wait_healthy(base, proc)
        baseline, webhooks = asyncio.run(run(args, base, proc.pid, secret))
        server_side = server_ingest_mean_ms(base)

        accepted = webhooks.statuses.get("202", 0)
        expected = WARMUP + accepted
        reviews = count_rows(data_dir / "argus.db", "SELECT count(*) FROM reviews")
        queued = count_rows(
            data_dir / "argus.db",
            "SELECT count(*) FROM reviews WHERE status = 'queued' AND dispatched_at IS NOT NULL",
        )
        deliveries = count_rows(data_dir / "argus.db", "SELECT count(*) FROM webhook_deliveries")
        messages = count_rows(
            data_dir / "queue.db", "SELECT count(*) FROM task WHERE queue = ?", (QUEUE_NAME,)
        )

        report(baseline, args.count)
        report(webhooks, args.count)
        if server_side:
            print(
                f"  server-side  mean handler time {server_side[1]:.2f} ms over "
                f"{server_side[0]:.0f} deliveries (argus_webhook_ingest_seconds, warm-up included)"
            )
        ratio = webhooks.pct(99) / baseline.pct(99)
        print(
            f"\np99 webhook / p99 healthz = {webhooks.pct(99):.2f} / "
            f"{baseline.pct(99):.2f} ms = {ratio:.1f}x"
        )

        print(f"\ndurability ({WARMUP} warm-up deliveries included)")
        print(
            f"  202 answers {expected}   webhook_deliveries rows {deliveries}   "
            f"reviews rows {reviews} "
            f"(queued + dispatched {queued})   queue.db task rows {messages}"
        )
        lost = expected - reviews
        all_202 = accepted == args.count
        durable = reviews == expected and messages == expected and deliveries == expected
        print(f"  lost = {lost}; all answers 202: {all_202}; rows and messages match: {durable}")

        met = webhooks.pct(99) < TARGET_P99_MS
        note = (
            ""
            if args.rate <= TARGET_RATE
            else f" (stress run: the target is defined at {TARGET_RATE:g}/s)"
        )
        print(
            f"\ntarget p99 < {TARGET_P99_MS:g} ms at {TARGET_RATE:g}/s: "
            f"p99 {webhooks.pct(99):.2f} ms at {args.rate:g}/s -> "
            f"{'MET' if met else 'MISSED'}{note}"
        )
        ok = all_202 and durable
    finally:
        code = stop_server(proc)
        print(f"server stopped (SIGTERM), exit code {code}")
        log_text = log_path.read_text(errors="replace").strip()
        if log_text and not ok:
            print("server log (tail):\n" + "\n".join(log_text.splitlines()[-20:]))
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
