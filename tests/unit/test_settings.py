from pathlib import Path

import pytest

from argusai.errors import ConfigError
from argusai.settings import DEFAULT_EVENTS, LLMProvider, load_settings


def test_defaults_are_embedded_and_name_missing_settings(tmp_path: Path) -> None:
    settings = load_settings(_env_file=None)
    assert settings.resolved_database_url().startswith("sqlite:///")
    assert settings.resolved_queue_url().endswith("queue.db")
    assert settings.resolved_queue_url() != settings.resolved_database_url()
    assert settings.review_enabled_events == DEFAULT_EVENTS
    assert settings.max_files_per_review == 20
    assert settings.max_comments_per_review == 10
    assert settings.llm_provider is LLMProvider.GITHUB_MODELS
    assert settings.llm_model == "gpt-4o-mini"
    assert settings.missing_for_webhooks() == [
        "ARGUS_GITHUB_WEBHOOK_SECRET",
        "ARGUS_GITHUB_APP_ID",
        "ARGUS_GITHUB_PRIVATE_KEY (or ARGUS_GITHUB_PRIVATE_KEY_PATH)",
    ]


def test_reads_argus_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_REVIEW_ENABLED_EVENTS", "pull_request.opened, pull_request.closed")
    monkeypatch.setenv("ARGUS_MAX_FILES_PER_REVIEW", "7")
    monkeypatch.setenv("ARGUS_LLM_PROVIDER", "anthropic")
    settings = load_settings(_env_file=None)
    assert settings.review_enabled_events == ("pull_request.opened", "pull_request.closed")
    assert settings.max_files_per_review == 7
    assert settings.llm_provider is LLMProvider.ANTHROPIC


def test_dotenv_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / ".env").write_text("ARGUS_LLM_MODEL=gpt-4.1-mini\nARGUS_GITHUB_APP_ID=42\n")
    monkeypatch.chdir(tmp_path)
    settings = load_settings()
    assert settings.llm_model == "gpt-4.1-mini"
    assert settings.github_app_id == 42


def test_github_token_is_the_github_models_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghs_fallbacktoken")
    assert load_settings(_env_file=None).llm_api_key_value() == "ghs_fallbacktoken"
    monkeypatch.setenv("ARGUS_LLM_PROVIDER", "openai")
    assert load_settings(_env_file=None).llm_api_key_value() is None


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("ARGUS_LLM_PROVIDER", "skynet", "ARGUS_LLM_PROVIDER"),
        (
            "ARGUS_GITHUB_PRIVATE_KEY",
            "-----BEGIN RSA PRIVATE KEY-----\nnope\n-----END RSA PRIVATE KEY-----",
            "ARGUS_GITHUB_PRIVATE_KEY",
        ),
        ("ARGUS_GITHUB_PRIVATE_KEY_PATH", "/nonexistent/key.pem", "ARGUS_GITHUB_PRIVATE_KEY_PATH"),
        ("ARGUS_GITHUB_APP_ID", "not-a-number", "ARGUS_GITHUB_APP_ID"),
        ("ARGUS_MAX_FILES_PER_REVIEW", "0", "ARGUS_MAX_FILES_PER_REVIEW"),
        ("ARGUS_LOG_LEVEL", "LOUD", "ARGUS_LOG_LEVEL"),
    ],
)
def test_invalid_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, named: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)
    assert named in str(info.value)


def test_bad_private_key_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_GITHUB_PRIVATE_KEY", "supersecretgarbagekeymaterial")
    with pytest.raises(ConfigError) as info:
        load_settings(_env_file=None)
    assert "supersecretgarbagekeymaterial" not in str(info.value)
