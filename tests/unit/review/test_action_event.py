"""Which pull request a workflow run is about (``argus action run``'s event parsing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from argusai.errors import InputError
from argusai.review.action.event import read_event

SHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"


def env(tmp_path: Path, name: str, payload: Any, repo: str = "octo/shop") -> dict[str, str]:
    path = tmp_path / "event.json"
    path.write_text(json.dumps(payload))
    return {"GITHUB_EVENT_NAME": name, "GITHUB_EVENT_PATH": str(path), "GITHUB_REPOSITORY": repo}


@pytest.mark.parametrize("name", ["pull_request", "pull_request_target"])
def test_pull_request_events(tmp_path: Path, name: str) -> None:
    payload = {"action": "opened", "pull_request": {"number": 7, "head": {"sha": SHA.upper()}}}
    event = read_event(env(tmp_path, name, payload))
    assert (event.event_name, event.repo_name, event.number, event.sha) == (
        name,
        "octo/shop",
        7,
        SHA,
    )
    assert event.skip is None
    closed = {"action": "closed", "pull_request": {"number": 7, "head": {"sha": SHA}}}
    assert read_event(env(tmp_path, name, closed)).skip == "the pull request is closed"


def test_the_servers_dispatch(tmp_path: Path) -> None:
    payload = {
        "action": "argusai-review",
        "client_payload": {"pr_number": "12", "head_sha": SHA, "reason": "queue"},
    }
    event = read_event(env(tmp_path, "repository_dispatch", payload))
    assert (event.number, event.sha, event.reason, event.skip) == (12, SHA, "queue", None)
    other = read_event(env(tmp_path, "repository_dispatch", {"action": "deploy"}))
    assert other.skip == "not an argusai-review dispatch ('deploy')"


def test_a_manual_run_names_its_pull_request(tmp_path: Path) -> None:
    event = read_event(env(tmp_path, "workflow_dispatch", {"inputs": {"pr_number": "3"}}))
    assert (event.number, event.sha) == (3, None)


def test_the_repository_comes_from_the_payload_without_github_repository(tmp_path: Path) -> None:
    payload = {"pull_request": {"number": 1}, "repository": {"full_name": "a/b"}}
    assert read_event(env(tmp_path, "pull_request", payload, repo="")).repo_name == "a/b"


@pytest.mark.parametrize(
    ("name", "payload", "message"),
    [
        ("push", {}, "event 'push' names no pull request"),
        ("pull_request", {}, "has no pull_request"),
        ("pull_request", {"pull_request": {"number": -1}}, "not a pull request number"),
        ("pull_request", {"pull_request": {"number": True}}, "not a pull request number"),
        (
            "repository_dispatch",
            {"action": "argusai-review", "client_payload": {"pr_number": 1, "head_sha": "$(x)"}},
            "not a commit SHA",
        ),
        ("pull_request", [1, 2], "not an event payload"),
    ],
)
def test_bad_events(tmp_path: Path, name: str, payload: Any, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_event(env(tmp_path, name, payload))


def test_outside_a_workflow(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="GITHUB_EVENT_NAME is not set"):
        read_event({})
    with pytest.raises(InputError, match="GITHUB_EVENT_PATH is not set"):
        read_event({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_REPOSITORY": "a/b"})
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(InputError, match="is not JSON"):
        read_event({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(bad)})
    with pytest.raises(InputError, match="GITHUB_REPOSITORY is not OWNER/NAME"):
        read_event(env(tmp_path, "pull_request", {"pull_request": {"number": 1}}, repo="x y"))
