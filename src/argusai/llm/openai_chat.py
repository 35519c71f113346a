"""OpenAI-compatible chat adapter: GitHub Models (default), OpenAI, Azure, Ollama, vLLM.

Structured output uses ``response_format`` ``json_schema`` (strict). Some compatible
servers reject it with a 400; then the same call is made once more with
``json_object`` and the schema written into the system prompt, and that model is
remembered so later calls skip the rejected form.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import openai
import structlog

from argusai.errors import LLMError
from argusai.llm.backend import (
    ChatRequest,
    ProviderCall,
    SdkErrors,
    json_text,
    priced_completion,
    schema_instructions,
)
from argusai.llm.port import Completion
from argusai.llm.provider_errors import mentions_structured_output

if TYPE_CHECKING:
    import httpx2
    from openai.types.chat import ChatCompletion

log = structlog.get_logger(__name__)

# Ollama and some vLLM deployments need no key, but the SDK insists on one.
NO_KEY_PLACEHOLDER = "unused"
_SDK_ERRORS = SdkErrors(
    status=openai.APIStatusError,
    timeout=openai.APITimeoutError,
    connection=openai.APIConnectionError,
)


class OpenAIChat:
    """One-attempt ``ChatBackend`` over the official ``openai`` SDK (sync, SDK retries off)."""

    def __init__(
        self,
        *,
        api_key: str | None,
        base_url: str | None = None,
        timeout: float = 120.0,
        provider: str = "openai",
        max_tokens: int | None = None,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self._provider = provider
        self._base_url = base_url
        self._api_key = api_key
        self._max_tokens = max_tokens
        self._no_json_schema: set[str] = set()
        self._client = openai.OpenAI(
            api_key=api_key or NO_KEY_PLACEHOLDER,
            base_url=base_url,
            timeout=openai.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=0,
            http_client=http_client,
            default_headers=_azure_headers(base_url, api_key),
        )

    def __repr__(self) -> str:
        return f"OpenAIChat(provider={self._provider!r}, base_url={self._base_url!r})"

    @property
    def provider(self) -> str:
        """Short provider name used in logs, errors and breaker keys."""
        return self._provider

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def send(self, request: ChatRequest, *, model: str, attempt: int = 1) -> Completion:
        """One call to ``model``; falls back to ``json_object`` if ``json_schema`` is refused."""
        if model not in self._no_json_schema:
            try:
                return self._call(request, model, attempt, json_schema=True)
            except _SchemaRejectedError:
                self._no_json_schema.add(model)
                log.info("llm.json_schema_unsupported", provider=self._provider, model=model)
        return self._call(request, model, attempt, json_schema=False)

    def _call(
        self, request: ChatRequest, model: str, attempt: int, *, json_schema: bool
    ) -> Completion:
        if json_schema:
            system = request.system
            response_format: Any = {
                "type": "json_schema",
                "json_schema": {
                    "name": request.schema_name,
                    "schema": request.schema,
                    "strict": True,
                },
            }
        else:
            system = schema_instructions(request)
            response_format = {"type": "json_object"}
        extra: dict[str, Any] = {}
        if self._max_tokens is not None:
            extra["max_tokens"] = self._max_tokens
        call = ProviderCall(self._provider, model, attempt, time.perf_counter(), [self._api_key])
        failure: Exception | None = None
        try:
            response = self._client.chat.completions.create(
                model=model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": request.user},
                ],
                response_format=response_format,
                **extra,
            )
        except (openai.OpenAIError, ValueError) as exc:  # ValueError: a body that is not JSON
            if (
                json_schema
                and isinstance(exc, openai.APIStatusError)
                and mentions_structured_output(exc.status_code, exc.body)
            ):
                call.log_failure(exc.status_code)
                failure = _SchemaRejectedError()
            else:
                failure = call.failed(exc, _SDK_ERRORS)
        # Raised outside the ``except`` so no SDK exception (whose text may echo a
        # key sent back by a server) is chained as ``__context__``.
        if failure is not None:
            raise failure
        completion = self._read(response, model)
        call.log_response(completion, json_schema=json_schema)
        return completion

    def _read(self, response: ChatCompletion, model: str) -> Completion:
        try:
            choices = response.choices
            if not choices:
                raise LLMError(f"{self._provider} model {model!r} returned no choices")
            choice = choices[0]
            message = choice.message
            if getattr(message, "refusal", None):
                raise LLMError(f"{self._provider} model {model!r} refused to answer")
            if choice.finish_reason == "length":
                raise LLMError(
                    f"{self._provider} model {model!r} stopped at its token limit; "
                    "the answer is truncated"
                )
            text = json_text(message.content, provider=self._provider, model=model)
            used = response.model if isinstance(response.model, str) and response.model else model
            usage = response.usage
            prompt = int(usage.prompt_tokens or 0) if usage else 0
            completion = int(usage.completion_tokens or 0) if usage else 0
        except (AttributeError, TypeError, ValueError, IndexError, KeyError):
            raise LLMError(
                f"{self._provider} model {model!r} returned a response of unexpected shape"
            ) from None
        return priced_completion(text, used, prompt, completion)


def _azure_headers(base_url: str | None, api_key: str | None) -> dict[str, str] | None:
    """Azure OpenAI authenticates keys with an ``api-key`` header, not a bearer token."""
    host = urlsplit(base_url or "").hostname or ""
    if api_key and host.endswith((".azure.com", ".azure-api.net")):
        return {"api-key": api_key}
    return None


class _SchemaRejectedError(Exception):
    """Internal: the endpoint refused ``json_schema``; try ``json_object`` instead."""
