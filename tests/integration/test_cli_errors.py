"""Start-up failures of every command that opens the database: one line, exit 2, no traceback.

And what the commands leave on disk: a private data dir (0700) and database files (0600).
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from argusai.cli import app

#: every command that opens the database (serve and worker would serve if start-up passed)
DB_COMMANDS = [
    ["serve", "--port", "1"],
    ["worker"],
    ["db", "upgrade"],
    ["jobs", "dead"],
    ["jobs", "retry", "1"],
    ["scout", "run"],
    ["scout", "list"],
    ["scout", "source", "list"],
    ["tenant", "create", "acme"],
    ["tenant", "list"],
    ["apikey", "list", "--tenant", "acme"],
    ["usage"],
]


def _ids(command: list[str]) -> str:
    return " ".join(command[:2])


def one_line_error(result: Result, variable: str) -> str:
    """The single stderr line of a failed command, checked to name ``variable``."""
    assert result.exit_code == 2, (result.exit_code, result.output, result.exception)
    assert "Traceback" not in result.output
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"argus: error: {variable}: "), lines[0]
    assert result.stdout == ""
    return lines[0]


BAD_SETTINGS = {
    "not-a-url": ("ARGUS_DATABASE_URL", "foo", "'foo' is not a database URL"),
    "mysql": (
        "ARGUS_DATABASE_URL",
        "mysql://argus@127.0.0.1/argus",
        "unsupported database 'mysql'",
    ),
    "closed-port": (
        "ARGUS_DATABASE_URL",
        "postgresql+psycopg://argus@127.0.0.1:1/argus",
        "cannot open postgresql+psycopg://argus@127.0.0.1:1/argus",
    ),
    "data-dir": ("ARGUS_DATA_DIR", "/proc/argus", "cannot create /proc/argus"),
}


@pytest.mark.parametrize("command", DB_COMMANDS, ids=_ids)
@pytest.mark.parametrize("bad", list(BAD_SETTINGS), ids=str)
def test_bad_database_url_or_data_dir_is_one_line_for_every_command(
    command: list[str], bad: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    variable, value, cause = BAD_SETTINGS[bad]
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv(variable, value)
    line = one_line_error(CliRunner().invoke(app, command), variable)
    assert cause in line


def test_sqlite_url_in_a_missing_folder_is_refused_not_created(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_DATABASE_URL", f"sqlite:///{tmp_path / 'typo' / 'argus.db'}")
    for command in (["db", "upgrade"], ["jobs", "dead"], ["tenant", "list"]):
        line = one_line_error(CliRunner().invoke(app, command), "ARGUS_DATABASE_URL")
        assert f"folder {tmp_path / 'typo'} does not exist" in line
    assert not (tmp_path / "typo").exists()


def test_missing_postgresql_database_is_one_line(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A server that answers, a database that does not exist (skips without PostgreSQL)."""
    missing = postgres_url.rsplit("/", 1)[0] + f"/argus_missing_{uuid.uuid4().hex[:8]}"
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ARGUS_DATABASE_URL", missing)
    line = one_line_error(CliRunner().invoke(app, ["db", "upgrade"]), "ARGUS_DATABASE_URL")
    assert "does not exist" in line


@pytest.mark.parametrize("command", DB_COMMANDS, ids=_ids)
def test_invalid_setting_is_one_line(command: list[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_JOB_LEASE_SECONDS", "soon")
    line = one_line_error(CliRunner().invoke(app, command), "ARGUS_JOB_LEASE_SECONDS")
    assert "valid integer" in line


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_data_dir_and_database_files_are_private(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    old_umask = os.umask(0o022)  # the usual umask, under which files come out 0644
    try:
        assert CliRunner().invoke(app, ["db", "upgrade"]).exit_code == 0
        assert CliRunner().invoke(app, ["scout", "list"]).exit_code == 0  # opens the queue
    finally:
        os.umask(old_umask)
    data = tmp_path / "data"
    assert _mode(data) == 0o700
    files = sorted(p.name for p in data.iterdir() if p.name.startswith(("argus.db", "queue.db")))
    assert {"argus.db", "queue.db"} <= set(files)
    assert {name: _mode(data / name) for name in files} == dict.fromkeys(files, 0o600)


def test_scout_run_resume_of_an_unknown_run(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    result = CliRunner().invoke(app, ["scout", "run", "--resume", "999"])
    assert result.exit_code == 2, result.output
    assert result.stderr == "argus: error: --resume 999: no such scout run\n"
