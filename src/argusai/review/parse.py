"""Read the LLM's answer tolerantly: one bad finding is dropped, not the whole answer."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from argusai.core.json_answer import json_candidates
from argusai.errors import LLMError
from argusai.review.models import Category, Finding, Severity
from argusai.review.schema import LLMFinding, LLMWalkthroughItem

SEVERITY_ALIASES = {
    "blocker": Severity.CRITICAL,
    "fatal": Severity.CRITICAL,
    "severe": Severity.HIGH,
    "major": Severity.HIGH,
    "error": Severity.HIGH,
    "important": Severity.HIGH,
    "moderate": Severity.MEDIUM,
    "warning": Severity.MEDIUM,
    "warn": Severity.MEDIUM,
    "minor": Severity.LOW,
    "trivial": Severity.LOW,
    "nit": Severity.INFO,
    "nitpick": Severity.INFO,
    "note": Severity.INFO,
    "suggestion": Severity.INFO,
    "informational": Severity.INFO,
}
CATEGORY_ALIASES = {
    "correctness": Category.BUG,
    "logic": Category.BUG,
    "error": Category.BUG,
    "bugs": Category.BUG,
    "reliability": Category.BUG,
    "vulnerability": Category.SECURITY,
    "safety": Category.SECURITY,
    "perf": Category.PERFORMANCE,
    "efficiency": Category.PERFORMANCE,
    "maintainability": Category.QUALITY,
    "readability": Category.QUALITY,
    "best-practice": Category.QUALITY,
    "best_practice": Category.QUALITY,
    "best practices": Category.QUALITY,
    "design": Category.QUALITY,
    "documentation": Category.QUALITY,
    "testing": Category.QUALITY,
    "formatting": Category.STYLE,
    "naming": Category.STYLE,
    "typo": Category.STYLE,
}
_FINDING_KEYS = ("findings", "comments", "issues", "review_comments")
# A "finding" that only approves is noise on the PR: ArgusAI never posts "looks good".
_PRAISE = re.compile(
    r"^\W*(looks good|lgtm|good (job|work|change)|well done|nice|great|no (issues|problems)"
    r"( found)?|nothing to report)\b",
    re.IGNORECASE,
)


class ReviewOutputError(LLMError):
    """The LLM's answer holds nothing usable (no JSON object with a review in it)."""


@dataclass
class ParsedReview:
    """What could be used from one answer, and what had to be dropped."""

    summary: str
    findings: list[Finding] = field(default_factory=list)
    dropped: int = 0
    problems: list[str] = field(default_factory=list)
    walkthrough: list[tuple[str, str]] = field(default_factory=list)  # (path, change)
    risk: str | None = None  # "low" | "medium" | "high"
    risk_reason: str = ""


_RISKS = ("low", "medium", "high")


def _walkthrough(raw: Any) -> list[tuple[str, str]]:
    """The usable (path, change) items; anything else (not a list, a bad item) is ignored:
    the walkthrough is a courtesy, never a reason to fail or repair an answer."""
    if not isinstance(raw, list):
        return []
    out = []
    for item in raw:
        try:
            model = LLMWalkthroughItem.model_validate(item)
        except ValidationError:
            continue
        if model.path.strip() and model.change.strip():
            out.append((model.path.strip(), model.change.strip()))
    return out


def _review_object(value: Any) -> dict[str, Any] | None:
    if isinstance(value, list) and all(isinstance(v, dict) for v in value):
        return {"summary": "", "findings": value}
    if not isinstance(value, dict):
        return None
    if "summary" in value or any(k in value for k in _FINDING_KEYS):
        return value
    for inner in ("review", "result", "output", "data"):
        nested = _review_object(value.get(inner))
        if nested is not None:
            return nested
    return None


def _enum_value(raw: Any, aliases: dict[str, Any]) -> Any:
    if not isinstance(raw, str):
        return raw
    key = raw.strip().lower()
    if key in aliases:
        return aliases[key]
    return key


def normalise_finding(item: Any) -> Finding:
    """Validate one finding dict; raises ValueError / ValidationError when unusable."""
    if not isinstance(item, dict):
        raise ValueError("finding is not an object")
    data = dict(item)
    data.setdefault("path", data.get("file") or data.get("filename"))
    if "line" not in data:
        data["line"] = data.get("end_line") or data.get("line_number")
    data["severity"] = _enum_value(data.get("severity"), SEVERITY_ALIASES)
    category = _enum_value(data.get("category") or "quality", CATEGORY_ALIASES)
    data["category"] = category if category in set(Category) else Category.QUALITY
    message = data.get("message") or data.get("body") or data.get("description")
    data["message"] = message
    if not data.get("title") and isinstance(message, str):
        data["title"] = message.strip().split("\n", 1)[0][:80]
    if isinstance(data.get("path"), str):
        data["path"] = data["path"].strip()
    model = LLMFinding.model_validate(data)
    if _PRAISE.match(model.title) or _PRAISE.match(model.message):
        raise ValueError("praise or approval, not a problem")
    start = model.start_line
    line = model.line
    if start is not None and start > line:
        start, line = line, start
    if start == line:
        start = None
    suggestion = model.suggestion if model.suggestion and model.suggestion.strip() else None
    return Finding(
        path=model.path,
        line=line,
        severity=model.severity,
        category=model.category,
        title=model.title.strip(),
        message=model.message.strip(),
        start_line=start,
        suggestion=suggestion,
    )


def parse_review_output(text: str) -> ParsedReview:
    """Parse an answer into summary + findings; raise ReviewOutputError if nothing is usable."""
    review: dict[str, Any] | None = None
    for candidate in json_candidates(text or ""):
        review = _review_object(candidate)
        if review is not None:
            break
    if review is None:
        raise ReviewOutputError("the answer contains no JSON object with `summary` and `findings`")
    summary = review.get("summary")
    parsed = ParsedReview(summary=summary.strip() if isinstance(summary, str) else "")
    parsed.walkthrough = _walkthrough(review.get("walkthrough"))
    risk = review.get("risk")
    if isinstance(risk, str) and risk.strip().lower() in _RISKS:
        parsed.risk = risk.strip().lower()
        reason = review.get("risk_reason")
        parsed.risk_reason = reason.strip() if isinstance(reason, str) else ""
    raw_findings: Any = next((review[k] for k in _FINDING_KEYS if k in review), [])
    if not isinstance(raw_findings, list):
        raise ReviewOutputError("`findings` is not a list")
    for i, item in enumerate(raw_findings):
        try:
            parsed.findings.append(normalise_finding(item))
        except (ValueError, ValidationError) as exc:
            parsed.dropped += 1
            first = str(exc).splitlines()[0][:200]
            parsed.problems.append(f"finding {i} dropped: {first}")
    return parsed
