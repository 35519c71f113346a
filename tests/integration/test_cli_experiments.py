"""``argus experiments`` on a temporary data dir (real SQLite, migrated by the command)."""

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
    return tmp_path / "data"


def argus(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def test_create_list_show_stop_promote() -> None:
    created = argus(
        "experiments", "create", "models",
        "--arm", "a:model=gpt-4o-mini",
        "--arm", "b:model=gpt-4o,template=strict",
        "--split", "50,50", "--repo", "Octo/Repo",
    )  # fmt: skip
    assert created.exit_code == 0, created.output
    assert "experiment models running: a 50 %, b 50 %" in created.output

    listed = argus("experiments", "list")
    assert listed.exit_code == 0 and "models  running  arms a, b" in listed.output

    shown = argus("experiments", "show", "models")
    assert shown.exit_code == 0, shown.output
    assert "scope octo/repo" in shown.output
    assert "minimum sample: 30 decided findings per arm" in shown.output
    assert "b (50 %): model=gpt-4o, template=strict" in shown.output
    assert "reviews 0, LLM failures 0" in shown.output
    assert "verdict: no winner yet" in shown.output

    assert argus("experiments", "stop", "models").exit_code == 0
    assert "models  stopped" in argus("experiments", "list").output

    promoted = argus("experiments", "promote", "models", "b")
    assert promoted.exit_code == 0 and "b is now the default" in promoted.output
    assert "winner b" in argus("experiments", "list").output


@pytest.mark.parametrize(
    "args",
    [
        ("create", "x", "--arm", "a:model=m"),  # one arm
        ("create", "x", "--arm", "a:model=m", "--arm", "b:model=n", "--split", "60,60"),
        ("create", "x", "--arm", "a:colour=red", "--arm", "b"),
        ("show", "nope"),
        ("promote", "nope", "a"),
    ],
)
def test_bad_input_exits_non_zero(args: tuple[str, ...]) -> None:
    result = argus("experiments", *args)
    assert result.exit_code != 0
    assert "Traceback" not in result.output


def test_promote_wants_a_known_arm() -> None:
    argus("experiments", "create", "m", "--arm", "a", "--arm", "b:model=x")
    result = argus("experiments", "promote", "m", "c")
    assert result.exit_code != 0 and "no arm 'c'" in result.output
