"""What the cleanup may remove: each kind of data, how old it must be, what never goes.

One :class:`Rule` per kind of data. A rule only ever matches finished things: work items
whose status is done, failed or superseded (never queued or running, whatever their age;
an analysis whose callback is still pending is not finished either), crawl runs that ended.
The daily rollups (``review_metrics``), the scout catalogue, installations, tenants, API keys,
suppressions and finding outcomes have no rule: they are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, null, or_, select

from argusai.ci.models import CIRun
from argusai.ciapi.models import AuditLog, Organization
from argusai.cilog.models import Analysis
from argusai.notify.models import Notification
from argusai.review.conversation.models import PRCommand
from argusai.scout.models import ScoutRun
from argusai.settings import Settings
from argusai.store.audit import AuditEntry
from argusai.store.heartbeats import WorkerHeartbeat
from argusai.store.models import DeadLetter, RedeliveryRequest, Review, WebhookDelivery
from argusai.workq.table import PROCESSING_WORDS, QUEUE_WORDS, Vocabulary

#: GitHub keeps a failed delivery redeliverable for 3 days; we asked once each
REDELIVERY_DAYS = 7
#: a worker gone for a day is history (``/readyz`` only looks at the last minute)
HEARTBEAT_DAYS = 1


def _finished(status: Any, words: Vocabulary) -> ColumnElement[bool]:
    """Any status but queued or running (done, failed, superseded, and what a kind adds,
    such as a review handed to GitHub Actions): never an item in flight."""
    finished: ColumnElement[bool] = status.not_in(words.active)
    return finished


@dataclass(frozen=True)
class Rule:
    """One kind of data: rows of ``model`` older than ``days`` (by ``age``) matching ``where``.

    ``clear``: instead of deleting the rows, set these columns (the raw LLM answer kept on a
    review). ``files``: a column holding a file path to remove with the row (scout run logs).
    """

    kind: str
    model: Any
    key: Any
    age: Any
    days: int
    what: str
    where: Callable[[], ColumnElement[bool]] | None = None
    clear: dict[str, Any] = field(default_factory=dict)
    files: Any = None

    def condition(self, cutoff: Any) -> ColumnElement[bool]:
        """Everything a row must satisfy to go (checked again by every DELETE/UPDATE)."""
        expired: ColumnElement[bool] = self.age < cutoff
        return and_(expired, self.where()) if self.where is not None else expired


def _tenant_tier(tier: str) -> Callable[[], ColumnElement[bool]]:
    def where() -> ColumnElement[bool]:
        tenants = select(Organization.id).where(Organization.subscription_tier == tier)
        return and_(
            Analysis.tenant_id.in_(tenants),
            _finished(Analysis.status, PROCESSING_WORDS),
            # a result waiting to be called back is not finished with
            or_(Analysis.callback_status.is_(None), Analysis.callback_status != "pending"),
        )

    return where


def rules(settings: Settings) -> list[Rule]:
    """Every kind of data with a time to live, in the order they are pruned."""
    found = [
        Rule(
            "webhook_deliveries",
            WebhookDelivery,
            WebhookDelivery.delivery_id,
            WebhookDelivery.received_at,
            settings.retention_deliveries_days,
            "webhook deliveries recorded (the duplicate check's memory)",
        ),
        Rule(
            "review_llm_answers",
            Review,
            Review.id,
            Review.created_at,
            settings.retention_llm_answers_days,
            "the raw LLM answer kept on a finished review (the review cache)",
            where=lambda: and_(
                _finished(Review.status, QUEUE_WORDS),
                or_(Review.result.is_not(None), Review.cache_key.is_not(None)),
            ),
            # SQL NULL: a plain None would be stored as the JSON value null
            clear={"result": null(), "cache_key": None},
        ),
        Rule(
            "reviews",
            Review,
            Review.id,
            Review.created_at,
            settings.retention_reviews_days,
            "finished reviews, with their findings",
            where=lambda: _finished(Review.status, QUEUE_WORDS),
        ),
        Rule(
            "commands",
            PRCommand,
            PRCommand.id,
            PRCommand.created_at,
            settings.retention_commands_days,
            "finished PR commands and questions",
            where=lambda: _finished(PRCommand.status, QUEUE_WORDS),
        ),
        Rule(
            "notifications",
            Notification,
            Notification.id,
            Notification.created_at,
            settings.retention_notifications_days,
            "notifications sent or given up, with their events",
            where=lambda: _finished(Notification.status, QUEUE_WORDS),
        ),
        Rule(
            "ci_runs",
            CIRun,
            CIRun.id,
            CIRun.created_at,
            settings.retention_ci_runs_days,
            "finished CI explanations, with their jobs' analyses",
            where=lambda: _finished(CIRun.status, QUEUE_WORDS),
        ),
    ]
    tiers = sorted(settings.retention_analyses_days.items(), key=lambda pair: (pair[1], pair[0]))
    for tier, days in tiers:
        found.append(
            Rule(
                f"analyses:{tier}",
                Analysis,
                Analysis.id,
                Analysis.created_at,
                days,
                f"finished API analyses of {tier}-tier tenants",
                where=_tenant_tier(tier),
            )
        )
    found += [
        Rule(
            "api_audit",
            AuditLog,
            AuditLog.id,
            AuditLog.created_at,
            settings.retention_audit_days,
            "the analysis API's request trail",
        ),
        Rule(
            "operator_audit",
            AuditEntry,
            AuditEntry.id,
            AuditEntry.created_at,
            settings.retention_audit_days,
            "operators' actions (argus stats audit)",
        ),
        Rule(
            "scout_runs",
            ScoutRun,
            ScoutRun.id,
            ScoutRun.started_at,
            settings.retention_scout_runs_days,
            "finished crawl runs and their JSONL logs",
            where=lambda: ScoutRun.outcome != "running",
            files=ScoutRun.log_path,
        ),
        Rule(
            "dead_letters",
            DeadLetter,
            DeadLetter.id,
            DeadLetter.created_at,
            settings.retention_dead_letters_days,
            "dead letters (retried or not)",
        ),
        Rule(
            "redelivery_requests",
            RedeliveryRequest,
            RedeliveryRequest.delivery_id,
            RedeliveryRequest.requested_at,
            REDELIVERY_DAYS,
            "redeliveries asked of GitHub",
        ),
        Rule(
            "worker_heartbeats",
            WorkerHeartbeat,
            WorkerHeartbeat.worker_id,
            WorkerHeartbeat.seen_at,
            HEARTBEAT_DAYS,
            "heartbeats of workers gone",
        ),
    ]
    return found
