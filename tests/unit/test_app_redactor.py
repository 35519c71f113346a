"""The composition root hands the settings' secrets to the runtime's redactor."""

from pathlib import Path

from argusai.app import build_runtime
from argusai.runtime import Runtime
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


def test_a_runtime_built_from_parts_redacts_only_token_shapes_and_the_environment(
    tmp_path: Path,
) -> None:
    rt: Runtime = make_runtime(make_settings(tmp_path, llm_api_key=SECRET))
    assert rt.redactor.redact(f"key={SECRET}") == f"key={SECRET}"
    assert rt.redactor.redact("ghp_" + "a" * 36) == "[redacted]"
