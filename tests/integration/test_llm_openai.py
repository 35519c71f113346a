"""The real ``openai`` SDK, wrapped by ResilientLLM, against the loopback fake."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.testing import capture_logs

from argusai.errors import ConfigError, LLMError, LLMRateLimited, LLMTransientError
from argusai.llm.breaker import BreakerRegistry, CircuitOpenError
from argusai.llm.factory import build_llm
from argusai.llm.openai_chat import OpenAIChat
from argusai.llm.pricing import estimate_cost
from argusai.llm.resilience import ResilientLLM
from argusai.settings import Settings
from tests.fakes.fake_llm import FakeLLMServer, Reply, system_prompt, user_prompt

KEY = "sk-test-SECRET-0123456789"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"findings": {"type": "array", "items": {"type": "string"}}},
    "required": ["findings"],
    "additionalProperties": False,
}


@pytest.fixture
def fake() -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as server:
        yield server


def make_llm(
    fake: FakeLLMServer,
    *,
    model: str = "gpt-4o-mini",
    fallback: str | None = None,
    max_retries: int = 2,
    timeout: float = 5.0,
    breakers: BreakerRegistry | None = None,
    **kw: Any,
) -> ResilientLLM:
    backend = OpenAIChat(api_key=KEY, base_url=fake.base_url, timeout=timeout)
    return ResilientLLM(
        backend,
        model=model,
        fallback_model=fallback,
        max_retries=max_retries,
        backoff_initial=0.001,
        backoff_max=0.01,
        backoff_jitter=0.0,
        breakers=breakers or BreakerRegistry(),
        **kw,
    )


def ask(llm: ResilientLLM) -> Any:
    return llm.complete_json(
        system="You review code.", user="diff --git a/x b/x", schema=SCHEMA, schema_name="review"
    )


def test_json_schema_request_shape_usage_and_cost(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply.json({"findings": ["bug"]}, prompt_tokens=1000, completion_tokens=200))
    with make_llm(fake) as llm:
        completion = ask(llm)

    assert completion.text == '{"findings": ["bug"]}'
    assert completion.model == "gpt-4o-mini"
    assert (completion.prompt_tokens, completion.completion_tokens) == (1000, 200)
    assert completion.cost_usd == pytest.approx(estimate_cost("gpt-4o-mini", 1000, 200))
    assert completion.cost_usd > 0
    req = fake.last_request
    assert req.path == "/chat/completions"
    assert req.headers["authorization"] == f"Bearer {KEY}"
    assert req.json["model"] == "gpt-4o-mini"
    assert req.json["response_format"] == {
        "type": "json_schema",
        "json_schema": {"name": "review", "schema": SCHEMA, "strict": True},
    }
    assert system_prompt(req.json) == "You review code."
    assert user_prompt(req.json) == "diff --git a/x b/x"


def test_server_error_then_success_is_retried(fake: FakeLLMServer) -> None:
    fake.fail(500)
    fake.enqueue({"findings": []})
    with make_llm(fake) as llm:
        completion = ask(llm)
    assert completion.text == '{"findings": []}'
    assert fake.request_count == 2


def test_transient_errors_exhaust_retries(fake: FakeLLMServer) -> None:
    fake.fail(503, times=5)
    with make_llm(fake, max_retries=2) as llm, pytest.raises(LLMTransientError) as info:
        ask(llm)
    assert not isinstance(info.value, LLMRateLimited)
    assert fake.request_count == 3


def test_rate_limit_on_primary_uses_fallback_model(fake: FakeLLMServer) -> None:
    fake.fail(429, retry_after=30)
    fake.enqueue({"findings": []})
    with make_llm(fake, fallback="gpt-4.1-mini") as llm:
        completion = ask(llm)
    assert [r.model for r in fake.requests] == ["gpt-4o-mini", "gpt-4.1-mini"]
    assert completion.model == "gpt-4.1-mini"


def test_rate_limited_everywhere_raises_rate_limited(fake: FakeLLMServer) -> None:
    fake.responder = lambda _req: Reply.error(429, retry_after=0)
    with (
        make_llm(fake, fallback="gpt-4.1-mini", max_retries=1) as llm,
        pytest.raises(LLMRateLimited) as info,
    ):
        ask(llm)
    # primary: one attempt, then straight to the fallback, which is retried once.
    assert [r.model for r in fake.requests] == ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-mini"]
    assert info.value.retry_after == 0


def test_long_retry_after_is_not_slept_through(fake: FakeLLMServer) -> None:
    fake.fail(429, retry_after=3600)
    with make_llm(fake, max_retries=3, retry_after_cap=5) as llm:
        started = time.monotonic()
        with pytest.raises(LLMRateLimited) as info:
            ask(llm)
    assert time.monotonic() - started < 1
    assert info.value.retry_after == 3600
    assert fake.request_count == 1


def test_short_retry_after_is_honoured(fake: FakeLLMServer) -> None:
    fake.fail(429, retry_after=0.3)
    fake.enqueue({"findings": []})
    with make_llm(fake) as llm:
        started = time.monotonic()
        ask(llm)
    assert time.monotonic() - started >= 0.3
    assert fake.request_count == 2


def test_unauthorised_is_permanent_and_never_shows_the_key(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply.error(401, message=f"Incorrect API key provided: {KEY}"))
    with capture_logs() as logs, make_llm(fake, fallback="gpt-4.1") as llm:
        with pytest.raises(LLMError) as info:
            ask(llm)
        structlog.get_logger("test").info("sentinel")
    assert fake.request_count == 1
    assert "401" in str(info.value)
    assert "ARGUS_LLM_API_KEY" in str(info.value)
    assert KEY not in str(info.value)
    assert KEY not in repr(info.value.__cause__) and KEY not in repr(info.value.__context__)
    assert logs and KEY not in repr(logs)
    assert KEY not in repr(llm) and KEY not in repr(llm.backend)


def test_bad_request_not_about_schema_is_permanent(fake: FakeLLMServer) -> None:
    fake.enqueue(Reply.error(400, message="messages: too long"))
    with make_llm(fake) as llm, pytest.raises(LLMError, match="too long"):
        ask(llm)
    assert fake.request_count == 1


@pytest.mark.parametrize(
    "reply",
    [
        Reply.raw("<html>oops</html>", content_type="text/html"),
        Reply.raw("not json at all"),
        Reply.raw({"id": "x", "object": "chat.completion", "choices": []}),
        Reply.raw({"unexpected": True}),
        Reply.json(""),
        Reply.json("   "),
        Reply.json('{"findings": [', finish_reason="length"),
    ],
    ids=["html", "text", "no-choices", "no-fields", "empty", "blank", "truncated"],
)
def test_unusable_answers_raise_llm_error(fake: FakeLLMServer, reply: Reply) -> None:
    fake.enqueue(reply)
    with make_llm(fake) as llm, pytest.raises(LLMError):
        ask(llm)
    assert fake.request_count == 1


def test_fenced_json_is_unwrapped_and_prose_is_passed_on(fake: FakeLLMServer) -> None:
    fake.enqueue('```json\n{"findings": []}\n```', "Sure! Here are the findings.")
    with make_llm(fake) as llm:
        assert ask(llm).text == '{"findings": []}'
        # not JSON: handed to the caller's parser (which may ask for a repair), not retried
        assert ask(llm).text == "Sure! Here are the findings."
    assert fake.request_count == 2


def test_json_schema_rejected_falls_back_to_json_object(fake: FakeLLMServer) -> None:
    def responder(req: dict[str, Any]) -> Reply | str:
        if req["response_format"]["type"] == "json_schema":
            return Reply.error(400, message="response_format json_schema is not supported")
        return '{"findings": ["x"]}'

    fake.responder = responder
    with make_llm(fake) as llm:
        first = ask(llm)
        second = ask(llm)
    assert first.text == second.text == '{"findings": ["x"]}'
    kinds = [r.json["response_format"]["type"] for r in fake.requests]
    # the refusal is remembered: the second call goes straight to json_object
    assert kinds == ["json_schema", "json_object", "json_object"]
    fallback_system = system_prompt(fake.requests[1].json)
    assert fallback_system.startswith("You review code.")
    assert '"findings"' in fallback_system


def test_breaker_opens_fails_fast_and_recovers(fake: FakeLLMServer) -> None:
    breakers = BreakerRegistry(failure_threshold=3, recovery_timeout=0.3)
    fake.responder = lambda _req: Reply.error(500)
    with make_llm(fake, max_retries=1, breakers=breakers) as llm:
        with pytest.raises(LLMTransientError):
            ask(llm)  # 2 attempts
        with pytest.raises(LLMTransientError):
            ask(llm)  # 1 attempt opens the breaker
        assert fake.request_count == 3
        with pytest.raises(CircuitOpenError) as info:
            ask(llm)
        assert fake.request_count == 3  # no network call while open
        assert info.value.retry_after is not None and info.value.retry_after > 0
        assert "circuit open" in str(info.value)

        time.sleep(0.35)
        fake.responder = lambda _req: '{"findings": []}'
        assert ask(llm).text == '{"findings": []}'  # the half-open probe
        assert fake.request_count == 4
        assert breakers.states() == {"openai:gpt-4o-mini": "closed"}


def test_open_breaker_on_primary_moves_to_fallback(fake: FakeLLMServer) -> None:
    breakers = BreakerRegistry(failure_threshold=1, recovery_timeout=60)
    fake.fail(500)
    fake.enqueue({"findings": []})
    with make_llm(fake, fallback="gpt-4.1-mini", max_retries=0, breakers=breakers) as llm:
        assert ask(llm).model == "gpt-4.1-mini"  # primary 500 → fallback
        fake.enqueue({"findings": []})
        assert ask(llm).model == "gpt-4.1-mini"  # primary skipped: its breaker is open
    assert [r.model for r in fake.requests] == ["gpt-4o-mini", "gpt-4.1-mini", "gpt-4.1-mini"]


def test_timeout_is_transient() -> None:
    with (
        FakeLLMServer(latency=1.0) as slow,
        make_llm(slow, timeout=0.2, max_retries=0) as llm,
        pytest.raises(LLMTransientError, match="timeout"),
    ):
        ask(llm)


def test_connection_refused_is_transient() -> None:
    with FakeLLMServer() as gone:
        url = gone.base_url
    backend = OpenAIChat(api_key=KEY, base_url=url, timeout=1.0)
    llm = ResilientLLM(
        backend,
        model="gpt-4o-mini",
        max_retries=1,
        backoff_initial=0.001,
        backoff_jitter=0,
        breakers=BreakerRegistry(),
    )
    with llm, pytest.raises(LLMTransientError, match="connection") as info:
        ask(llm)
    assert KEY not in str(info.value)


def test_build_llm_github_models_with_github_token(
    fake: FakeLLMServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", KEY)
    settings = Settings(
        _env_file=None,
        llm_provider="github-models",
        llm_base_url=fake.github_models_base_url,
        llm_fallback_model="gpt-4.1-mini",
    )
    fake.fail(429)
    fake.enqueue({"findings": []})
    with build_llm(settings, breakers=BreakerRegistry()) as llm:
        completion = ask(llm)
    assert fake.requests[0].path == "/inference/chat/completions"
    assert fake.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert [r.model for r in fake.requests] == ["openai/gpt-4o-mini", "openai/gpt-4.1-mini"]
    assert completion.model == "openai/gpt-4.1-mini"
    assert completion.cost_usd > 0


def test_build_llm_openai_compatible_without_key(fake: FakeLLMServer) -> None:
    settings = Settings(
        _env_file=None,
        llm_provider="openai-compatible",
        llm_base_url=fake.openai_base_url,
        llm_model="llama3.1:8b",
    )
    with build_llm(settings, breakers=BreakerRegistry()) as llm:
        completion = ask(llm)
    assert fake.last_request.path == "/v1/chat/completions"
    assert completion.model == "llama3.1:8b"
    assert completion.cost_usd == 0.0


def test_build_llm_without_key_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITHUB_TOKEN", raising=False)
    monkeypatch.delenv("ARGUS_LLM_API_KEY", raising=False)
    settings = Settings(_env_file=None)
    with pytest.raises(ConfigError, match="ARGUS_LLM_API_KEY"):
        build_llm(settings)


def test_fake_server_routes_latency_and_reset() -> None:
    import httpx

    with FakeLLMServer(latency=0.2) as server:
        server.enqueue("scripted")
        started = time.monotonic()
        models = httpx.get(server.openai_base_url + "/models", timeout=2)
        assert time.monotonic() - started >= 0.2
        assert models.json()["data"][0]["id"] == "fake-model"
        assert httpx.post(server.base_url + "/nope", json={}, timeout=2).status_code == 404
        assert server.pending == 1  # only chat calls consume scripted replies
        server.latency = 0
        azure = server.base_url + "/openai/deployments/d/chat/completions?api-version=2024-10-21"
        answer = httpx.post(azure, json={"model": "d", "messages": []}, timeout=2).json()
        assert answer["choices"][0]["message"]["content"] == "scripted"
        assert [r.api for r in server.requests] == ["other", "other", "openai"]
        server.reset()
        assert server.request_count == 0 and server.pending == 0
