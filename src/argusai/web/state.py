"""What the web app holds: settings, runtime, the event router, metrics."""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Histogram

from argusai.core.router import Router
from argusai.runtime import Runtime
from argusai.settings import Settings


class Metrics:
    """Prometheus metrics in a registry of the app's own (nothing global)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.deliveries = Counter(
            "argus_webhook_deliveries_total",
            "Webhook deliveries by outcome",
            ["outcome"],
            registry=self.registry,
        )
        self.ingest = Histogram(
            "argus_webhook_ingest_seconds",
            "Time to answer a delivery",
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )

    def observe_delivery(self, outcome: str, seconds: float) -> None:
        """Count one delivery and its latency."""
        self.deliveries.labels(outcome=outcome).inc()
        self.ingest.observe(seconds)


@dataclass
class AppState:
    settings: Settings
    runtime: Runtime
    router: Router
    metrics: Metrics
