"""The composition root hands the settings' secrets to the runtime's redactor."""

from pathlib import Path
from typing import Any

from argusai.app import build_runtime
from argusai.app import make_runtime as app_runtime
from argusai.runtime import Runtime
from argusai.store.db import Database
from argusai.workq.huey import create_huey
from tests.conftest import make_settings
from tests.support import make_runtime

SECRET = "dotenv-only-llm-key-value"  # as read from a .env file: never in os.environ


def test_build_runtime_redacts_the_settings_secrets(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, llm_api_key=SECRET)
    settings.data_dir.mkdir(parents=True)
    rt = build_runtime(settings, immediate=True)
    try:
        assert rt.redactor.redact(f"key={SECRET}") == "key=[redacted]"
        assert SECRET not in repr(rt)
    finally:
        rt.db.dispose()


def test_a_runtime_built_from_parts_without_a_redactor_redacts_only_token_shapes(
    tmp_path: Path,
) -> None:
    settings = make_settings(tmp_path, llm_api_key=SECRET)
    settings.data_dir.mkdir(parents=True)
    db = Database(settings.resolved_database_url())
    rt: Runtime = app_runtime(
        settings, db, create_huey(settings.resolved_queue_url()), _unused, _unused
    )
    try:
        assert rt.redactor.redact(f"key={SECRET}") == f"key={SECRET}"
        assert rt.redactor.redact("ghp_" + "a" * 36) == "[redacted]"
    finally:
        db.dispose()


def test_the_tests_runtime_redacts_like_production(tmp_path: Path) -> None:
    rt = make_runtime(make_settings(tmp_path, llm_api_key=SECRET))
    assert rt.redactor.redact(f"key={SECRET}") == "key=[redacted]"
    rt.db.dispose()


def _unused() -> Any:
    raise AssertionError("not used here")


def test_every_secret_setting_is_redacted(tmp_path: Path) -> None:
    """A SecretStr setting added later is covered without touching the redactor."""
    from argusai.logs import settings_secrets
    from argusai.settings import Settings

    secret_fields = [
        name
        for name, field in Settings.model_fields.items()
        if "SecretStr" in str(field.annotation)
    ]
    assert "github_client_secret" in secret_fields
    # the private key is a PEM (validated), covered by its own test above
    values = {
        name: f"value-of-{name}-0123456789"
        for name in secret_fields
        if name != "github_private_key"
    }
    settings = make_settings(tmp_path, **values)
    found = set(settings_secrets(settings))
    assert all(v in found for v in values.values())
