"""The metrics every process records, built once per process on first use.

How they reach ``/metrics``:

* ``argus serve`` and ``argus worker`` switch prometheus_client to its multiprocess mode
  (:func:`enable_multiprocess`) before any metric exists: each process writes its values to
  files under ``ARGUS_METRICS_DIR`` (default ``<data dir>/metrics``) and a scrape adds up the
  files of every process of the host — the web process and its worker child alike;
* anywhere else (tests, one-off commands) the values stay in this process's registry.

Nothing is built at import: :func:`telemetry` builds the metrics the first time it is called.
"""

from __future__ import annotations

import os
import re
import socket
import threading
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, values

#: prometheus_client reads this variable (the worker child of ``argus serve`` inherits it)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

RUN_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600)
TIME_TO_DONE_BUCKETS = (1, 2.5, 5, 10, 20, 30, 45, 60, 90, 120, 180, 300, 600, 1800, 3600)
LLM_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 4, 8, 15, 30, 60, 120)


class Completed(Protocol):
    """What an LLM call reports (``argusai.llm.port.Completion``)."""

    @property
    def prompt_tokens(self) -> int: ...

    @property
    def completion_tokens(self) -> int: ...

    @property
    def cost_usd(self) -> float: ...


class Telemetry:
    """The process's metrics (names as the README's Operations section lists them)."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.work_items = Counter(
            "argus_work_items_total",
            "Work items run by a worker, by kind and outcome (done, retry, deferred, failed, "
            "dead, superseded, skipped, lost)",
            ["kind", "outcome"],
            registry=r,
        )
        self.work_seconds = Histogram(
            "argus_work_run_seconds",
            "Time a worker spent on one work item, by kind",
            ["kind"],
            buckets=RUN_BUCKETS,
            registry=r,
        )
        self.time_to_done = Histogram(
            "argus_work_time_to_done_seconds",
            "From the work item recorded (the webhook delivery) to done: time to review, "
            "to a CI explanation, to an analysis",
            ["kind"],
            buckets=TIME_TO_DONE_BUCKETS,
            registry=r,
        )
        self.llm_requests = Counter(
            "argus_llm_requests_total",
            "LLM attempts by provider, model and outcome (ok, rate_limited, unavailable, "
            "circuit_open, error)",
            ["provider", "model", "outcome"],
            registry=r,
        )
        self.llm_seconds = Histogram(
            "argus_llm_request_seconds",
            "Latency of one LLM attempt",
            ["provider", "model"],
            buckets=LLM_BUCKETS,
            registry=r,
        )
        self.llm_tokens = Counter(
            "argus_llm_tokens_total",
            "LLM tokens by provider, model and type (prompt, completion)",
            ["provider", "model", "type"],
            registry=r,
        )
        self.llm_cost = Counter(
            "argus_llm_cost_usd_total",
            "Estimated LLM cost in US dollars",
            ["provider", "model"],
            registry=r,
        )
        self.limiter_waits = Counter(
            "argus_limiter_waits_total",
            "Permits refused by a rate limiter (the caller waits or is deferred)",
            ["limiter"],
            registry=r,
        )
        self.limiter_wait_seconds = Counter(
            "argus_limiter_wait_seconds_total",
            "Seconds of waiting the rate limiters asked for",
            ["limiter"],
            registry=r,
        )
        self.github_remaining = Gauge(
            "argus_github_rate_limit_remaining",
            "GitHub API requests left in the window, per installation (last response seen)",
            ["installation"],
            multiprocess_mode="mostrecent",
            registry=r,
        )
        self.retention_rows = Counter(
            "argus_retention_rows_total",
            "Rows deleted (or raw LLM answers cleared) by the retention cleanup, by kind",
            ["kind"],
            registry=r,
        )
        self.retention_last_run = Gauge(
            "argus_retention_last_run_timestamp_seconds",
            "When the retention cleanup last finished (Unix time)",
            multiprocess_mode="max",
            registry=r,
        )

    def observe_work(
        self, kind: str, outcome: str, seconds: float, time_to_done: float | None = None
    ) -> None:
        """Count one run of a work item; its run time and, once done, its time to done."""
        self.work_items.labels(kind, outcome).inc()
        if outcome != "skipped":
            self.work_seconds.labels(kind).observe(max(seconds, 0.0))
        if time_to_done is not None:
            self.time_to_done.labels(kind).observe(max(time_to_done, 0.0))

    def observe_llm(
        self,
        provider: str,
        model: str,
        outcome: str,
        seconds: float | None,
        completion: Completed | None = None,
    ) -> None:
        """Count one LLM attempt (latency unless it never left: an open breaker)."""
        self.llm_requests.labels(provider, model, outcome).inc()
        if seconds is not None:
            self.llm_seconds.labels(provider, model).observe(seconds)
        if completion is not None:
            self.llm_tokens.labels(provider, model, "prompt").inc(completion.prompt_tokens)
            self.llm_tokens.labels(provider, model, "completion").inc(completion.completion_tokens)
            self.llm_cost.labels(provider, model).inc(max(completion.cost_usd, 0.0))

    def limiter_wait(self, limiter: str, seconds: float) -> None:
        """A limiter refused a permit for ``seconds``."""
        self.limiter_waits.labels(limiter).inc()
        self.limiter_wait_seconds.labels(limiter).inc(max(seconds, 0.0))

    def github_rate_limit(self, installation_id: int, remaining: float) -> None:
        """The ``x-ratelimit-remaining`` of the last GitHub response for an installation."""
        self.github_remaining.labels(str(installation_id)).set(remaining)

    def pruned(self, kind: str, rows: int) -> None:
        """Retention removed ``rows`` rows of ``kind``."""
        if rows:
            self.retention_rows.labels(kind).inc(rows)


_telemetry: Telemetry | None = None
_lock = threading.Lock()


def telemetry() -> Telemetry:
    """This process's metrics, built on first use."""
    global _telemetry
    with _lock:
        if _telemetry is None:
            _telemetry = Telemetry()
        return _telemetry


def _host() -> str:
    """This host's name as a file-name part (no ``_``: prometheus_client splits on it)."""
    name = re.sub(r"[^A-Za-z0-9.-]", "-", socket.gethostname())[:40]
    return name or "host"


def process_identifier() -> str:
    """``<host>-<pid>``: unique across containers that share one metrics folder (each has its
    own pid 1) and after a fork (prometheus_client resets a child's values when it changes)."""
    return f"{_host()}-{os.getpid()}"


def _is_ours(value_class: Any) -> bool:
    return getattr(value_class, "_argus_identifier", False) is True


def multiprocess_dir() -> Path | None:
    """The metrics folder when this process writes its metrics to files, else None."""
    path = os.environ.get(MULTIPROC_ENV)
    if path and _is_ours(values.ValueClass):
        return Path(path)
    return None


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: alive
        return True
    return True


def forget_dead_processes(path: Path) -> int:
    """Remove the files of this host's processes that are gone (a restarted ``argus serve``
    and worker); other hosts' files are theirs. How many were removed."""
    host, removed = _host(), 0
    for file in path.glob("*.db"):
        owner = file.stem.rsplit("_", 1)[-1]
        owner_host, _, pid = owner.rpartition("-")
        if owner_host == host and pid.isdigit() and not _alive(int(pid)):
            file.unlink(missing_ok=True)
            removed += 1
    return removed


def enable_multiprocess(path: Path) -> None:
    """Write this process's metrics to files under ``path``, which every process of the
    deployment that shares the folder adds up when scraped (see the module's docstring).

    Must come before the first metric is built; files of this host's dead processes go.
    """
    if _telemetry is not None and not _is_ours(values.ValueClass):
        raise RuntimeError("metrics were built before multiprocess mode was switched on")
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    forget_dead_processes(path)
    os.environ[MULTIPROC_ENV] = str(path)
    if not _is_ours(values.ValueClass):
        # prometheus_client picks its value class once, at import; ours names the files
        # <host>-<pid> so containers sharing a volume never write to one file
        make = values.MultiProcessValue  # unannotated in prometheus_client
        value_class = make(process_identifier=process_identifier)  # type: ignore[no-untyped-call]
        value_class._argus_identifier = True
        values.ValueClass = value_class


#: (kind, row or None, outcome, seconds) → None: what the work queue reports of each run
WorkObserver = Callable[[str, Any, str, float], None]


def work_observer(time_to_done: Collection[str]) -> WorkObserver:
    """The work queue's observer: counts runs; for the kinds in ``time_to_done`` (their rows'
    ``created_at`` is when the work was asked for) also the time from then to done."""

    def observe(kind: str, row: Any, outcome: str, seconds: float) -> None:
        waited = None
        created = getattr(row, "created_at", None) if kind in time_to_done else None
        if outcome == "done" and isinstance(created, datetime):
            if created.tzinfo is None:
                created = created.replace(tzinfo=UTC)
            waited = (datetime.now(UTC) - created).total_seconds()
        telemetry().observe_work(kind, outcome, seconds, waited)

    return observe
