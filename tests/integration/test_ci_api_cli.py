"""The tenant / apikey / usage / ci explain / ci reduce commands, as ``argus`` runs them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from tests.fakes.fake_llm import FakeLLMServer

ANSWER = {
    "root_cause": "assert 3 == 4 in test_total at cart.rs:100: [red]boom[/red]",
    "failing_step": None,
    "evidence": ["E   assert 3 == 4"],
    "suggested_fix": "Fix [bold]Cart.total()[/bold].",
    "confidence": "medium",
}


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_tenant_and_key_lifecycle(data_dir: Path) -> None:
    run = CliRunner().invoke
    created = run(app, ["tenant", "create", "acme", "--tier", "starter"])
    assert created.exit_code == 0, created.output
    secret = created.output.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    # no ARGUS_SECRET_KEY: a key file was generated, private to the owner
    mode = stat.S_IMODE(os.stat(data_dir / "secret.key").st_mode)
    assert mode == 0o600
    assert run(app, ["tenant", "create", "acme"]).exit_code == 1
    made = run(app, ["apikey", "create", "--tenant", "acme", "--name", "ci"])
    key = made.output.strip().splitlines()[-1]
    assert key.startswith("argus_") and made.exit_code == 0
    prefix = key.split("_")[1]
    listed = run(app, ["apikey", "list", "--tenant", "acme"])
    assert prefix in listed.output and key not in listed.output
    rotated = run(app, ["apikey", "rotate", prefix])
    assert rotated.exit_code == 0 and rotated.output.strip().splitlines()[-1].startswith("argus_")
    assert run(app, ["apikey", "revoke", "nope"]).exit_code == 1
    assert run(app, ["usage"]).exit_code == 0
    db = b"".join(p.read_bytes() for p in data_dir.glob("argus.db*"))
    assert key.encode() not in db and secret.encode() not in db


def test_ci_explain_prints_text_and_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "job.log"
    log.write_text("Run pytest\nE   assert 3 == 4\n##[error]Process completed with exit code 1.\n")
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        monkeypatch.setenv("ARGUS_LLM_PROVIDER", "openai-compatible")
        monkeypatch.setenv("ARGUS_LLM_BASE_URL", fake.openai_base_url)
        text = CliRunner().invoke(app, ["ci", "explain", str(log)])
        as_json = CliRunner().invoke(app, ["ci", "explain", str(log), "--format", "json"])
    assert text.exit_code == 0, text.output
    assert "E   assert 3 == 4" in text.output
    # LLM text is printed as written: no rich markup, no emoji codes (":100:" stays)
    assert "assert 3 == 4 in test_total at cart.rs:100: [red]boom[/red]" in text.stdout
    assert "Fix [bold]Cart.total()[/bold]." in text.stdout
    data = json.loads(as_json.stdout)
    assert data["confidence"] == "medium" and data["evidence"] == ["E   assert 3 == 4"]
    missing = CliRunner().invoke(app, ["ci", "explain", str(tmp_path / "nope.log")])
    assert missing.exit_code != 0


def test_tenant_list_as_table_and_json(data_dir: Path) -> None:
    run = CliRunner().invoke
    assert run(app, ["tenant", "list"]).stdout == "no tenants (argus tenant create NAME)\n"
    name = "[b]acme:100:"  # printed as written: no markup, no emoji code
    assert run(app, ["tenant", "create", name, "--tier", "starter"]).exit_code == 0
    assert run(app, ["tenant", "create", "other"]).exit_code == 0
    made = run(app, ["apikey", "create", "--tenant", name, "--name", "[i]ci:100:"])
    key = made.stdout.strip().splitlines()[-1]
    assert run(app, ["apikey", "create", "--tenant", name]).exit_code == 0
    assert run(app, ["apikey", "revoke", key.split("_")[1]]).exit_code == 0

    table = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["tenant", "list"])  # no wrapping
    assert table.exit_code == 0, table.output
    assert name in table.stdout and "starter" in table.stdout
    rows = json.loads(run(app, ["tenant", "list", "--json"]).stdout)
    assert [(t["name"], t["tier"], t["active_keys"]) for t in rows] == [
        (name, "starter", 1),
        ("other", "free", 0),
    ]
    assert all(len(t["id"]) == 36 and t["created_at"] for t in rows)
    assert rows[0]["id"] in table.stdout  # the whole id, to paste into other commands
    keys = CliRunner(env={"COLUMNS": "200"}).invoke(app, ["apikey", "list", "--tenant", name])
    assert "[i]ci:100:" in keys.stdout


def test_ci_explain_of_an_empty_log_never_asks_the_llm(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty.log").write_bytes(b"")
    (tmp_path / "blank.log").write_text("\n  \n\n")
    with FakeLLMServer(responder=lambda _req: ANSWER) as fake:
        monkeypatch.setenv("ARGUS_LLM_PROVIDER", "openai-compatible")
        monkeypatch.setenv("ARGUS_LLM_BASE_URL", fake.openai_base_url)
        for name in ("empty.log", "blank.log"):
            result = CliRunner().invoke(app, ["ci", "explain", str(tmp_path / name)])
            assert result.exit_code == 2, result.output
            assert result.stderr == f"argus: error: {tmp_path / name}: the log is empty\n"
            assert result.stdout == ""
        piped = CliRunner().invoke(app, ["ci", "explain", "-"], input=b"")
        assert piped.exit_code == 2 and piped.stderr == "argus: error: stdin: the log is empty\n"
        assert fake.request_count == 0


def test_ci_reduce_of_a_directory_or_missing_file(tmp_path: Path) -> None:
    folder = CliRunner().invoke(app, ["ci", "reduce", str(tmp_path)])
    assert folder.exit_code == 2
    assert folder.stderr == f"argus: error: {tmp_path} is a directory, not a log file\n"
    missing = CliRunner().invoke(app, ["ci", "reduce", str(tmp_path / "nope.log")])
    assert missing.exit_code == 2
    assert missing.stderr == f"argus: error: {tmp_path / 'nope.log'}: no such file\n"
    empty = tmp_path / "empty.log"
    empty.write_bytes(b"")
    assert CliRunner().invoke(app, ["ci", "reduce", str(empty)]).exit_code == 2
