"""How a kind's table spells the work-item columns and statuses."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement


@dataclass(frozen=True)
class Vocabulary:
    """The words a table uses for the five states of a work item."""

    queued: str = "queued"
    running: str = "running"
    done: str = "done"
    failed: str = "failed"
    superseded: str = "superseded"

    @property
    def active(self) -> tuple[str, str]:
        """Queued or running: not finished."""
        return (self.queued, self.running)


#: reviews and CI runs
QUEUE_WORDS = Vocabulary()
#: analyses and scout items (the API shows these words)
PROCESSING_WORDS = Vocabulary("pending", "processing", "completed", "failed", "superseded")

#: the logical columns every work table has (a table may name them differently)
COLUMNS = (
    "id",
    "status",
    "attempts",
    "next_attempt_at",
    "dispatched_at",
    "lease_expires_at",
    "lease_owner",
    "error_message",
    "started_at",
    "completed_at",
)


@dataclass(frozen=True)
class WorkTable:
    """An ORM model holding work items, with its spelling of the work-item columns.

    ``renamed`` maps a logical column (:data:`COLUMNS`) to the model's attribute where they
    differ; ``takeover`` narrows which expired leases may be taken over (a synchronous
    analysis is run by its HTTP request, never by a worker).
    """

    model: Any
    words: Vocabulary = QUEUE_WORDS
    renamed: Mapping[str, str] = field(default_factory=dict)
    takeover: Callable[[], ColumnElement[bool]] | None = None
    error_limit: int = 2000

    def __post_init__(self) -> None:
        unknown = set(self.renamed) - set(COLUMNS)
        if unknown:
            raise ValueError(f"not work-item columns: {sorted(unknown)}")
        for name in COLUMNS:
            if not hasattr(self.model, self.renamed.get(name, name)):
                raise ValueError(f"{self.model.__name__} has no column for {name!r}")

    def col(self, name: str) -> Any:
        """The model attribute of logical column ``name``."""
        return getattr(self.model, self.renamed.get(name, name))

    def values(self, **logical: Any) -> dict[str, Any]:
        """``{attribute name: value}`` for logical column names."""
        return {self.renamed.get(k, k): v for k, v in logical.items()}

    def get(self, row: Any, name: str) -> Any:
        """The value of logical column ``name`` on a loaded row."""
        return getattr(row, self.renamed.get(name, name))
