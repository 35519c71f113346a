"""Ask GitHub to redeliver webhook deliveries that failed (GitHub never retries them itself).

Every run lists the App's recent deliveries (``GET /app/hook/deliveries``, newest first,
following the ``Link`` cursor pages up to ``limit``) and asks GitHub to redeliver
(``POST /app/hook/deliveries/{id}/attempts``) each failed event once: a delivery that
failed, is inside GitHub's 3-day redelivery window, whose event (``guid``) never
succeeded in a later attempt, and that we have not asked for before. What was asked for
is a row in ``redelivery_requests``; the row is written *before* asking, so two workers
running the periodic task at the same time cannot both ask (the primary key decides),
and removed again when GitHub refuses, so the next run tries again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

import structlog
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from argusai.errors import ArgusError
from argusai.github.parse import HookDelivery
from argusai.store.db import Database
from argusai.store.models import RedeliveryRequest, utcnow

log = structlog.get_logger(__name__)

#: GitHub only redelivers deliveries from the past three days.
REDELIVERY_WINDOW = timedelta(days=3)
#: requests older than this can no longer matter (their deliveries left the window)
KEEP_REQUESTS = REDELIVERY_WINDOW + timedelta(days=1)
DEFAULT_SCAN_LIMIT = 1000


class DeliveryLog(Protocol):
    """The two App-level calls this job needs (``GitHubApp`` implements them)."""

    def list_hook_deliveries(self, *, limit: int = 100) -> list[HookDelivery]: ...

    def redeliver(self, delivery_id: int) -> None: ...


@dataclass
class RedeliveryReport:
    """What one run saw and did (ids of deliveries)."""

    listed: int = 0
    failed: int = 0
    requested: list[int] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    too_old: list[int] = field(default_factory=list)
    recovered: list[int] = field(default_factory=list)  # a later attempt succeeded
    already_requested: list[int] = field(default_factory=list)


def delivery_failed(delivery: HookDelivery) -> bool:
    """GitHub got no answer (status 0) or an error status from us."""
    return delivery.status_code == 0 or delivery.status_code >= 400


def delivered_at(delivery: HookDelivery) -> datetime | None:
    """When GitHub sent the delivery (aware, UTC); None when GitHub's value is unreadable."""
    try:
        when = datetime.fromisoformat(delivery.delivered_at.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def candidates(
    deliveries: list[HookDelivery], requested_guids: set[str], now: datetime
) -> tuple[list[HookDelivery], RedeliveryReport]:
    """The failed deliveries to ask for, newest attempt of each event only (pure)."""
    report = RedeliveryReport(listed=len(deliveries))
    succeeded = {d.guid for d in deliveries if not delivery_failed(d)}
    chosen: dict[str, HookDelivery] = {}
    for delivery in deliveries:
        if not delivery_failed(delivery):
            continue
        report.failed += 1
        when = delivered_at(delivery)
        if when is None or now - when >= REDELIVERY_WINDOW:
            report.too_old.append(delivery.id)
        elif delivery.guid in succeeded:
            report.recovered.append(delivery.id)
        elif delivery.guid in requested_guids:
            report.already_requested.append(delivery.id)
        elif delivery.guid not in chosen or delivery.id > chosen[delivery.guid].id:
            # several failed attempts of one event: ask once, for the newest
            chosen[delivery.guid] = delivery
    return sorted(chosen.values(), key=lambda d: d.id), report


def redeliver_failed(
    db: Database,
    github: DeliveryLog,
    *,
    limit: int = DEFAULT_SCAN_LIMIT,
    now: datetime | None = None,
) -> RedeliveryReport:
    """Ask GitHub once for each failed delivery still in its window; returns what happened.

    Raises what listing the deliveries raises (a ``GitHubError`` family error); a refused
    redelivery is logged and left for the next run.
    """
    now = now or utcnow()
    deliveries = github.list_hook_deliveries(limit=limit)
    with db.session() as s:
        old = RedeliveryRequest.requested_at < now - KEEP_REQUESTS
        s.execute(delete(RedeliveryRequest).where(old))
        requested = set(s.scalars(select(RedeliveryRequest.guid)))
    todo, report = candidates(deliveries, requested, now)
    for delivery in todo:
        if not _claim(db, delivery, now):
            report.already_requested.append(delivery.id)
            continue
        try:
            github.redeliver(delivery.id)
        except ArgusError as exc:
            _release(db, delivery.id)
            report.errors.append(delivery.id)
            log.warning(
                "redelivery refused; will try again next run",
                github_delivery_id=delivery.id,
                delivery_id=delivery.guid,
                error=type(exc).__name__,
                status=getattr(exc, "status", None),
            )
            continue
        report.requested.append(delivery.id)
        log.info(
            "asked GitHub to redeliver a failed delivery",
            github_delivery_id=delivery.id,
            delivery_id=delivery.guid,
            github_event=delivery.event,
            status_code=delivery.status_code,
            installation_id=delivery.installation_id,
        )
    if report.requested or report.errors:
        log.info(
            "redelivery run",
            listed=report.listed,
            failed=report.failed,
            requested=len(report.requested),
            errors=len(report.errors),
        )
    return report


def _claim(db: Database, delivery: HookDelivery, now: datetime) -> bool:
    """Record the request before making it; False when another worker recorded it first."""
    try:
        with db.session() as s:
            s.add(RedeliveryRequest(delivery_id=delivery.id, guid=delivery.guid, requested_at=now))
    except IntegrityError:
        return False
    return True


def _release(db: Database, delivery_id: int) -> None:
    with db.session() as s:
        s.execute(delete(RedeliveryRequest).where(RedeliveryRequest.delivery_id == delivery_id))
