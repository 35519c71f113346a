"""OpenAI-compatible adapter details that need no server."""

from __future__ import annotations

from argusai.llm.openai_chat import OpenAIChat, _azure_headers


def test_azure_gets_an_api_key_header() -> None:
    assert _azure_headers("https://acme.openai.azure.com/openai/v1/", "k" * 10) == {
        "api-key": "k" * 10
    }
    assert _azure_headers("https://models.github.ai/inference", "k" * 10) is None
    assert _azure_headers("https://acme.openai.azure.com/openai/v1/", None) is None
    assert _azure_headers(None, "k" * 10) is None


def test_repr_hides_the_key() -> None:
    chat = OpenAIChat(api_key="sk-hidden-123456", base_url="http://127.0.0.1:9/v1")
    try:
        assert "sk-hidden" not in repr(chat)
        assert chat.provider == "openai"
    finally:
        chat.close()
