"""The port the rest of ArgusAI uses to talk to an LLM."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Completion:
    """What one LLM call returned: its text (JSON expected) and what it cost."""

    text: str
    model: str
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


class LLMClient(Protocol):
    """A chat model that answers with JSON matching a schema."""

    def complete_json(
        self, *, system: str, user: str, schema: dict[str, Any], schema_name: str
    ) -> Completion:
        """Ask for a JSON answer conforming to ``schema``.

        Raises LLMTransientError / LLMRateLimited (retry later) or LLMError (give up)
        after the client's own retries and fallback model are spent.
        """
        ...
