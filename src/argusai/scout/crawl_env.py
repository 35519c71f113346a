"""What a crawl works with: the database, settings, identity, and the callables it calls.

Its own module so that ``crawl`` (the run) and ``source_walk`` (one source) both use it
without importing each other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx

from argusai.scout.auth import CrawlIdentity
from argusai.settings import Settings
from argusai.store.db import Database

Enqueue = Callable[[str, int, int], None]
Continue = Callable[[int, float], None]  # (parent run id, delay in seconds)
Progress = Callable[[str, int, int], None]  # (source, repositories done, total)


@dataclass
class CrawlEnv:
    """The crawl's collaborators."""

    db: Database
    settings: Settings
    identity: CrawlIdentity
    enqueue: Enqueue
    schedule_continuation: Continue | None = None
    progress: Progress | None = None
    transport: httpx.BaseTransport | None = None
