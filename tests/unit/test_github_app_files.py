"""Writing the App's credentials: the .env merge, quoting, the refusal, file modes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pydantic_settings import BaseSettings, SettingsConfigDict

from argusai.errors import InputError
from argusai.github.app_files import (
    Destination,
    existing_credentials,
    merged_env,
    quote,
    refuse_to_overwrite,
    write_credentials,
    write_private,
)
from argusai.github.manifest import GitHubSite, parse_conversion
from tests.fakes.keys import generate_rsa_keypair


class _Read(BaseSettings):
    """Reads a .env the way Settings does (pydantic-settings, python-dotenv)."""

    model_config = SettingsConfigDict(env_prefix="X_", extra="ignore")
    value: str = ""


@pytest.mark.parametrize(
    "value",
    ["plain-1.2:3/4@x", "with space", "has 'single'", "both ' and \"\\", "dollar $x", "#hash"],
)
def test_quoted_values_read_back_unchanged(tmp_path: Path, value: str) -> None:
    env = tmp_path / ".env"
    env.write_text(f"X_VALUE={quote(value)}\n")
    assert _Read(_env_file=env).value == value  # type: ignore[call-arg]


def test_what_dotenv_would_change_is_not_written() -> None:
    with pytest.raises(ValueError, match="line break"):
        quote("a\nb")
    with pytest.raises(ValueError, match="'\\$\\{'"):
        quote("${HOME}")  # python-dotenv expands it, in quotes too


def test_merge_keeps_other_lines_and_replaces_the_previous_app() -> None:
    old = (
        "# mine\n"
        "ARGUS_LLM_API_KEY=sk-keep\n"
        "export ARGUS_GITHUB_APP_ID=1\n"
        "ARGUS_GITHUB_PRIVATE_KEY='-----BEGIN…'\n"
        "ARGUS_GITHUB_APP_SLUG=old-app\n"
        "ARGUS_LOG_LEVEL=DEBUG\n\n\n"
    )
    text = merged_env(old, {"ARGUS_GITHUB_APP_ID": "2"}, "new App")
    assert text == (
        "# mine\nARGUS_LLM_API_KEY=sk-keep\nARGUS_LOG_LEVEL=DEBUG\n"
        "\n# new App\nARGUS_GITHUB_APP_ID=2\n"
    )
    assert merged_env("", {"A": "b"}, "h") == "# h\nA=b\n"


@pytest.mark.parametrize(
    ("lines", "found"),
    [
        ("ARGUS_GITHUB_APP_ID=\nARGUS_GITHUB_WEBHOOK_SECRET=''\n", []),
        ('ARGUS_GITHUB_CLIENT_SECRET=""  \n# ARGUS_GITHUB_APP_ID=3\n', []),
        ("ARGUS_GITHUB_APP_ID= # later\n", []),
        ("ARGUS_LLM_API_KEY=x\nexport ARGUS_GITHUB_APP_ID=3\n", ["ARGUS_GITHUB_APP_ID"]),
        ("ARGUS_GITHUB_PRIVATE_KEY='-----BEGIN'\n", ["ARGUS_GITHUB_PRIVATE_KEY"]),
    ],
)
def test_existing_credentials_are_what_is_set(tmp_path: Path, lines: str, found: list[str]) -> None:
    dest = Destination(tmp_path / ".env")
    dest.env_file.write_text(lines)
    assert existing_credentials(dest) == found


def test_the_key_file_alone_counts_and_force_lets_it_go(tmp_path: Path) -> None:
    dest = Destination(tmp_path / "conf" / ".env")
    refuse_to_overwrite(dest, force=False)  # nothing there, not even the folder
    dest.key_file.parent.mkdir()
    dest.key_file.write_text("old key")
    with pytest.raises(InputError, match="--force") as refused:
        refuse_to_overwrite(dest, force=False)
    assert "argus-app.private-key.pem" in str(refused.value)
    refuse_to_overwrite(dest, force=True)


def test_files_are_written_for_the_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    path.write_text("old")
    path.chmod(0o644)
    write_private(path, "new")
    assert path.read_text() == "new"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temporary file left


def test_write_credentials_key_first_then_env(tmp_path: Path) -> None:
    private_pem, _ = generate_rsa_keypair()
    app = parse_conversion(
        {
            "id": 5,
            "slug": "argusai",
            "name": "ArgusAI",
            "html_url": "https://git.example.com/github-apps/argusai",
            "client_id": "Iv1.x",
            "client_secret": "cs",
            "webhook_secret": None,
            "pem": private_pem.rstrip("\n"),
        }
    )
    dest = Destination(tmp_path / "a dir" / ".env")
    site = GitHubSite.of("https://git.example.com")
    written = write_credentials(dest, app, site, header="h")
    assert written == [
        "ARGUS_GITHUB_APP_ID",
        "ARGUS_GITHUB_PRIVATE_KEY_PATH",
        "ARGUS_GITHUB_CLIENT_ID",
        "ARGUS_GITHUB_CLIENT_SECRET",
        "ARGUS_GITHUB_API_URL",
        "ARGUS_GITHUB_WEB_URL",
    ]  # no webhook secret came: none written
    assert dest.key_file.read_text() == private_pem
    text = dest.env_file.read_text()
    assert f"ARGUS_GITHUB_PRIVATE_KEY_PATH='{dest.key_file.resolve()}'" in text
    assert "ARGUS_GITHUB_API_URL=https://git.example.com/api/v3" in text
    for path in (dest.env_file, dest.key_file):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
