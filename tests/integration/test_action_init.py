"""``argus action init`` writes a workflow that is valid YAML with the triggers, permissions
and step the Action needs; ``action.yml`` at the repository root is a composite action that
installs ArgusAI at its own ref and runs ``argus action run`` with its inputs as variables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from typer.testing import CliRunner

from argusai import __version__
from argusai.cli import app

ROOT = Path(__file__).resolve().parents[2]


def init(*args: str) -> Any:
    return CliRunner().invoke(app, ["action", "init", *args])


def load(path: Path) -> dict[Any, Any]:
    data = yaml.safe_load(path.read_text())
    assert isinstance(data, dict)
    return data


def test_the_default_workflow(tmp_path: Path) -> None:
    result = init()
    assert result.exit_code == 0, result.output
    path = Path(".github/workflows/argusai.yml")
    assert path.resolve() == (tmp_path / path).resolve()  # the tests run in tmp_path
    flow = load(path)
    # YAML 1.1 reads the key `on` as True
    triggers = flow[True]
    assert triggers["pull_request"]["types"] == [
        "opened",
        "reopened",
        "ready_for_review",
        "synchronize",
    ]
    assert triggers["repository_dispatch"] == {"types": ["argusai-review"]}
    assert flow["permissions"] == {
        "contents": "read",
        "pull-requests": "write",
        "checks": "write",
        "models": "read",
    }
    assert "pr_number" in flow["concurrency"]["group"]
    (step,) = flow["jobs"]["review"]["steps"]
    assert step["uses"] == f"argusai/argusai@v{__version__}"
    assert "actions/checkout" not in path.read_text().replace("no actions/checkout", "")
    assert "argusai-review" in path.read_text()  # what a server's hand-off looks for


def test_options_and_no_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "flows" / "review.yaml"
    args = [
        "--path",
        str(target),
        "--target",
        "--fail-on",
        "high",
        "--sarif",
        "--uses",
        "me/argusai@v1",
    ]
    assert init(*args).exit_code == 0
    flow = load(target)
    assert set(flow[True]) == {"pull_request_target", "repository_dispatch"}
    assert flow["permissions"]["security-events"] == "write"
    review, upload = flow["jobs"]["review"]["steps"]
    assert review == {
        "uses": "me/argusai@v1",
        "id": "argus",
        "with": {"fail-on": "high", "sarif-file": "argusai.sarif"},
    }
    assert upload["uses"].startswith("github/codeql-action/upload-sarif@")
    assert upload["with"]["sarif_file"] == "argusai.sarif"
    assert upload["with"]["sha"] == "${{ steps.argus.outputs.head-sha }}"

    again = init("--path", str(target))
    assert again.exit_code == 2
    assert "exists: keep it, or replace it with --force" in again.stderr
    assert init("--path", str(target), "--force", "--dispatch-only").exit_code == 0
    assert set(load(target)[True]) == {"repository_dispatch"}
    assert init("--path", str(target), "--force", "--fail-on", "loud").exit_code == 2


def test_action_yml_is_a_composite_action_running_the_entry_point() -> None:
    action = load(ROOT / "action.yml")
    assert set(action["inputs"]) >= {
        "model",
        "provider",
        "api-key",
        "fail-on",
        "config",
        "max-comments",
        "sarif-file",
    }
    assert set(action["outputs"]) >= {"findings", "max-severity"}
    runs = action["runs"]
    assert runs["using"] == "composite"
    setup, install, review = runs["steps"]
    assert setup["uses"].startswith("actions/setup-python@")
    assert '"${{ github.action_path }}"' in install["run"]  # ArgusAI at the action's own ref
    assert review["id"] == "review"
    assert review["run"].strip().endswith('argus" action run')
    env = review["env"]
    assert env["GITHUB_TOKEN"] == "${{ inputs.github-token }}"
    # inputs reach the step as variables, never pasted into the script
    for name in ("model", "provider", "api-key", "fail-on", "config", "max-comments", "sarif-file"):
        variable = f"ARGUS_ACTION_{name.upper().replace('-', '_')}"
        assert env[variable] == f"${{{{ inputs.{name} }}}}"
        assert "inputs." not in review["run"]
    for name in ("findings", "max-severity"):
        assert action["outputs"][name]["value"] == f"${{{{ steps.review.outputs.{name} }}}}"
