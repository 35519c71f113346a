"""The analysis API's request and response models (they make the OpenAPI page at /docs)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from argusai.cilog.explain import Explanation

Status = Literal["pending", "processing", "completed", "failed"]
#: a log must hold something besides ASCII whitespace (as ``bytes.strip`` sees it)
NOT_BLANK = r"[^\t\n\x0b\x0c\r ]"


class AnalysisRequest(BaseModel):
    """A log to analyse, as JSON (a raw or gzip upload is the other way in)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "logs": "Run pytest -q\nE   assert 3 == 4\n"
                    "##[error]Process completed with exit code 1.\n",
                    "workflow_name": "CI",
                    "metadata": {"repo": "acme/shop", "run_id": 42},
                    "callback_url": "https://ci.example.com/argus-callback",
                }
            ]
        },
    )

    logs: str = Field(
        min_length=1,
        description="The job's log, plain text; not only whitespace.",
        # enforced by the intake (422 "the log is empty"), said here for clients and fuzzers
        json_schema_extra={"pattern": NOT_BLANK},
    )
    workflow_name: str | None = Field(default=None, max_length=255)
    metadata: dict[str, Any] | None = Field(
        default=None, description="Anything of yours, returned as is (at most 16 KB as JSON)."
    )
    callback_url: str | None = Field(
        default=None,
        max_length=2048,
        # the scheme is checked here (an empty string is not "no callback"); the address
        # when the request is taken (egress/ssrf.py)
        pattern=r"^[hH][tT][tT][pP][sS]?://",
        description="Called with the result of an asynchronous analysis (signed, see README); "
        "http(s) only, never a private, loopback or metadata address (422).",
        json_schema_extra={"format": "uri"},
    )


class ReductionSummary(BaseModel):
    """What the log reducer kept."""

    failing_step: str | None
    exit_code: int | None
    lines_in: int
    bytes_in: int
    lines_kept: int
    tokens: int
    blocks_cut: int
    excerpt: str


class AnalysisResult(BaseModel):
    """The explanation and the excerpt it was made from."""

    explanation: Explanation
    reduction: ReductionSummary


class Usage(BaseModel):
    """LLM tokens and estimated cost of one analysis."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0


class CallbackState(BaseModel):
    """Where the result is delivered and how that went."""

    url: str | None
    status: str | None
    attempts: int


class AnalysisOut(BaseModel):
    """One analysis as the API shows it."""

    id: str
    status: Status
    mode: Literal["sync", "async"]
    workflow_name: str | None
    metadata: dict[str, Any] | None
    logs_size_bytes: int
    result: AnalysisResult | None
    error: str | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    reduction_ms: int | None
    processing_duration_ms: int | None
    usage: Usage
    callback: CallbackState | None


class AnalysisPage(BaseModel):
    """A page of analyses, newest first; pass ``next_offset`` as ``offset`` for the next."""

    items: list[AnalysisOut]
    next_offset: int | None


class Problem(BaseModel):
    """An error answer."""

    detail: str
