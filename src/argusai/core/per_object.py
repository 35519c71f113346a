"""One value per live object, made on first use and closed when that object is collected.

Keyed by identity, so it serves objects that cannot be dict keys (a pydantic ``Settings``
is not hashable): one rate limiter, one executor per ``Settings`` object.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class PerObject(Generic[K, V]):
    """``get(owner)``: what ``make`` made for ``owner``; ``close`` runs once ``owner`` is gone."""

    def __init__(self, make: Callable[[K], V], close: Callable[[V], None]) -> None:
        self._make, self._close = make, close
        self._values: dict[int, tuple[weakref.ref[K], V]] = {}
        self._lock = threading.Lock()

    def get(self, owner: K) -> V:
        """The value of ``owner`` (made now if it has none yet)."""
        key = id(owner)
        with self._lock:
            held = self._values.get(key)
            # an id is reused once its object is gone: the value must be this object's
            if held is not None and held[0]() is owner:
                return held[1]
            value = self._make(owner)
            self._values[key] = (weakref.ref(owner), value)
            weakref.finalize(owner, self._forget, key, value)
            return value

    def _forget(self, key: int, value: V) -> None:
        with self._lock:
            held = self._values.get(key)
            if held is not None and held[1] is value:
                del self._values[key]
        self._close(value)
