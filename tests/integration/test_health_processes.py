"""Metrics and readiness across real processes: ``argus serve`` with its worker child, and a
standalone ``argus worker`` with its own metrics port.

The web process and the worker write their metrics to files in the data dir's metrics
folder; one scrape of the web's ``/metrics`` must show what each of them recorded.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from argusai.web.signature import sign
from tests.conftest import shared_path
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer
from tests.fakes.keys import generate_rsa_keypair
from tests.support import WEBHOOK_SECRET
from tests.support.processes import ArgusProcesses, free_port, seed_opened_pull, until

TOKEN = "process-metrics-token-0123"
BEARER = {"Authorization": f"Bearer {TOKEN}"}

Start = Callable[[list[str], dict[str, str]], subprocess.Popen[bytes]]


def _value(text: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return float(sample.value)
    return 0.0


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    procs = ArgusProcesses(tmp_path)
    yield procs.start
    procs.close()


def _heartbeats(data: Path) -> int:
    with sqlite3.connect(data / "argus.db") as conn:
        return int(conn.execute("SELECT count(*) FROM worker_heartbeats").fetchone()[0])


def test_one_scrape_shows_the_web_and_its_worker(start: Start, tmp_path: Path) -> None:
    shared_path("fixtures", "webhooks")
    private_pem, public_pem = generate_rsa_keypair()
    with FakeGitHub(app_id=77, public_key_pem=public_pem) as gh, FakeLLMServer() as llm:
        payload = seed_opened_pull(gh)
        llm.responder = lambda _req: {"summary": "s", "findings": []}
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        proc = start(
            ["serve", "--port", str(port)],
            {
                "ARGUS_GITHUB_APP_ID": "77",
                "ARGUS_GITHUB_PRIVATE_KEY": private_pem,
                "ARGUS_GITHUB_WEBHOOK_SECRET": WEBHOOK_SECRET,
                "ARGUS_GITHUB_API_URL": gh.base_url,
                "ARGUS_LLM_PROVIDER": "openai-compatible",
                "ARGUS_LLM_BASE_URL": llm.openai_base_url,
                "ARGUS_LLM_API_KEY": "sk-proc-test",
                "ARGUS_LLM_MODEL": "model-x",
                "ARGUS_METRICS_TOKEN": TOKEN,
                "ARGUS_WORKER_HEARTBEAT_SECONDS": "1",
                "ARGUS_WORKER_STALE_SECONDS": "5",
            },
        )
        # ready once the worker child has written its first heartbeat
        until(lambda: httpx.get(url + "/readyz", timeout=2).status_code == 200, "readiness")
        assert httpx.get(url + "/metrics").status_code == 401
        body = json.dumps(payload).encode()
        answer = httpx.post(
            url + "/webhooks/github",
            content=body,
            headers={
                "X-GitHub-Event": "pull_request",
                "X-GitHub-Delivery": "metrics-1",
                "X-Hub-Signature-256": sign(WEBHOOK_SECRET, body),
            },
        )
        assert answer.status_code == 202
        until(lambda: bool(gh.issue_comments("Codertocat", "Hello-World", 2)), "the review")

        def scraped() -> str:
            response = httpx.get(url + "/metrics", headers=BEARER, timeout=5)
            assert response.status_code == 200
            return response.text

        until(
            lambda: _value(scraped(), "argus_work_items_total", kind="review", outcome="done") == 1,
            "the worker's metrics",
            timeout=10,
        )
        text = scraped()
        # written by the web process
        assert _value(text, "argus_webhook_deliveries_total", outcome="queued") == 1
        # written by the worker child
        llm_labels = {"provider": "openai-compatible", "model": "model-x"}
        assert _value(text, "argus_llm_requests_total", outcome="ok", **llm_labels) >= 1
        assert _value(text, "argus_work_time_to_done_seconds_count", kind="review") == 1
        assert _value(text, "argus_github_rate_limit_remaining", installation="1") > 0
        # read from the database at scrape time
        assert _value(text, "argus_workers_alive") == 1
        assert _value(text, "argus_queue_depth", kind="review", state="queued") == 0
        files = list((tmp_path / "data" / "metrics").glob("*.db"))
        assert {f.stem.rsplit("-", 1)[-1] for f in files} >= {str(proc.pid)}
        assert len({f.stem.rsplit("-", 1)[-1] for f in files}) == 2  # the web and its worker
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=40) == 0
    assert _heartbeats(tmp_path / "data") == 0  # the worker stopped cleanly: not alive


def test_a_standalone_worker_serves_its_own_metrics(start: Start, tmp_path: Path) -> None:
    port = free_port()
    worker = start(
        ["worker"],
        {
            "ARGUS_WORKER_METRICS_PORT": str(port),
            "ARGUS_METRICS_TOKEN": TOKEN,
            "ARGUS_WORKER_HEARTBEAT_SECONDS": "1",
            "ARGUS_WORKER_STALE_SECONDS": "5",
        },
    )
    url = f"http://127.0.0.1:{port}/metrics"
    until(lambda: httpx.get(url, timeout=2).status_code == 401, "the worker's metrics port")
    assert httpx.get(url, headers={"Authorization": "Bearer wrong"}).status_code == 401
    served = httpx.get(url, headers=BEARER)
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/plain")
    assert httpx.get(url.replace("/metrics", "/other"), headers=BEARER).status_code == 404
    assert _heartbeats(tmp_path / "data") == 1
    worker.send_signal(signal.SIGTERM)
    assert worker.wait(timeout=40) == 0
    assert _heartbeats(tmp_path / "data") == 0
