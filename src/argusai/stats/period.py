"""The time window a question is asked about: ``--since 7d`` or ``--since 2026-01-01``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from argusai.errors import InputError
from argusai.store.models import utcnow

_RELATIVE = re.compile(r"^\s*(\d{1,5})\s*([hdw])\s*$")
_UNITS = {"h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}


def day_start(day: date) -> datetime:
    """Midnight UTC at the start of ``day``."""
    return datetime.combine(day, time(), tzinfo=UTC)


@dataclass(frozen=True)
class Period:
    """From ``since`` (included) to ``until`` (excluded), both aware UTC datetimes."""

    since: datetime
    until: datetime

    @classmethod
    def last(cls, days: int = 7, *, now: datetime | None = None) -> Period:
        """The ``days`` days up to ``now``."""
        end = now or utcnow()
        return cls(end - timedelta(days=days), end)

    @classmethod
    def of_days(cls, first: date, last: date) -> Period:
        """Whole UTC days ``first`` to ``last``, both included."""
        return cls(day_start(first), day_start(last + timedelta(days=1)))

    @property
    def first_day(self) -> date:
        """The UTC day ``since`` falls on."""
        return self.since.astimezone(UTC).date()

    @property
    def last_day(self) -> date:
        """The UTC day of the last instant in the period."""
        return (self.until.astimezone(UTC) - timedelta(microseconds=1)).date()

    def days(self) -> Iterator[date]:
        """Every UTC day the period touches, oldest first."""
        day = self.first_day
        while day <= self.last_day:
            yield day
            day += timedelta(days=1)


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """``7d`` / ``24h`` / ``2w`` before ``now``, or a date ``YYYY-MM-DD`` (its midnight, UTC)."""
    now = now or utcnow()
    relative = _RELATIVE.match(text)
    if relative:
        return now - int(relative[1]) * _UNITS[relative[2]]
    try:
        return day_start(date.fromisoformat(text.strip()))
    except ValueError:
        raise InputError(
            f"{text!r} is neither a span like 7d, 24h, 2w nor a date YYYY-MM-DD"
        ) from None


def parse_period(since: str, until: str | None = None, *, now: datetime | None = None) -> Period:
    """The period ``--since SINCE [--until DATE]``: an ``until`` date is included whole."""
    now = now or utcnow()
    start = parse_when(since, now=now)
    end = now
    if until is not None:
        end = parse_when(until, now=now)
        if not _RELATIVE.match(until):
            end += timedelta(days=1)  # --until 2026-01-31 includes the 31st
    if end <= start:
        raise InputError(f"the period is empty: {since} is not before {until or 'now'}")
    return Period(start, end)
