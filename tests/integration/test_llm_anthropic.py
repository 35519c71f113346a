"""The real ``anthropic`` SDK, wrapped by ResilientLLM, against the loopback fake."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from structlog.testing import capture_logs

from argusai.errors import ConfigError, LLMError, LLMRateLimited
from argusai.llm.anthropic_chat import AnthropicChat, tool_name
from argusai.llm.breaker import BreakerRegistry
from argusai.llm.factory import build_llm
from argusai.llm.pricing import estimate_cost
from argusai.llm.resilience import ResilientLLM
from argusai.settings import Settings
from tests.fakes.fake_llm import FakeLLMServer, Reply, system_prompt, user_prompt

KEY = "sk-ant-test-SECRET-987654321"
MODEL = "claude-haiku-4-5-20251001"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"summary": {"type": "string"}},
    "required": ["summary"],
}


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def make_llm(fake: FakeLLMServer, *, fallback: str | None = None, max_retries: int = 2) -> Any:
    return ResilientLLM(
        AnthropicChat(api_key=KEY, base_url=fake.base_url, timeout=5.0, max_tokens=1000),
        model=MODEL,
        fallback_model=fallback,
        max_retries=max_retries,
        backoff_initial=0.001,
        backoff_max=0.01,
        backoff_jitter=0.0,
        breakers=BreakerRegistry(),
    )


def sent_key(headers: dict[str, str]) -> str | None:
    """The key as the SDK sent it: ``x-api-key``, or a bearer token (anthropic SDK 2.x)."""
    return headers.get("x-api-key") or headers.get("authorization", "").removeprefix("Bearer ")


def ask(llm: ResilientLLM, schema_name: str = "ci_explanation") -> Any:
    return llm.complete_json(
        system="Explain the failure.", user="log tail", schema=SCHEMA, schema_name=schema_name
    )


def test_tool_use_request_shape_and_answer(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply.json({"summary": "tests fail"}, prompt_tokens=2000, completion_tokens=100))
    with make_llm(fake) as llm:
        completion = ask(llm)

    assert json.loads(completion.text) == {"summary": "tests fail"}
    assert completion.model == MODEL
    assert (completion.prompt_tokens, completion.completion_tokens) == (2000, 100)
    assert completion.cost_usd == pytest.approx(estimate_cost(MODEL, 2000, 100))
    assert completion.cost_usd == pytest.approx((2000 * 1 + 100 * 5) / 1e6)
    req = fake.last_request
    assert req.path == "/v1/messages"
    assert sent_key(req.headers) == KEY
    body = req.json
    assert body["model"] == MODEL
    assert body["max_tokens"] == 1000
    assert system_prompt(body) == "Explain the failure."
    assert user_prompt(body) == "log tail"
    assert len(body["tools"]) == 1
    assert body["tools"][0]["name"] == "ci_explanation"
    assert body["tools"][0]["input_schema"] == SCHEMA
    assert body["tool_choice"] == {"type": "tool", "name": "ci_explanation"}


def test_schema_name_is_made_a_valid_tool_name(fake: FakeLLMServer) -> None:
    with make_llm(fake) as llm:
        ask(llm, schema_name="review findings/v2")
    assert fake.last_request.json["tool_choice"]["name"] == "review_findings_v2"
    assert tool_name("") == "answer"


def test_overloaded_is_retried(fake: FakeLLMServer) -> None:
    fake.fail(529, message="Overloaded")
    fake.enqueue({"summary": "ok"})
    with make_llm(fake) as llm:
        assert json.loads(ask(llm).text) == {"summary": "ok"}
    assert fake.request_count == 2


def test_rate_limit_uses_fallback_then_gives_up(fake: FakeLLMServer) -> None:
    fake.fail(429, retry_after=7)
    fake.enqueue({"summary": "ok"})
    with make_llm(fake, fallback="claude-opus-4-5") as llm:
        assert ask(llm).model == "claude-opus-4-5"
        fake.responder = lambda _req: Reply.error(429, retry_after=60)
        with pytest.raises(LLMRateLimited) as info:
            ask(llm)
    assert info.value.retry_after == 60
    assert [r.model for r in fake.requests] == [
        MODEL,
        "claude-opus-4-5",
        MODEL,
        "claude-opus-4-5",
    ]


def test_unauthorised_never_shows_the_key(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply.error(401, message=f"invalid x-api-key {KEY}"))
    with capture_logs() as logs, make_llm(fake) as llm, pytest.raises(LLMError) as info:
        ask(llm)
    assert KEY not in str(info.value) and "401" in str(info.value)
    assert info.value.__context__ is None and info.value.__cause__ is None
    assert logs and KEY not in repr(logs)


@pytest.mark.parametrize(
    "reply",
    [
        Reply.raw({"type": "message", "model": "m", "content": [], "stop_reason": "end_turn"}),
        Reply.json({"summary": "cut"}, finish_reason="max_tokens"),
        Reply.raw({"type": "message", "content": "nope"}),
        Reply.raw("garbage"),
    ],
    ids=["no-content", "truncated", "bad-shape", "not-json"],
)
def test_unusable_answers_raise_llm_error(fake: FakeLLMServer, reply: Reply) -> None:
    fake.enqueue(reply)
    with make_llm(fake) as llm, pytest.raises(LLMError):
        ask(llm)
    assert fake.request_count == 1


def test_text_instead_of_tool_call_is_passed_on(fake: FakeLLMServer) -> None:
    fake.enqueue("I think the build failed.")  # no JSON object: the fake answers with text
    with make_llm(fake) as llm:
        assert ask(llm).text == "I think the build failed."


def test_build_llm_anthropic(fake: FakeLLMServer) -> None:
    settings = Settings(
        _env_file=None,
        llm_provider="anthropic",
        llm_api_key=KEY,
        llm_base_url=fake.base_url,
        llm_model="claude-opus-4-5",
    )
    with build_llm(settings, breakers=BreakerRegistry()) as llm:
        completion = ask(llm)
    assert sent_key(fake.last_request.headers) == KEY
    assert completion.model == "claude-opus-4-5"
    assert completion.cost_usd > 0


def test_build_llm_anthropic_needs_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ARGUS_LLM_API_KEY", raising=False)
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_not_for_anthropic")
    settings = Settings(_env_file=None, llm_provider="anthropic")
    with pytest.raises(ConfigError, match="ARGUS_LLM_API_KEY"):
        build_llm(settings)
