"""When the server cannot review in time, and so hands a review to GitHub Actions (seed 000).

Three reasons, checked by the review job before it starts (cheap: the database and this
process's breakers; no GitHub call):

* the operator said so: ``argus fallback on`` (a row in the operator's config table, scope
  ``server``, so every web and worker process reads the same switch);
* the LLM has been unavailable longer than ``ARGUS_FALLBACK_LLM_DOWN_SECONDS``: every
  breaker of the review's model (and its fallback model) not closed, continuously, as this
  worker has seen them (each worker judges by the breakers it calls through);
* a review has waited longer than ``ARGUS_FALLBACK_QUEUE_WAIT_SECONDS``: the oldest queued
  review that is due, or the one being started.

The last two only with ``ARGUS_FALLBACK_AUTO`` (on by default). Where the review goes, and
how, is :mod:`argusai.review.handoff`.
"""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Select, func, select

from argusai.llm.breaker import STATE_CLOSED, BreakerRegistry, shared_breakers
from argusai.review.operator_config import OperatorSetting
from argusai.settings import LLMProvider, Settings
from argusai.store.db import Database
from argusai.store.models import Review, ReviewStatus, utcnow

SWITCH_SCOPE, SWITCH_KEY = "server", "fallback"


@dataclass(frozen=True)
class Switch:
    """The operator's switch: on or off, and since when (None: never set)."""

    on: bool
    changed_at: datetime | None = None


def read_switch(db: Database) -> Switch:
    """The fallback switch as ``argus fallback on|off`` left it."""
    with db.session() as s:
        row = s.scalar(_switch_row())
        if row is None:
            return Switch(False)
        return Switch(bool((row.value or {}).get("value")), row.updated_at)


def set_switch(db: Database, on: bool) -> bool:
    """Turn the switch on or off; False when it already was."""
    with db.session() as s:
        row = s.scalar(_switch_row())
        if row is None:
            if not on:
                return False
            s.add(
                OperatorSetting(scope=SWITCH_SCOPE, target="", key=SWITCH_KEY, value={"value": on})
            )
            return True
        if bool((row.value or {}).get("value")) == on:
            return False
        row.value = {"value": on}
        row.updated_at = utcnow()
        return True


def _switch_row() -> Select[OperatorSetting]:
    return select(OperatorSetting).where(
        OperatorSetting.scope == SWITCH_SCOPE,
        OperatorSetting.target == "",
        OperatorSetting.key == SWITCH_KEY,
    )


# ---- the LLM's breakers -------------------------------------------------------------------

#: per breaker registry (one per process): when its review breakers were first seen all
#: not closed, on the monotonic clock
_down_since: weakref.WeakKeyDictionary[BreakerRegistry, float] = weakref.WeakKeyDictionary()
_down_lock = threading.Lock()


def review_breakers(settings: Settings) -> list[str]:
    """The breaker names of the review's model and fallback model (``provider:model``)."""
    models = [settings.llm_model]
    if settings.llm_fallback_model and settings.llm_fallback_model != settings.llm_model:
        models.append(settings.llm_fallback_model)
    if settings.llm_provider is LLMProvider.GITHUB_MODELS:
        from argusai.llm.factory import github_models_id  # loads the SDKs: only when needed

        models = [github_models_id(m) for m in models]
    return [f"{settings.llm_provider.value}:{m}" for m in models]


def llm_down_seconds(
    settings: Settings,
    registry: BreakerRegistry | None = None,
    *,
    clock: float | None = None,
) -> float | None:
    """How long every breaker of the review's models has been seen not closed (None: the
    LLM is up, or has not been called yet in this process). Observed when asked: the job
    asks before every review, and reviews waiting on an open breaker come back each minute."""
    registry = registry if registry is not None else shared_breakers()
    states = registry.states()
    names = review_breakers(settings)
    down = all(name in states and states[name] != STATE_CLOSED for name in names)
    now = time.monotonic() if clock is None else clock
    with _down_lock:
        if not down:
            _down_since.pop(registry, None)
            return None
        since = _down_since.setdefault(registry, now)
    return max(now - since, 0.0)


# ---- the queue ----------------------------------------------------------------------------


def oldest_wait_seconds(db: Database, *, now: datetime | None = None) -> float | None:
    """How long the oldest queued review that is due has waited since it was asked for."""
    now = now or utcnow()
    with db.session() as s:
        oldest = s.scalar(
            select(func.min(Review.created_at)).where(
                Review.status == ReviewStatus.QUEUED.value, Review.next_attempt_at <= now
            )
        )
    if oldest is None:
        return None
    return max((now - _aware(oldest)).total_seconds(), 0.0)


def _aware(value: datetime) -> datetime:
    """``value`` in UTC (SQLite's aggregates come back without the column's zone)."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# ---- the decision -------------------------------------------------------------------------


@dataclass(frozen=True)
class Pressure:
    """What the fallback looks at, now."""

    switch: Switch
    llm_down_for: float | None
    oldest_wait: float | None

    def reason(self, settings: Settings) -> str | None:
        """Why reviews go to GitHub Actions now (None: the server reviews)."""
        if self.switch.on:
            return "the operator turned the Actions fallback on"
        if not settings.fallback_auto:
            return None
        down = self.llm_down_for
        if down is not None and down >= settings.fallback_llm_down_seconds:
            return f"the LLM has been unavailable for {_duration(down)}"
        wait = self.oldest_wait
        if wait is not None and wait >= settings.fallback_queue_wait_seconds:
            return f"reviews have waited {_duration(wait)} in the queue"
        return None


def pressure(
    settings: Settings, db: Database, *, waiting_since: datetime | None = None
) -> Pressure:
    """The switch, the LLM's breakers in this process, the oldest wait (``waiting_since``: the
    review about to start, already out of the queue)."""
    wait = oldest_wait_seconds(db)
    if waiting_since is not None:
        own = (utcnow() - _aware(waiting_since)).total_seconds()
        wait = max(own, wait or 0.0, 0.0)
    return Pressure(read_switch(db), llm_down_seconds(settings), wait)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"
