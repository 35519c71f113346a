"""``argus config``: the operator's settings on a temporary data dir (real SQLite, migrated
by the command), and ``argus config check`` on files."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from argusai.cli import app


@pytest.fixture(autouse=True)
def data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_LOG_FORMAT", "json")
    monkeypatch.delenv("ARGUS_DATABASE_URL", raising=False)
    monkeypatch.setenv("ARGUS_MAX_COMMENTS_PER_REVIEW", "7")
    return tmp_path / "data"


def argus(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def rows(output: str) -> dict[str, tuple[str, str]]:
    """``key  value  source`` lines → {key: (value, source)}."""
    out = {}
    for line in output.splitlines():
        parts = line.split(None, 2)
        if len(parts) == 3 and not line.startswith(" "):
            out[parts[0]] = (parts[1], parts[2])
    return out


def test_set_show_and_unset_per_scope() -> None:
    assert argus("config", "set", "severity_threshold", "high", "--global").exit_code == 0
    assert argus("config", "set", "maxFilesPerPR", "5", "--installation", "42").exit_code == 0
    set_repo = argus("config", "set", "severity_threshold", "critical", "--repo", "Octo/Shop")
    assert set_repo.exit_code == 0
    assert set_repo.stdout.startswith('severity_threshold = "critical" — operator (repository')
    assert argus("config", "set", "checks.secrets", "false", "--repo", "octo/shop").exit_code == 0

    shown = rows(argus("config", "show", "--repo", "octo/shop", "--installation", "42").stdout)
    assert shown["severity_threshold"] == ('"critical"', "operator (repository octo/shop)")
    assert shown["max_files"] == ("5", "operator (installation 42)")  # the seeds' alias
    assert shown["max_comments"] == ("7", "server")  # ARGUS_MAX_COMMENTS_PER_REVIEW
    assert shown["checks.secrets"] == ("false", "operator (repository octo/shop)")
    assert shown["checks.large_files"] == ("true", "default")

    glob = rows(argus("config", "show").stdout)  # --global by default
    assert glob["severity_threshold"] == ('"high"', "operator (global)")
    assert glob["max_files"][1] == "server"

    unset = argus("config", "unset", "severity_threshold", "--repo", "octo/shop")
    assert unset.exit_code == 0 and "unset" in unset.stdout
    again = argus("config", "unset", "severity_threshold", "--repo", "octo/shop")
    assert again.exit_code == 0 and "was not set" in again.stdout
    shown = rows(argus("config", "show", "--repo", "octo/shop").stdout)
    assert shown["severity_threshold"] == ('"high"', "operator (global)")


def test_a_value_is_yaml_and_text_keys_take_any_text() -> None:
    argus("config", "set", "include", "['**/*.{js,ts}', src/**]", "--global")
    argus("config", "set", "instructions", "Prefer pathlib: always", "--global")
    shown = rows(argus("config", "show").stdout)
    assert shown["include"][0] == '["**/*.{js,ts}",'
    assert shown["instructions"][0] == '"Prefer'


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("set", "colour", "red", "--global"), "unknown key 'colour'"),
        (("set", "max_comments", "lots", "--global"), "max_comments: `max_comments`"),
        (("set", "checks", "{secrets: false}", "--global"), "one key at a time"),
        (("set", "language", "fr", "--global", "--repo", "a/b"), "exactly one of"),
        (("set", "language", "fr"), "exactly one of"),
        (("set", "language", "fr", "--repo", "not a repo"), "--repo wants OWNER/NAME"),
        (("show", "--global", "--repo", "a/b"), "--global shows the global layer alone"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args: tuple[str, ...], message: str) -> None:
    result = argus("config", *args)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("argus: error: ") and message in result.stderr
    assert result.stderr.count("\n") == 1


def test_check_prints_the_effective_result_and_exits_1_on_problems(tmp_path: Path) -> None:
    good = tmp_path / ".argus.yml"
    good.write_text("filePatterns: ['**/*.{js,ts,py}']\nmax_comments: 3\n")
    result = argus("config", "check", str(good))
    assert result.exit_code == 0, result.output
    shown = rows(result.stdout)
    assert shown["include"] == ('["**/*.{js,ts,py}"]', str(good))
    assert shown["max_comments"] == ("3", str(good))
    assert shown["verify"][1] == "server"
    assert "no problems" in result.stderr

    bad = tmp_path / "bad.yml"
    bad.write_text("colour: red\nseverity_threshold: urgent\nlanguage: Deutsch\n")
    result = argus("config", "check", str(bad))
    assert result.exit_code == 1
    assert "unknown key `colour` (ignored)" in result.stderr
    assert "`severity_threshold`" in result.stderr
    assert rows(result.stdout)["language"] == ('"Deutsch"', str(bad))


def test_check_a_prompt_template(tmp_path: Path) -> None:
    good = tmp_path / "review.j2"
    good.write_text("Review {{ repo }}.\n{{ diff }}\n")
    result = argus("config", "check", str(good))
    assert result.exit_code == 0 and "a usable prompt template" in result.stdout
    bad = tmp_path / "escape.j2"
    bad.write_text("{{ ''.__class__.__mro__ }}{{ diff }}")
    result = argus("config", "check", str(bad))
    assert result.exit_code == 1 and "refused by the sandbox" in result.stdout


def test_check_a_missing_file_is_one_line() -> None:
    result = argus("config", "check", "no-such.yml")
    assert result.exit_code == 2
    assert result.stderr.startswith("argus: error: no-such.yml")


def test_help_names_the_scopes() -> None:
    result = argus("config", "set", "--help")
    assert result.exit_code == 0
    for option in ("--repo", "--installation", "--global"):
        assert option in result.stdout


def test_a_stored_value_that_no_longer_validates_is_a_warning(data_dir: Path) -> None:
    from sqlalchemy import update

    from argusai.review.operator_config import OperatorSetting
    from argusai.store.db import Database

    assert argus("config", "set", "max_comments", "4", "--global").exit_code == 0
    db = Database(f"sqlite:///{data_dir / 'argus.db'}")
    with db.session() as s:
        s.execute(update(OperatorSetting).values(value={"value": "lots"}))
    db.dispose()
    result = argus("config", "show")
    assert result.exit_code == 0
    assert rows(result.stdout)["max_comments"] == ("7", "server")
    assert "warning: operator (global): `max_comments`" in result.stderr
