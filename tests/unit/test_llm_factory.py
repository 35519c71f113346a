"""build_llm: provider selection, model ids, missing settings; builds clients, no I/O."""

from __future__ import annotations

from typing import Any

import pytest

from argusai.errors import ConfigError
from argusai.llm.anthropic_chat import AnthropicChat
from argusai.llm.breaker import BreakerRegistry
from argusai.llm.factory import build_llm, github_models_id
from argusai.llm.openai_chat import OpenAIChat
from argusai.settings import Settings

KEY = "ghp_secret_token_0123456789"


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_TOKEN", "ARGUS_LLM_API_KEY", "ARGUS_LLM_BASE_URL", "ARGUS_LLM_MODEL"):
        monkeypatch.delenv(name, raising=False)


def settings(**kw: Any) -> Settings:
    return Settings(_env_file=None, **kw)


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("gpt-4o-mini", "openai/gpt-4o-mini"),
        ("o3-mini", "openai/o3-mini"),
        ("openai/gpt-4.1", "openai/gpt-4.1"),
        ("meta/Llama-4-Scout-17B-16E-Instruct", "meta/Llama-4-Scout-17B-16E-Instruct"),
        ("Mistral-small", "Mistral-small"),
    ],
)
def test_github_models_ids(model: str, expected: str) -> None:
    assert github_models_id(model) == expected


def test_github_models_default_uses_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", KEY)
    llm = build_llm(
        settings(llm_fallback_model="gpt-4.1-mini", llm_max_retries=1),
        breakers=BreakerRegistry(),
    )
    with llm:
        assert isinstance(llm.backend, OpenAIChat)
        assert llm.backend.provider == "github-models"
        assert (llm.model, llm.fallback_model) == ("openai/gpt-4o-mini", "openai/gpt-4.1-mini")
        assert "models.github.ai/inference" in repr(llm)
        assert KEY not in repr(llm)


@pytest.mark.parametrize(
    ("kw", "needed"),
    [
        ({}, "ARGUS_LLM_API_KEY"),
        ({"llm_provider": "openai"}, "ARGUS_LLM_API_KEY"),
        ({"llm_provider": "anthropic"}, "ARGUS_LLM_API_KEY"),
        ({"llm_provider": "openai-compatible"}, "ARGUS_LLM_BASE_URL"),
    ],
)
def test_missing_settings_raise_config_error(kw: dict[str, Any], needed: str) -> None:
    with pytest.raises(ConfigError, match=needed):
        build_llm(settings(**kw))


def test_anthropic_provider() -> None:
    llm = build_llm(
        settings(llm_provider="anthropic", llm_api_key=KEY, llm_model="claude-haiku-4-5"),
        breakers=BreakerRegistry(),
    )
    with llm:
        assert isinstance(llm.backend, AnthropicChat)
        assert llm.model == "claude-haiku-4-5"
        assert KEY not in repr(llm)


def test_openai_provider_keeps_model_names() -> None:
    with build_llm(settings(llm_provider="openai", llm_api_key=KEY)) as llm:
        assert llm.model == "gpt-4o-mini"
        assert llm.backend.provider == "openai"
