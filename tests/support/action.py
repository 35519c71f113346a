"""Run the GitHub Action's entry point (``argus action run``) as a workflow step would:
GitHub Actions' variables, an event payload file, a workflow ``GITHUB_TOKEN`` issued by the
fake GitHub, the fake LLM as an openai-compatible provider, outputs in ``$GITHUB_OUTPUT``."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from tests.fakes.fake_github import FakeGitHub
from tests.fakes.fake_llm import FakeLLMServer, confirm_all, is_verification

LLM_KEY = "sk-action-llm-key-0123456789"


@dataclass
class ActionRun:
    """One run of the step: its exit code, what it printed, its outputs and files."""

    result: Any  # typer's CliRunner result
    folder: Path

    @property
    def exit_code(self) -> int:
        return self.result.exit_code

    @property
    def outputs(self) -> dict[str, str]:
        path = self.folder / "github_output"
        if not path.exists():
            return {}
        pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
        return dict(pairs)

    @property
    def step_summary(self) -> str:
        path = self.folder / "step_summary.md"
        return path.read_text() if path.exists() else ""


def reviewer(answer: dict[str, Any]) -> Any:
    """An LLM responder: ``answer`` to a review, every candidate confirmed by verification."""

    def respond(request: dict[str, Any]) -> dict[str, Any]:
        return confirm_all(request) if is_verification(request) else answer

    return respond


def action_env(
    gh: FakeGitHub,
    llm: FakeLLMServer,
    folder: Path,
    *,
    repo: str,
    event_name: str,
    payload: dict[str, Any],
    token: str | None = None,
    **inputs: str,
) -> dict[str, str]:
    """The step's environment: Actions' variables and the action.yml inputs (``fail_on=…``)."""
    folder.mkdir(parents=True, exist_ok=True)
    event_path = folder / "event.json"
    event_path.write_text(json.dumps(payload))
    owner, name = repo.split("/")
    env = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_EVENT_NAME": event_name,
        "GITHUB_EVENT_PATH": str(event_path),
        "GITHUB_REPOSITORY": repo,
        "GITHUB_API_URL": gh.base_url,
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_RUN_ID": "4242",
        "GITHUB_TOKEN": token or gh.actions_token(owner, name),
        "GITHUB_OUTPUT": str(folder / "github_output"),
        "GITHUB_STEP_SUMMARY": str(folder / "step_summary.md"),
        "RUNNER_TEMP": str(folder),
        "ARGUS_ACTION_PROVIDER": "openai-compatible",
        "ARGUS_ACTION_BASE_URL": llm.openai_base_url,
        "ARGUS_ACTION_API_KEY": LLM_KEY,
    }
    for key, value in inputs.items():
        env[f"ARGUS_ACTION_{key.upper()}"] = value
    return env


def run_step(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], folder: Path) -> ActionRun:
    """``argus action run`` in this process (CliRunner) with ``env`` as the environment."""
    for key in list(os.environ):
        if key.startswith("ARGUS_ACTION_") and key not in env:  # an earlier step's input
            monkeypatch.delenv(key)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    result = CliRunner().invoke(app, ["action", "run"], catch_exceptions=False)
    return ActionRun(result, folder)
