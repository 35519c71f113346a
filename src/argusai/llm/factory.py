"""Build the configured LLM client from Settings."""

from __future__ import annotations

import re

from argusai.errors import ConfigError
from argusai.llm.anthropic_chat import AnthropicChat
from argusai.llm.backend import ChatBackend
from argusai.llm.breaker import BreakerRegistry
from argusai.llm.openai_chat import OpenAIChat
from argusai.llm.resilience import ResilientLLM
from argusai.settings import LLMProvider, Settings

# GitHub Models names models ``publisher/name``; bare OpenAI names get ``openai/``.
_OPENAI_FAMILY = re.compile(r"^(gpt-|o\d|chatgpt-|text-embedding-)", re.IGNORECASE)


def github_models_id(model: str) -> str:
    """``gpt-4o-mini`` → ``openai/gpt-4o-mini``; names with a publisher are kept."""
    if "/" not in model and _OPENAI_FAMILY.match(model):
        return f"openai/{model}"
    return model


def build_backend(settings: Settings) -> ChatBackend:
    """The provider adapter for ``settings.llm_provider``; ConfigError if a setting is missing."""
    missing = settings.missing_for_llm()
    if missing:
        raise ConfigError(
            f"LLM provider {settings.llm_provider.value!r} needs " + ", ".join(missing)
        )
    key = settings.llm_api_key_value()
    base_url = settings.llm_resolved_base_url()
    if settings.llm_provider is LLMProvider.ANTHROPIC:
        assert key is not None  # missing_for_llm() guarantees it
        return AnthropicChat(api_key=key, base_url=base_url, timeout=settings.llm_timeout_seconds)
    return OpenAIChat(
        api_key=key,
        base_url=base_url,
        timeout=settings.llm_timeout_seconds,
        provider=settings.llm_provider.value,
    )


def build_llm(
    settings: Settings, *, breakers: BreakerRegistry | None = None, model: str | None = None
) -> ResilientLLM:
    """The ``LLMClient`` for these settings: provider adapter + retries, fallback, breakers;
    ``model`` replaces ``ARGUS_LLM_MODEL`` (the verification pass's own model)."""
    model, fallback = model or settings.llm_model, settings.llm_fallback_model
    if settings.llm_provider is LLMProvider.GITHUB_MODELS:
        model = github_models_id(model)
        fallback = github_models_id(fallback) if fallback else None
    return ResilientLLM(
        build_backend(settings),
        model=model,
        fallback_model=fallback,
        max_retries=settings.llm_max_retries,
        breakers=breakers,
    )
