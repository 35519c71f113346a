"""Run one work item of any kind and map its outcome onto the state machine.

=====================  =============================================================
outcome of ``handle``  what happens
=====================  =============================================================
returns                ``done`` (unless the handler closed the item itself)
``Superseded``         ``superseded`` (a newer push / attempt made it pointless)
a wait (rate limit,    back to ``queued`` after the wait, the retry budget untouched
open breaker)
``TransientError``     back to ``queued`` with backoff; past the budget a dead letter
``PermanentError``     ``failed`` with its message
anything else (a bug)  a dead letter at once, for an operator to retry
=====================  =============================================================
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import structlog

from argusai.core.backoff import backoff_seconds
from argusai.errors import PermanentError, Superseded, TransientError
from argusai.store.db import Database
from argusai.workq import items
from argusai.workq.heartbeat import Heartbeat
from argusai.workq.kinds import Claimed, WorkKind

log = structlog.get_logger(__name__)

#: (kind name, item id, delay seconds, priority) → message sent?
Dispatch = Callable[[str, Any, float, int], bool]


@dataclass(frozen=True)
class QueuePolicy:
    """The queue's settings, the same for every kind."""

    lease_seconds: int = 600
    max_retries: int = 5
    retry_delay_seconds: float = 10.0
    redispatch_after_seconds: int = 300
    #: errors that are waits, not faults (GitHub rate limits, an open LLM breaker)
    waits: tuple[type[BaseException], ...] = ()
    default_wait_seconds: float = 60.0
    #: told of every run: (kind, row or None, outcome, seconds) — the metrics
    observe: Callable[[str, Any, str, float], None] | None = None
    #: told of every crash (a bug that became a dead letter) — error tracking
    report: Callable[[BaseException], None] | None = None


def _tell(policy: QueuePolicy, kind: str, row: Any, outcome: str, started: float) -> None:
    """Report one run to the policy's observer; a broken observer never breaks the work."""
    if policy.observe is None:
        return
    try:
        policy.observe(kind, row, outcome, time.perf_counter() - started)
    except Exception as exc:  # noqa: BLE001 - metrics are not worth a failed job
        log.warning("work observer failed", error=type(exc).__name__)


def describe_error(exc: BaseException) -> str:
    """The error's message (or its type), cut to 500 characters."""
    return (str(exc) or type(exc).__name__)[:500]


def _stored(kind: WorkKind, exc: BaseException) -> str:
    return kind.public_error(exc) if kind.public_error is not None else describe_error(exc)


def run_item(
    db: Database, policy: QueuePolicy, dispatch: Dispatch, kind: WorkKind, item_id: Any
) -> str:
    """Claim, run and close one item; the outcome (``skipped``, ``done``, ``deferred``,
    ``retry``, ``dead``, ``failed``, ``superseded``, ``lost``)."""
    t = kind.table
    started = time.perf_counter()
    if kind.settled is not None and kind.settled(item_id):
        log.debug("work item settled; nothing to do", kind=kind.name, item_id=item_id)
        _tell(policy, kind.name, None, "skipped", started)
        return "skipped"
    owner = uuid.uuid4().hex
    row = items.claim(db, t, item_id, policy.lease_seconds, owner)
    if row is None:
        log.info(
            "work item not claimable (done, superseded or running elsewhere)",
            kind=kind.name,
            job_id=item_id,
        )
        _tell(policy, kind.name, None, "skipped", started)
        return "skipped"
    attempts = int(t.get(row, "attempts"))
    claimed = Claimed(kind.name, item_id, owner, attempts, row)
    context = {"kind": kind.name, "job_id": item_id, "attempt": attempts, **kind.context(row)}
    structlog.contextvars.bind_contextvars(**context)
    priority = kind.priority(row) if kind.priority is not None else 0

    def again(delay: float) -> None:
        dispatch(kind.name, item_id, delay, priority)

    try:
        outcome = _run(db, policy, kind, claimed, again)
    finally:
        structlog.contextvars.unbind_contextvars(*context)
    if kind.closed is not None and outcome in {"done", "failed", "dead", "superseded"}:
        kind.closed(item_id, outcome)
    _tell(policy, kind.name, row, outcome, started)
    return outcome


def _run(
    db: Database,
    policy: QueuePolicy,
    kind: WorkKind,
    item: Claimed,
    again: Callable[[float], None],
) -> str:
    t, owner = kind.table, item.owner
    try:
        wait = kind.admit(item.row) if kind.admit is not None else None
        if wait is not None:
            return _defer(db, kind, item, max(1.0, wait.delay), wait.reason, again)
        with Heartbeat(db, t, item.id, policy.lease_seconds, owner):
            kind.handle(item)
    except Superseded as exc:
        log.info("work superseded", reason=str(exc))
        items.finish(db, t, item.id, owner, t.words.superseded, error=_stored(kind, exc))
        return "superseded"
    except policy.waits as exc:
        retry_after = getattr(exc, "retry_after", None)
        delay = retry_after if retry_after is not None else policy.default_wait_seconds
        if kind.wait_delay is not None:
            delay = kind.wait_delay(item.row, exc, delay)
        log.info("waiting", error=describe_error(exc))
        return _defer(db, kind, item, max(1.0, delay), _stored(kind, exc), again)
    except TransientError as exc:
        delay = exc.retry_after or backoff_seconds(item.attempts, policy.retry_delay_seconds)
        retried = items.retry_later(
            db,
            t,
            kind.name,
            item.id,
            owner,
            error=_stored(kind, exc),
            max_retries=policy.max_retries,
            delay=delay,
        )
        log.warning(
            "transient failure", error=describe_error(exc), retry=retried, delay=round(delay, 1)
        )
        if retried:
            again(delay)
            return "retry"
        return "dead"
    except PermanentError as exc:
        log.error("work failed", error=describe_error(exc))
        items.finish(db, t, item.id, owner, t.words.failed, error=_stored(kind, exc))
        return "failed"
    except Exception as exc:  # the job boundary: a bug becomes a dead letter
        log.exception("work crashed")
        if policy.report is not None:
            policy.report(exc)
        items.retry_later(
            db,
            t,
            kind.name,
            item.id,
            owner,
            error=f"internal error: {_stored(kind, exc)}",
            max_retries=-1,
            delay=0,
        )
        return "dead"
    if items.holds(db, t, item.id, owner):
        items.finish(db, t, item.id, owner, t.words.done)
        return "done"
    # the handler closed the item itself (with its result, or handed it elsewhere), or the
    # lease was lost (the item is in flight again, someone else's)
    return "lost" if items.status(db, t, item.id) in t.words.active else "done"


def _defer(
    db: Database,
    kind: WorkKind,
    item: Claimed,
    delay: float,
    reason: str,
    again: Callable[[float], None],
) -> str:
    if not items.defer(db, kind.table, item.id, item.owner, reason=reason, delay=delay):
        log.info("not deferred: the lease is held elsewhere")
        return "lost"
    log.info("work deferred", reason=reason, delay=round(delay, 1))
    again(delay)
    return "deferred"
