"""Dead letters → notifications: a scan of ``dead_letters`` past a mark, one event each.

The dead-letter row is written with the item's failure in one transaction, so a scan
misses none: the worker scans right after an item of any kind died (the queue's
listener) and every minute (a periodic task, for items that died in a process that
stopped before it could). The same letter seen by two scans is sent once (its event key).
Letters of the ``notification`` kind are logged, never notified (no loop).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import structlog
from huey import Huey, crontab
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from argusai.notify import events
from argusai.notify.emit import NOTIFICATION, emit
from argusai.notify.models import NotifyMark
from argusai.runtime import Runtime
from argusai.store.models import DeadLetter, utcnow

log = structlog.get_logger(__name__)

MARK = "dead_letters"
SCAN_TASK = "argus.notify.dead_letters"
#: letters older than this when first seen are history, not news
HORIZON = timedelta(days=1)


def notify_dead_letters(rt: Runtime, limit: int = 200) -> int:
    """Emit one event per dead letter not yet scanned; how many were emitted."""
    mark = _mark(rt)
    since = utcnow() - HORIZON
    with rt.db.session() as s:
        letters = s.scalars(
            select(DeadLetter).where(DeadLetter.id > mark).order_by(DeadLetter.id).limit(limit)
        ).all()
        for letter in letters:
            s.expunge(letter)
    emitted = 0
    for letter in letters:
        if letter.kind == NOTIFICATION:
            log.warning(
                "a notification became a dead letter (not notified: no loops)",
                job_id=letter.item_id,
                reason=letter.reason[:300],
            )
        elif letter.created_at >= since:
            emit(rt, _event(rt, letter))
            emitted += 1
    if letters:
        _advance(rt, letters[-1].id)
    return emitted


def _event(rt: Runtime, letter: DeadLetter) -> events.Event:
    what, scope = _item(rt, letter)
    return events.dead_letter(
        letter_id=letter.id,
        work_kind=letter.kind,
        item_id=letter.item_id,
        what=what,
        reason=letter.reason,
        attempts=letter.attempts,
        scope=scope,
    )


def _item(rt: Runtime, letter: DeadLetter) -> tuple[str, dict[str, Any]]:
    """The item's one-line description and its scope, from its kind's hooks."""
    registry = rt.queue.registry
    if letter.kind not in registry.names():
        return f"#{letter.item_id}", {}
    kind = registry.get(letter.kind)
    try:
        item_id = kind.parse_id(letter.item_id)
    except ValueError:
        return f"#{letter.item_id}", {}
    with rt.db.session() as s:
        row = s.get(kind.table.model, item_id)
        if row is None:
            return f"#{letter.item_id} (deleted)", {}
        return kind.describe(row), kind.context(row)


def _mark(rt: Runtime) -> int:
    try:
        with rt.db.session() as s:
            value = s.scalar(select(NotifyMark.value).where(NotifyMark.name == MARK))
            if value is None:
                s.add(NotifyMark(name=MARK, value=0))
                return 0
            return int(value)
    except IntegrityError:  # another process made the mark first
        return 0


def _advance(rt: Runtime, to: int) -> None:
    with rt.db.session() as s:
        s.execute(
            update(NotifyMark)
            .where(NotifyMark.name == MARK, NotifyMark.value < to)
            .values(value=to, updated_at=utcnow())
        )


def dead_letter_listener(rt: Runtime) -> Callable[[str, Any, str], None]:
    """For the work queue: after an item of any other kind died, scan at once."""

    def listen(kind: str, _item_id: Any, outcome: str) -> None:
        if outcome == "dead" and kind != NOTIFICATION:
            notify_dead_letters(rt)

    return listen


_registered: weakref.WeakSet[Huey] = weakref.WeakSet()


def register_notify_tasks(huey: Huey, get_runtime: Callable[[], Runtime]) -> None:
    """Declare the periodic dead-letter scan on ``huey`` (once per Huey)."""
    if huey in _registered:
        return
    _registered.add(huey)

    @huey.periodic_task(crontab(minute="*"), name=SCAN_TASK)  # type: ignore[untyped-decorator]
    def scan_task() -> None:
        notify_dead_letters(get_runtime())
