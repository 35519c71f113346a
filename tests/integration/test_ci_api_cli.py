"""The tenant / apikey / usage / ci explain commands through Typer's runner."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from argusai.ci.tenant_cli import apikey_app, explain_command, tenant_app, usage_command
from tests.fakes.fake_llm import FakeLLMServer

ANSWER = {
    "root_cause": "assert 3 == 4 in test_total",
    "failing_step": None,
    "evidence": ["E   assert 3 == 4"],
    "suggested_fix": "Fix [bold]Cart.total()[/bold].",
    "confidence": "medium",
}


def _app() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(tenant_app, name="tenant")
    app.add_typer(apikey_app, name="apikey")
    app.command("usage")(usage_command)
    ci = typer.Typer()
    ci.command("explain")(explain_command)
    ci.command("noop")(lambda: None)
    app.add_typer(ci, name="ci")
    return app


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
    return tmp_path / "data"


def test_tenant_and_key_lifecycle(data_dir: Path) -> None:
    run = CliRunner().invoke
    app = _app()
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
        text = CliRunner().invoke(_app(), ["ci", "explain", str(log)])
        as_json = CliRunner().invoke(_app(), ["ci", "explain", str(log), "--format", "json"])
    assert text.exit_code == 0, text.output
    assert "assert 3 == 4 in test_total" in text.output and "E   assert 3 == 4" in text.output
    data = json.loads(as_json.stdout)
    assert data["confidence"] == "medium" and data["evidence"] == ["E   assert 3 == 4"]
    missing = CliRunner().invoke(_app(), ["ci", "explain", str(tmp_path / "nope.log")])
    assert missing.exit_code != 0
