"""Plain data the review engine works on: findings, comments, outcomes."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

FindingSource = Literal["llm", "check"]


class Severity(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Higher is more severe."""
        return _RANK[self]


_RANK = {
    Severity.CRITICAL: 4,
    Severity.HIGH: 3,
    Severity.MEDIUM: 2,
    Severity.LOW: 1,
    Severity.INFO: 0,
}


class Category(StrEnum):
    BUG = "bug"
    SECURITY = "security"
    PERFORMANCE = "performance"
    QUALITY = "quality"
    STYLE = "style"


@dataclass(frozen=True)
class Finding:
    """One problem the LLM reported (after validation) or a deterministic check found
    (``source="check"``), not yet anchored."""

    path: str
    line: int
    severity: Severity
    category: Category
    title: str
    message: str
    start_line: int | None = None
    suggestion: str | None = None
    source: FindingSource = "llm"
    #: lines the verification pass cited as showing the problem (empty: not verified)
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True)
class InlineComment:
    """A finding placed on a right-side line that is really in the diff."""

    path: str
    line: int
    body: str
    fingerprint: str
    severity: Severity
    start_line: int | None = None


@dataclass
class SkippedFile:
    path: str
    reason: str


@dataclass
class Usage:
    """Token usage and estimated cost of the LLM calls of one review."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    calls: int = 0
    models: list[str] = field(default_factory=list)

    def add(self, other: Usage) -> None:
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.calls += other.calls
        for m in other.models:
            if m not in self.models:
                self.models.append(m)


@dataclass(frozen=True)
class ChunkFailure:
    """A chunk the LLM could not review (its files appear in the summary)."""

    index: int
    files: list[str]
    reason: str


@dataclass(frozen=True)
class NotPosted:
    """A finding kept out of the inline comments, with the reason (shown in the summary)."""

    finding: Finding
    reason: str
