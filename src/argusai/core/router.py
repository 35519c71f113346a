"""The one router of webhook events: features register what an event means to them.

A delivery goes: verify → parse → :meth:`Router.intents` (each registered handler says
what the delivery asks of it, without writing) → one database transaction records the
delivery once and every intent's rows → the queue gets the work. Adding an event family
is one handler registered by its feature; the webhook endpoint stays as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import ValidationError

from argusai.core.payload import MAX_ID, MAX_NAME, MAX_SHORT, InstalledEvent, bounded_str, lacking

E = TypeVar("E", bound=InstalledEvent)


@dataclass(frozen=True)
class Delivery:
    """One webhook delivery, verified and parsed."""

    event: str
    delivery_id: str
    payload: Mapping[str, Any]

    @property
    def action(self) -> str | None:
        """The payload's ``action``, when it is a short string."""
        return bounded_str(self.payload.get("action"), MAX_SHORT)

    @property
    def key(self) -> str:
        """``event.action`` (or the event alone), as ``ARGUS_REVIEW_ENABLED_EVENTS`` names it."""
        return f"{self.event}.{self.action}" if self.action else self.event

    @property
    def installation_id(self) -> int | None:
        """``installation.id`` when it is a valid id."""
        inst = self.payload.get("installation")
        value = inst.get("id") if isinstance(inst, Mapping) else None
        return value if isinstance(value, int) and 0 < value < MAX_ID else None

    @property
    def repo_name(self) -> str | None:
        """``repository.full_name`` when it fits its column."""
        repo = self.payload.get("repository")
        return bounded_str(repo.get("full_name") if isinstance(repo, Mapping) else None, MAX_NAME)


@dataclass(frozen=True)
class Work:
    """A work item to send to the queue once the delivery's transaction committed."""

    kind: str
    item_id: Any
    delay: float = 0.0


@dataclass(frozen=True)
class Recorded:
    """What an intent wrote: work to dispatch, or why nothing; fields for the answer."""

    work: tuple[Work, ...] = ()
    ignored: str | None = None
    fields: Mapping[str, Any] = field(default_factory=dict)


class Intent(Protocol):
    """What a delivery asks of one feature; ``record`` writes it in the delivery's transaction."""

    @property
    def installation_id(self) -> int | None: ...

    @property
    def repo_name(self) -> str | None: ...

    @property
    def creates_work(self) -> bool:
        """True when the delivery asks for work (its row is recorded ``accepted``)."""
        ...

    def record(self, session: Any, delivery_id: str) -> Recorded:
        """Write what the delivery asks for in ``session`` (the delivery's transaction)."""
        ...


@dataclass(frozen=True)
class Ignored:
    """A delivery a handler recognised and declines (a draft, a disabled action)."""

    reason: str
    installation_id: int | None = None
    repo_name: str | None = None
    creates_work: bool = False

    @classmethod
    def of(cls, delivery: Delivery, reason: str) -> Ignored:
        """Decline ``delivery`` with ``reason``, keeping its installation and repository."""
        return cls(reason, delivery.installation_id, delivery.repo_name)

    def record(self, session: Any, delivery_id: str) -> Recorded:
        """Nothing to write."""
        del session, delivery_id
        return Recorded(ignored=self.reason)


class _Routed(Protocol):
    @property
    def installation_id(self) -> int | None: ...

    @property
    def repo_name(self) -> str | None: ...


class OfRequest:
    """Mixin of an intent whose installation and repository are those of its ``request``."""

    request: _Routed

    @property
    def installation_id(self) -> int | None:
        """The installation the request runs under."""
        return self.request.installation_id

    @property
    def repo_name(self) -> str | None:
        """The request's repository."""
        return self.request.repo_name


def parse_installed(delivery: Delivery, model: type[E]) -> tuple[E, int] | Ignored:
    """The delivery's payload read as ``model``, with its installation id; an
    :class:`Ignored` saying what is lacking when it does not fit or names no installation."""
    try:
        event = model.model_validate(delivery.payload)
    except ValidationError as exc:
        return Ignored.of(delivery, lacking(exc))
    if event.installation is None:
        return Ignored.of(delivery, "no installation in payload")
    return event, event.installation.id


#: a handler: what the delivery means to this feature (None: nothing at all)
Handler = Callable[[Delivery], Intent | None]


@dataclass
class Router:
    """Event name → handlers, in registration order."""

    _handlers: dict[str, list[Handler]] = field(default_factory=dict)

    def on(self, event: str, handler: Handler) -> None:
        """Call ``handler`` for every delivery of ``event``."""
        self._handlers.setdefault(event, []).append(handler)

    def events(self) -> list[str]:
        """The events some handler listens to, sorted."""
        return sorted(self._handlers)

    def intents(self, delivery: Delivery) -> list[Intent]:
        """What each handler of the delivery's event makes of it (handlers that say None
        are left out)."""
        found = []
        for handler in self._handlers.get(delivery.event, ()):
            intent = handler(delivery)
            if intent is not None:
                found.append(intent)
        return found
