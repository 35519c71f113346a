"""Kinds of work: what a feature declares to put its work on the queue."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from argusai.workq.table import WorkTable


class Wait(Protocol):
    """Come back later without spending a retry (an admission limit said so)."""

    @property
    def delay(self) -> float: ...

    @property
    def reason(self) -> str: ...


@dataclass(frozen=True)
class Claimed:
    """An item a worker now holds: its kind, id, lease owner, attempt number and row."""

    kind: str
    id: Any
    owner: str
    attempts: int
    row: Any


def _no_context(_row: Any) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class WorkKind:
    """One kind of work on the queue.

    ``handle`` does the work and raises the error tree of :mod:`argusai.errors` (the runner
    maps each to retry, wait, fail, supersede or dead letter). Optional hooks:

    - ``admit(row)``: a :class:`Wait` when the item must not start now (limits);
    - ``wait_delay(row, exc, default)``: how long to wait on a rate limit / open breaker;
    - ``settled(item_id)``: True when there is nothing to do (checked before claiming;
      a scout item whose answer is current) — the item is not claimed;
    - ``closed(item_id, outcome)``: after the item left ``running`` (callbacks);
    - ``priority(row)``: queue priority of its messages (higher first);
    - ``describe(row)``: one line for ``argus jobs dead`` and logs;
    - ``public_error(exc)``: the text stored on the item (shown to users; the log gets
      the error's own text) — the analysis API never shows a provider's words;
    - ``context(row)``: ids bound to every log line of the job.
    """

    name: str
    table: WorkTable
    handle: Callable[[Claimed], None]
    describe: Callable[[Any], str] = str
    context: Callable[[Any], dict[str, Any]] = _no_context
    admit: Callable[[Any], Wait | None] | None = None
    wait_delay: Callable[[Any, BaseException, float], float] | None = None
    settled: Callable[[Any], bool] | None = None
    closed: Callable[[Any, str], None] | None = None
    priority: Callable[[Any], int] | None = None
    public_error: Callable[[BaseException], str] | None = None
    parse_id: Callable[[str], Any] = int


@dataclass
class Registry:
    """The kinds one process knows, by name."""

    _kinds: dict[str, WorkKind] = field(default_factory=dict)

    def add(self, kind: WorkKind) -> WorkKind:
        """Register ``kind``; a second kind with the same name is a bug."""
        if kind.name in self._kinds and self._kinds[kind.name] is not kind:
            raise ValueError(f"work kind {kind.name!r} is registered twice")
        self._kinds[kind.name] = kind
        return kind

    def get(self, name: str) -> WorkKind:
        """The kind called ``name``; ValueError naming the known ones otherwise."""
        try:
            return self._kinds[name]
        except KeyError:
            raise ValueError(
                f"unknown kind {name!r}: one of {', '.join(sorted(self._kinds))}"
            ) from None

    def __iter__(self) -> Iterator[WorkKind]:
        return iter(self._kinds.values())

    def names(self) -> list[str]:
        """Kind names, sorted."""
        return sorted(self._kinds)
