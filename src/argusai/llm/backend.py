"""What a provider adapter does: one HTTP attempt for one model, no retries.

Retries, the fallback model and the circuit breaker live in ``resilience.py`` and
wrap any ``ChatBackend``; the adapters (``openai_chat.py``, ``anthropic_chat.py``)
only speak their provider's API and map its failures onto the error tree.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass
from typing import Any, Protocol

import structlog

from argusai.errors import LLMError
from argusai.llm.port import Completion
from argusai.llm.pricing import estimate_cost

log = structlog.get_logger(__name__)
_FENCE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```\s*$", re.DOTALL)


@dataclass(frozen=True)
class ChatRequest:
    """One structured-output question: prompts plus the JSON schema of the answer."""

    system: str
    user: str
    schema: dict[str, Any]
    schema_name: str


class ChatBackend(Protocol):
    """A provider adapter: ``send`` makes exactly one attempt against ``model``."""

    @property
    def provider(self) -> str:
        """Short provider name used in logs, errors and breaker keys."""
        ...

    def send(self, request: ChatRequest, *, model: str, attempt: int = 1) -> Completion:
        """One call; raises LLMTransientError / LLMRateLimited / LLMError on failure."""
        ...

    def close(self) -> None:
        """Release the HTTP connection pool."""
        ...


def json_text(raw: str | None, *, provider: str, model: str) -> str:
    """The answer text with a JSON code fence stripped; LLMError only if it is empty.

    Text that is still not JSON is returned as is: parsing it is the caller's job
    (LLM output is untrusted input), and the review engine asks for one repair.
    """
    if raw is None or not raw.strip():
        raise LLMError(f"{provider} model {model!r} returned an empty answer")
    text = raw.strip()
    fenced = _FENCE.match(text)
    candidate = fenced.group(1).strip() if fenced else text
    try:
        json.loads(candidate)
    except ValueError:
        log.warning("llm.answer_not_json", provider=provider, model=model, chars=len(text))
        return text
    return candidate


def schema_instructions(request: ChatRequest) -> str:
    """The system prompt extended with the schema, for endpoints without JSON-schema mode."""
    return (
        f"{request.system}\n\nAnswer with one JSON object only, no prose and no code fences. "
        f"It must conform to this JSON schema (named {request.schema_name!r}):\n"
        f"{json.dumps(request.schema, separators=(',', ':'))}"
    )


def priced_completion(
    text: str, model: str, prompt_tokens: int, completion_tokens: int
) -> Completion:
    """A Completion with its estimated cost (every provider reports the same way)."""
    return Completion(
        text=text,
        model=model,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=estimate_cost(model, prompt_tokens, completion_tokens),
    )


def log_request_failure(
    provider: str, model: str, attempt: int, started: float, status: int | None, *, kind: str
) -> None:
    """One log line per failed provider call: what, how long; never the prompt or the key."""
    log.warning(
        "llm.request_failed",
        provider=provider,
        model=model,
        status=status,
        error=kind,
        attempt=attempt,
        latency_ms=round((time.perf_counter() - started) * 1000),
    )
