"""What a provider adapter does: one HTTP attempt for one model, no retries.

Retries, the fallback model and the circuit breaker live in ``resilience.py`` and
wrap any ``ChatBackend``; the adapters (``openai_chat.py``, ``anthropic_chat.py``)
only speak their provider's API and map its failures onto the error tree.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import structlog

from argusai.errors import LLMError
from argusai.llm.port import Completion
from argusai.llm.pricing import estimate_cost
from argusai.llm.provider_errors import connection_error, error_for_status, unusable_response

if TYPE_CHECKING:
    import httpx2

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


class StatusError(Protocol):
    """What an SDK's ``APIStatusError`` carries (openai and anthropic alike)."""

    @property
    def status_code(self) -> int: ...

    @property
    def response(self) -> httpx2.Response: ...

    @property
    def body(self) -> object: ...


@dataclass(frozen=True)
class SdkErrors:
    """An SDK's exception classes, most specific first as the adapters catch them."""

    status: type[StatusError]
    timeout: type[Exception]
    connection: type[Exception]


@dataclass(frozen=True)
class ProviderCall:
    """One attempt in flight: what the failure and response log lines name."""

    provider: str
    model: str
    attempt: int
    started: float
    secrets: Iterable[str | None]

    def failed(self, exc: Exception, sdk: SdkErrors) -> Exception:
        """Log ``exc`` and return the error-tree exception to raise (outside the ``except``).

        ``exc`` is anything the SDK raised, or a ``ValueError`` for a body that is not JSON.
        """
        if isinstance(exc, sdk.status):
            self.log_failure(exc.status_code)
            return error_for_status(
                status=exc.status_code,
                headers=exc.response.headers,
                body=exc.body,
                provider=self.provider,
                model=self.model,
                secrets=self.secrets,
            )
        if isinstance(exc, sdk.connection):
            timed_out = isinstance(exc, sdk.timeout)
            self.log_failure(None, kind="timeout" if timed_out else "connection")
            return connection_error(exc, timed_out, self.provider, self.model, self.secrets)
        self.log_failure(None, kind=type(exc).__name__)
        return unusable_response(exc, self.provider, self.model)

    def log_failure(self, status: int | None, *, kind: str = "http") -> None:
        """The ``llm.request_failed`` line for this attempt."""
        log_request_failure(
            self.provider, self.model, self.attempt, self.started, status, kind=kind
        )

    def log_response(self, completion: Completion, **extra: Any) -> None:
        """The ``llm.response`` line for this attempt's answer."""
        log.info(
            "llm.response",
            provider=self.provider,
            model=completion.model,
            status=200,
            attempt=self.attempt,
            latency_ms=round((time.perf_counter() - self.started) * 1000),
            prompt_tokens=completion.prompt_tokens,
            completion_tokens=completion.completion_tokens,
            cost_usd=completion.cost_usd,
            **extra,
        )
