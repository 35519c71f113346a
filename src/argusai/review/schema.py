"""The contract of the LLM's answer: pydantic models and an OpenAI strict-mode JSON schema."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from argusai.review.models import Category, Severity

SCHEMA_NAME = "argus_review"


class LLMFinding(BaseModel):
    """One finding exactly as the model must write it."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1)
    line: int = Field(ge=1)
    start_line: int | None = Field(default=None, ge=1)
    severity: Severity
    category: Category
    title: str = Field(min_length=1)
    message: str = Field(min_length=1)
    suggestion: str | None = None


class LLMWalkthroughItem(BaseModel):
    """One file of the chunk: what changed and why it matters, one short sentence."""

    model_config = ConfigDict(extra="ignore")

    path: str = Field(min_length=1)
    change: str = Field(min_length=1)


RiskLevel = Literal["low", "medium", "high"]


class LLMReview(BaseModel):
    """The whole answer for one chunk; ``walkthrough`` and ``risk`` default so that answers
    written before they existed (cached, scripted) still parse."""

    model_config = ConfigDict(extra="ignore")

    summary: str = ""
    findings: list[LLMFinding] = Field(default_factory=list)
    walkthrough: list[LLMWalkthroughItem] = Field(default_factory=list)
    risk: RiskLevel | None = None
    risk_reason: str | None = None


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    return {"anyOf": [schema, {"type": "null"}]}


def review_json_schema() -> dict[str, Any]:
    """JSON schema of ``LLMReview`` that OpenAI's strict structured-output mode accepts:
    every property required, optional ones nullable, no additional properties."""
    finding: dict[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path exactly as in the diff."},
            "line": {
                "type": "integer",
                "description": "Right-side (new file) line number shown in the diff.",
            },
            "start_line": _nullable(
                {"type": "integer", "description": "First line of a multi-line range."}
            ),
            "severity": {"type": "string", "enum": [s.value for s in Severity]},
            "category": {"type": "string", "enum": [c.value for c in Category]},
            "title": {"type": "string", "description": "One short line."},
            "message": {"type": "string", "description": "What is wrong and why; markdown."},
            "suggestion": _nullable(
                {
                    "type": "string",
                    "description": "Replacement code for lines start_line..line, no fences.",
                }
            ),
        },
        "required": [
            "path",
            "line",
            "start_line",
            "severity",
            "category",
            "title",
            "message",
            "suggestion",
        ],
        "additionalProperties": False,
    }
    walkthrough_item: dict[str, Any] = {
        "type": "object",
        "properties": {
            "path": {"type": "string", "description": "File path exactly as in the diff."},
            "change": {
                "type": "string",
                "description": "One short sentence: what changed and why it matters.",
            },
        },
        "required": ["path", "change"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "2-5 sentences on the change."},
            "findings": {"type": "array", "items": finding},
            "walkthrough": {"type": "array", "items": walkthrough_item},
            "risk": _nullable({"type": "string", "enum": ["low", "medium", "high"]}),
            "risk_reason": _nullable(
                {"type": "string", "description": "One short sentence: why that risk."}
            ),
        },
        "required": ["summary", "findings", "walkthrough", "risk", "risk_reason"],
        "additionalProperties": False,
    }
