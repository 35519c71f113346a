"""What ``argus serve`` and ``argus worker`` switch on when they start: metrics files, Sentry."""

from __future__ import annotations

from pathlib import Path

import structlog

from argusai.settings import Settings
from argusai.telemetry.metrics import enable_multiprocess
from argusai.telemetry.sentry import init_sentry

log = structlog.get_logger(__name__)


def metrics_folder(settings: Settings) -> Path:
    """Where this deployment's processes keep their metrics (``ARGUS_METRICS_DIR``)."""
    return settings.metrics_dir or settings.data_dir / "metrics"


def start_process(settings: Settings, *, role: str) -> None:
    """Metrics to the shared folder and, when a DSN is set, errors to Sentry."""
    enable_multiprocess(metrics_folder(settings))
    if init_sentry(settings, role=role):
        log.info("sentry error tracking on", process=role)
