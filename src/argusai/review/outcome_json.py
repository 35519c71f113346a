"""The cached outcome of a review (what the LLM said), stored with the review row so the
same head can be finalised again without a call."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from argusai.review.engine import PRContext, ReviewOutcome
from argusai.review.models import Category, ChunkFailure, Finding, NotPosted, Severity, Usage
from argusai.review.walkthrough import Walkthrough


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        **asdict(f),
        "severity": f.severity.value,
        "category": f.category.value,
        "evidence": list(f.evidence),
    }


def _finding(data: dict[str, Any]) -> Finding:
    return Finding(
        **{
            **data,
            "severity": Severity(data["severity"]),
            "category": Category(data["category"]),
            "evidence": tuple(data.get("evidence", ())),
        }
    )


def outcome_to_json(outcome: ReviewOutcome) -> dict[str, Any]:
    """Serialise what the LLM said (and what the verification pass made of it)."""
    return {
        "findings": [_finding_json(f) for f in outcome.findings],
        "summaries": list(outcome.summaries),
        "failed": [asdict(f) for f in outcome.failed],
        "usage": asdict(outcome.usage),
        "dropped_findings": outcome.dropped_findings,
        "context_used": outcome.context_used,
        "context_left_out": outcome.context_left_out,
        "context_notes": outcome.context_notes,
        "walkthrough": outcome.walkthrough.to_json(),
        "verified": outcome.verified,
        "rejected": [
            {"finding": _finding_json(r.finding), "reason": r.reason} for r in outcome.rejected
        ],
        "verify_notes": outcome.verify_notes,
    }


def outcome_from_json(data: dict[str, Any], ctx: PRContext) -> ReviewOutcome:
    """Rebuild a cached outcome; its usage is reported as zero (no new LLM call)."""
    return ReviewOutcome(
        ctx=ctx,
        findings=[_finding(f) for f in data.get("findings", [])],
        summaries=list(data.get("summaries", [])),
        failed=[ChunkFailure(**f) for f in data.get("failed", [])],
        usage=Usage(),
        dropped_findings=data.get("dropped_findings", 0),
        context_used=list(data.get("context_used", [])),
        context_left_out=list(data.get("context_left_out", [])),
        context_notes=list(data.get("context_notes", [])),
        walkthrough=Walkthrough.from_json(data.get("walkthrough")),
        verified=bool(data.get("verified", False)),
        rejected=[
            NotPosted(_finding(r["finding"]), str(r.get("reason", "")))
            for r in data.get("rejected", [])
        ],
        verify_notes=list(data.get("verify_notes", [])),
    )
