"""Anthropic (Claude) adapter: structured output through one forced tool call.

The schema becomes the ``input_schema`` of a single tool and ``tool_choice`` forces
the model to call it; the tool's input is the answer, returned as JSON text.
"""

from __future__ import annotations

import json
import re
import time
from typing import TYPE_CHECKING, Any

import anthropic

from argusai.errors import LLMError
from argusai.llm.backend import (
    ChatRequest,
    ProviderCall,
    SdkErrors,
    json_text,
    priced_completion,
)
from argusai.llm.port import Completion

if TYPE_CHECKING:
    import httpx2
    from anthropic.types import Message


_TOOL_NAME_BAD = re.compile(r"[^a-zA-Z0-9_-]")
_SDK_ERRORS = SdkErrors(
    status=anthropic.APIStatusError,
    timeout=anthropic.APITimeoutError,
    connection=anthropic.APIConnectionError,
)


def tool_name(schema_name: str) -> str:
    """A tool name Anthropic accepts (``^[a-zA-Z0-9_-]{1,64}$``) derived from the schema name."""
    return _TOOL_NAME_BAD.sub("_", schema_name)[:64] or "answer"


class AnthropicChat:
    """One-attempt ``ChatBackend`` over the official ``anthropic`` SDK (sync, SDK retries off)."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: float = 120.0,
        max_tokens: int = 4096,
        http_client: httpx2.Client | None = None,
    ) -> None:
        self._api_key = api_key
        self._base_url = base_url
        self._max_tokens = max_tokens
        self._client = anthropic.Anthropic(
            api_key=api_key,
            base_url=base_url,
            timeout=anthropic.Timeout(timeout, connect=min(timeout, 10.0)),
            max_retries=0,
            http_client=http_client,
        )

    def __repr__(self) -> str:
        return f"AnthropicChat(base_url={self._base_url!r})"

    @property
    def provider(self) -> str:
        """Short provider name used in logs, errors and breaker keys."""
        return "anthropic"

    def close(self) -> None:
        """Release the HTTP connection pool."""
        self._client.close()

    def send(self, request: ChatRequest, *, model: str, attempt: int = 1) -> Completion:
        """One call to ``model`` forcing the answer tool."""
        name = tool_name(request.schema_name)
        tool: Any = {
            "name": name,
            "description": f"Record the answer as a {request.schema_name} object.",
            "input_schema": request.schema,
        }
        call = ProviderCall(self.provider, model, attempt, time.perf_counter(), [self._api_key])
        failure: Exception | None = None
        try:
            message = self._client.messages.create(
                model=model,
                max_tokens=self._max_tokens,
                system=request.system,
                messages=[{"role": "user", "content": request.user}],
                tools=[tool],
                tool_choice={"type": "tool", "name": name},
            )
        except (anthropic.AnthropicError, ValueError) as exc:  # ValueError: a body that is not JSON
            failure = call.failed(exc, _SDK_ERRORS)
        # Raised outside the ``except``: no SDK exception is chained as ``__context__``.
        if failure is not None:
            raise failure
        completion = self._read(message, model, name)
        call.log_response(completion)
        return completion

    def _read(self, message: Message, model: str, name: str) -> Completion:
        try:
            if message.stop_reason == "max_tokens":
                raise LLMError(
                    f"{self.provider} model {model!r} stopped at its token limit; "
                    "the answer is truncated"
                )
            answer = next(
                (
                    block.input
                    for block in message.content
                    if block.type == "tool_use" and block.name == name
                ),
                None,
            )
            if isinstance(answer, dict):
                text = json.dumps(answer, ensure_ascii=False)
            else:
                # The tool call is forced, so this is rare; hand any text to the caller's
                # parser (and its repair step) rather than failing outright.
                said = "".join(b.text for b in message.content if b.type == "text")
                if not said.strip():
                    raise LLMError(f"{self.provider} model {model!r} did not call the answer tool")
                text = json_text(said, provider=self.provider, model=model)
            used = message.model if isinstance(message.model, str) and message.model else model
            prompt = int(message.usage.input_tokens or 0)
            completion = int(message.usage.output_tokens or 0)
        except (AttributeError, TypeError, ValueError, KeyError):
            raise LLMError(
                f"{self.provider} model {model!r} returned a response of unexpected shape"
            ) from None
        return priced_completion(text, used, prompt, completion)
