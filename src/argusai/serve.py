"""``argus serve`` and ``argus worker``: the web server, and the worker as a supervised child."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import structlog
import uvicorn

from argusai.runtime import Runtime
from argusai.settings import Settings
from argusai.store.migrate import upgrade

log = structlog.get_logger(__name__)

HOW_TO_CONFIGURE = (
    "set them as environment variables or in a .env file in the working directory, e.g. "
    "ARGUS_GITHUB_APP_ID=123456, ARGUS_GITHUB_PRIVATE_KEY_PATH=/path/to/app.private-key.pem, "
    "ARGUS_GITHUB_WEBHOOK_SECRET=<the secret set on the App's webhook>; see README "
    "'Configuration'"
)


def announce_missing(settings: Settings) -> None:
    """Say in the log what is missing and how to set it."""
    missing = settings.missing_for_webhooks()
    if missing:
        log.warning(
            "webhooks will be answered 503 until configured", missing=missing, how=HOW_TO_CONFIGURE
        )
    llm_missing = settings.missing_for_llm()
    if llm_missing:
        log.warning(
            "no LLM credentials: reviews will fail until set",
            missing=llm_missing,
            provider=settings.llm_provider.value,
        )


def prepare(runtime: Runtime) -> None:
    """Create the data dir and bring the schema up to date (one migrator at a time)."""
    runtime.settings.data_dir.mkdir(parents=True, exist_ok=True)
    upgrade(runtime.db.engine)


class WorkerSupervisor:
    """Runs ``argus worker`` as a child process and restarts it if it dies."""

    def __init__(self, argv: list[str] | None = None) -> None:
        self.argv = argv or [sys.executable, "-m", "argusai", "worker"]
        self.proc: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="worker-supervisor", daemon=True)

    def start(self) -> None:
        """Start the child and the watch loop."""
        self._spawn()
        self._thread.start()

    def _spawn(self) -> None:
        self.proc = subprocess.Popen(self.argv, env=os.environ.copy())  # noqa: S603 - our own argv
        log.info("worker started", pid=self.proc.pid)

    def _loop(self) -> None:
        delay = 1.0
        while not self._stopping.is_set():
            assert self.proc is not None
            code = self.proc.poll()
            if code is not None and not self._stopping.is_set():
                log.error("worker exited; restarting", code=code, delay=delay)
                if self._stopping.wait(delay):
                    return
                self._spawn()
                delay = min(delay * 2, 30.0)
            self._stopping.wait(0.5)

    def stop(self, timeout: float = 30.0) -> None:
        """Ask the child to finish (SIGTERM, graceful) and wait for it."""
        self._stopping.set()
        proc = self.proc
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            log.warning("worker did not stop in time; killing it", pid=proc.pid)
            proc.kill()
            proc.wait()
        log.info("worker stopped", code=proc.returncode)


def run_server(runtime: Runtime, *, host: str, port: int, with_worker: bool) -> None:
    """Serve HTTP until SIGTERM/SIGINT; with the worker child when asked."""
    from argusai.ciapi.guard import flush_repeated
    from argusai.telemetry.process import start_process
    from argusai.web.app import create_app
    from argusai.web.connections import server_config

    start_process(runtime.settings, role="web")  # before the app builds its metrics
    app = create_app(runtime)
    supervisor = WorkerSupervisor() if with_worker else None
    if supervisor:
        supervisor.start()
    server = uvicorn.Server(server_config(app, runtime.settings, host=host, port=port))
    log.info("serving", host=host, port=port, worker=with_worker)
    # uvicorn re-raises the signal it caught once it has shut down; with Python handlers
    # in place that re-raise lands here instead of killing us before the worker is stopped
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda signum, _frame: log.info("signal received", signal=signum))
    try:
        server.run()
    finally:
        if supervisor:
            supervisor.stop()
        flush_repeated(runtime)
        runtime.db.dispose()


def run_worker(runtime: Runtime) -> None:
    """Run the Huey consumer in this process (it owns SIGTERM: graceful stop)."""
    from argusai.app import register_tasks
    from argusai.llm.breaker import shared_breakers
    from argusai.scout.process_kind import warn_if_anonymous
    from argusai.telemetry.exposition import MetricsServer
    from argusai.telemetry.process import start_process
    from argusai.workq.presence import WorkerPresence
    from argusai.workq.queue import Sweeper

    settings = runtime.settings
    start_process(settings, role="worker")  # before any metric is built
    queue = register_tasks(runtime)
    warn_if_anonymous(runtime.settings)  # said once, by the process that does the work
    sweeper = Sweeper(queue, runtime.settings.sweeper_interval_seconds)
    consumer = runtime.huey.create_consumer(
        workers=runtime.settings.worker_threads,
        worker_type="thread",
        periodic=True,
        graceful_signal="TERM",
        shutdown_timeout=30,
        max_delay=1.0,
    )
    log.info("worker consuming", threads=runtime.settings.worker_threads)
    started = time.monotonic()
    sweeper.start()
    # the heartbeat /readyz looks for, with this process's LLM breaker states
    presence = WorkerPresence(
        runtime.db,
        settings.worker_heartbeat_seconds,
        threads=settings.worker_threads,
        breakers=lambda: shared_breakers().states(),
    ).start()
    metrics_server = None
    if settings.worker_metrics_port:
        token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
        metrics_server = MetricsServer(
            settings.worker_metrics_host, settings.worker_metrics_port, token
        )
        log.info("worker metrics served", port=metrics_server.port)
    try:
        consumer.run()
    finally:
        sweeper.stop()
        presence.close()
        if metrics_server is not None:
            metrics_server.close()
    log.info("worker exiting", uptime_s=round(time.monotonic() - started, 1))
