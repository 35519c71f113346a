"""The per-file walkthrough and the overall risk, gathered from the chunks' answers.

No extra LLM call: each chunk's answer describes its own files. Only files the chunk
really showed get a line (a path the model invented is dropped), the first description of
a file split over several chunks wins, and the overall risk is the highest any chunk gave,
with that chunk's reason. Texts are cut here and sanitised where they are posted
(``review.format``), like the summaries.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from typing import Any

from argusai.core.sanitize import truncate

MAX_CHANGE_CHARS = 300
MAX_REASON_CHARS = 300
RISK_RANK = {"low": 0, "medium": 1, "high": 2}


def _one_line(text: str, limit: int) -> str:
    return truncate(" ".join(text.split()), limit)


@dataclass
class Walkthrough:
    """What each reviewed file's change is (path → one line) and the overall risk."""

    lines: dict[str, str] = field(default_factory=dict)
    risk: str | None = None
    risk_reason: str = ""

    def add(
        self,
        items: Iterable[tuple[str, str]],
        paths: Collection[str],
        risk: str | None = None,
        reason: str = "",
    ) -> None:
        """Take one chunk's answer; ``paths`` are the files that chunk showed."""
        for path, change in items:
            if path in paths and path not in self.lines and change.strip():
                self.lines[path] = _one_line(change, MAX_CHANGE_CHARS)
        if risk in RISK_RANK and (self.risk is None or RISK_RANK[risk] > RISK_RANK[self.risk]):
            self.risk = risk
            self.risk_reason = _one_line(reason, MAX_REASON_CHARS)

    def ordered(self, paths: Iterable[str]) -> list[tuple[str, str]]:
        """The lines in the order of ``paths`` (the plan's files), described ones only."""
        return [(p, self.lines[p]) for p in paths if p in self.lines]

    def to_json(self) -> dict[str, Any]:
        """Plain data for the cached outcome."""
        return {
            "lines": [[p, c] for p, c in self.lines.items()],
            "risk": self.risk,
            "risk_reason": self.risk_reason,
        }

    @classmethod
    def from_json(cls, data: Any) -> Walkthrough:
        """Rebuild from ``to_json``; anything missing or malformed (an older cache) is empty."""
        out = cls()
        if not isinstance(data, dict):
            return out
        lines = data.get("lines")
        if isinstance(lines, list):
            for item in lines:
                if (
                    isinstance(item, list)
                    and len(item) == 2
                    and all(isinstance(x, str) for x in item)
                ):
                    out.lines.setdefault(item[0], item[1])
        risk = data.get("risk")
        reason = data.get("risk_reason")
        if risk in RISK_RANK:
            out.risk = risk
            out.risk_reason = reason if isinstance(reason, str) else ""
        return out
