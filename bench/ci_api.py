"""The analysis API: sync analyses/s with a fake LLM of fixed latency; async latency to callback.

Serves the real app with uvicorn on 127.0.0.1 (temp SQLite database and queue), one
enterprise tenant (no rate limit) and a FakeLLMServer answering after ``--latency``
seconds. Measures, closed-loop with ``--concurrency`` clients:

* baseline: ``GET /healthz`` requests/s;
* sync: ``POST /v1/analyses`` with a ~2 KB log (reduce + LLM + rows + audit + usage);
* async: ``POST`` of a ~200 KB log (202) → in-process worker threads (Huey dequeue +
  execute, as ``argus worker``) → signed callback received on 127.0.0.1: latency from
  the POST to the callback.

Run: .venv/bin/python bench/ci_api.py [--latency 0.2] [--concurrency 16] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import uvicorn

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.fakes.fake_llm import FakeLLMServer  # noqa: E402
from tests.support import make_runtime, worker_queue  # noqa: E402

from argusai.ciapi import apikeys, tenants  # noqa: E402
from argusai.llm.breaker import BreakerRegistry  # noqa: E402
from argusai.llm.factory import build_llm  # noqa: E402
from argusai.settings import Settings  # noqa: E402
from argusai.web.app import create_app  # noqa: E402

ANSWER = {
    "root_cause": "test_total fails: assert 3 == 4",
    "failing_step": "Run pytest -q",
    "evidence": ["E   assert 3 == 4"],
    "suggested_fix": "Include shipping in Cart.total().",
    "confidence": "high",
}
TAIL = "tests/test_cart.py F\nE   assert 3 == 4\n##[error]Process completed with exit code 1.\n"


def log_of(size: int) -> str:
    """A log of about ``size`` bytes with the failure at the end."""
    lines = [f"2024-05-01T10:00:{i % 60:02d}Z collecting item {i} ok" for i in range(size // 40)]
    return "Run pytest -q\n" + "\n".join(lines) + "\n" + TAIL


class Callbacks:
    """A receiver on 127.0.0.1 noting when each analysis's callback arrived."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import json

                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.arrived[json.loads(body)["analysis"]["id"]] = time.perf_counter()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/cb"


async def closed_loop(
    client: httpx.AsyncClient, seconds: float, workers: int, send: Any
) -> tuple[int, list[float]]:
    """Run ``send`` from ``workers`` tasks for ``seconds``; (count, latencies)."""
    stop = time.perf_counter() + seconds
    latencies: list[float] = []

    async def worker() -> None:
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            await send(client)
            latencies.append(time.perf_counter() - t0)

    await asyncio.gather(*(worker() for _ in range(workers)))
    return len(latencies), latencies


def pct(values: list[float], q: float) -> float:
    """The q-quantile in milliseconds."""
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


async def main_async(args: argparse.Namespace) -> None:
    """Run the three measurements and print them."""
    tmp = Path(tempfile.mkdtemp(prefix="argus-bench-api-"))
    fake = FakeLLMServer(responder=lambda _req: ANSWER, latency=args.latency)
    fake.start()
    callbacks = Callbacks()
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        data_dir=tmp,
        log_level="WARNING",
        llm_provider="openai-compatible",
        llm_base_url=fake.openai_base_url,
        ci_callback_allowlist=("127.0.0.1",),
        secret_key="bench-secret",
        # one tenant's sync throughput is measured: with the default slots (2 per tenant)
        # the other clients' analyses would be queued (202) instead of answered
        ci_sync_max_concurrency=max(4, args.concurrency),
        ci_sync_max_per_tenant=max(4, args.concurrency),
    )
    from argusai.logs import configure_logging

    configure_logging(settings)
    rt = make_runtime(settings, llm=lambda: build_llm(settings, breakers=BreakerRegistry()))
    tenants.create_tenant(rt.db, settings, "bench", "enterprise")
    key = apikeys.create_key(rt.db, "bench").key
    worker_queue(rt)  # every task declared, as `argus worker` does
    app = create_app(rt)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    stop_workers = threading.Event()

    def work() -> None:
        while not stop_workers.is_set():
            task = rt.huey.dequeue()
            if task is None:
                time.sleep(0.005)
                continue
            rt.huey.execute(task)

    small, big = log_of(2_000), log_of(200_000)
    headers = {"X-API-Key": key}
    limits = httpx.Limits(max_connections=args.concurrency * 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def healthz(c: httpx.AsyncClient) -> None:
            (await c.get("/healthz")).raise_for_status()

        async def sync(c: httpx.AsyncClient) -> None:
            r = await c.post("/v1/analyses", json={"logs": small}, headers=headers)
            assert r.status_code == 200, r.text

        await closed_loop(client, 1.0, 4, sync)  # warm-up
        n_h, lat_h = await closed_loop(client, args.seconds, args.concurrency, healthz)
        n_s, lat_s = await closed_loop(client, args.seconds, args.concurrency, sync)

        threads = [threading.Thread(target=work, daemon=True) for _ in range(args.workers)]
        for t in threads:
            t.start()
        sent: dict[str, float] = {}
        for _ in range(args.async_count):
            t0 = time.perf_counter()
            body = {"logs": big, "callback_url": callbacks.url}
            r = await client.post("/v1/analyses", json=body, headers=headers)
            assert r.status_code == 202, r.text
            sent[r.json()["id"]] = t0
            await asyncio.sleep(args.async_gap)
        deadline = time.perf_counter() + 60
        while len(callbacks.arrived) < len(sent) and time.perf_counter() < deadline:
            await asyncio.sleep(0.02)
    stop_workers.set()
    server.should_exit = True
    await serving
    fake.stop()
    callbacks.server.shutdown()
    async_lat = [callbacks.arrived[i] - t0 for i, t0 in sent.items() if i in callbacks.arrived]
    print(
        f"fake LLM latency {args.latency * 1000:.0f} ms, {args.concurrency} clients, "
        f"{args.seconds:.0f} s each, SQLite"
    )
    print(f"{'measure':<34}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}")
    print(
        f"{'GET /healthz (baseline)':<34}{n_h / args.seconds:>9.1f}"
        f"{pct(lat_h, 0.5):>9.1f}{pct(lat_h, 0.99):>9.1f}"
    )
    print(
        f"{'POST /v1/analyses sync (2 KB)':<34}{n_s / args.seconds:>9.1f}"
        f"{pct(lat_s, 0.5):>9.1f}{pct(lat_s, 0.99):>9.1f}"
    )
    print(
        f"ceiling with {args.concurrency} clients at {args.latency * 1000:.0f} ms LLM: "
        f"{args.concurrency / args.latency:.1f}/s"
        if args.latency
        else ""
    )
    print(
        f"async 200 KB → callback ({len(async_lat)}/{len(sent)} received, "
        f"{args.workers} worker threads): p50 {pct(async_lat, 0.5):.0f} ms, "
        f"p99 {pct(async_lat, 0.99):.0f} ms, "
        f"mean {1000 * statistics.fmean(async_lat or [0]):.0f} ms"
    )


def main() -> None:
    """Parse arguments and run."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--async-count", type=int, default=40)
    parser.add_argument("--async-gap", type=float, default=0.1)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
