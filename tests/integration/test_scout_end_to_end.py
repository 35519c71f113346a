"""Scout through the user's doors: ``argus scout run`` → worker → LLM summaries → catalogue.

The CLI registers the same tasks as a worker; the queue is drained in-process like a worker
would; the catalogue is read through ``argus scout list`` and ``GET /v1/scout/issues``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from argusai.workq.huey import create_huey
from tests.fakes.fake_github_scout import seed_listed_repos
from tests.support import FakeWorld, drain

PAT = "ghp_scout_e2e_token_123456"
DATA = {
    "technologies": {},
    "repositories": [
        {
            "name": "Alpha",
            "link": "https://github.com/alpha/alpha",
            "label": "good first issue",
            "technologies": ["Python"],
            "description": "Alpha tool",
        },
        {
            "name": "Beta",
            "link": "https://github.com/beta/beta",
            "label": "help wanted",
            "technologies": ["Go"],
            "description": "Beta tool",
        },
        {
            "name": "Off",
            "link": "https://gitlab.com/off/off",
            "label": "good first issue",
            "technologies": ["C"],
            "description": "not on GitHub",
        },
    ],
}


def _llm_answer(request: dict[str, Any]) -> dict[str, Any]:
    schema = json.dumps(request.get("response_format", {})) + json.dumps(request.get("tools", []))
    if "difficulty" in schema:
        return {
            "summary": "Fix a typo in the docs.",
            "difficulty": "beginner",
            "skills": ["markdown"],
            "first_steps": ["Open the file", "Fix it"],
        }
    return {"summary": "A small tool.", "stack": ["Python"], "contributing": "Read CONTRIBUTING.md"}


@pytest.fixture
def world(make_world: Callable[..., FakeWorld], monkeypatch: pytest.MonkeyPatch) -> FakeWorld:
    """The CLI reads the world's settings from the environment, as the worker here does;
    the database is left fresh for ``argus scout run`` to migrate."""
    world = make_world(
        app=False,
        env=monkeypatch,
        migrate=False,
        scout_github_token=PAT,
        llm_api_key="sk-scout-e2e",
    )
    world.gh.add_personal_token(PAT)
    seed_listed_repos(world.gh, json.dumps(DATA), label_of=lambda full: "good first issue")
    world.llm.responder = _llm_answer
    return world


def test_scout_run_processes_and_lists_the_catalogue(world: FakeWorld) -> None:
    llm = world.llm
    runner = CliRunner()
    result = runner.invoke(app, ["scout", "run"])
    assert result.exit_code == 0, result.output
    assert "items queued" in result.output

    # the worker side: same settings, same queue file, tasks declared as a worker does
    assert world.run_worker() > 0
    assert llm.request_count > 0
    from sqlalchemy import select

    from argusai.scout.models import ScoutIssue, ScoutRepository

    with world.rt.db.session() as s:
        states = [
            (i.processing_status, i.difficulty, i.processing_error)
            for i in s.scalars(select(ScoutIssue))
        ]
        repos = [
            (r.full_name, r.processing_status, r.processing_error)
            for r in s.scalars(select(ScoutRepository))
        ]
    assert states and all(st[0] == "completed" for st in states), (states, repos)

    listed = runner.invoke(app, ["scout", "list", "--difficulty", "beginner"])
    assert listed.exit_code == 0, listed.output
    assert "of 2 issues" in listed.output  # both labelled, unassigned issues, analysed

    page = world.client.get("/v1/scout/issues", params={"difficulty": "beginner"}).json()
    assert page["total"] >= 1
    assert all(item["difficulty"] == "beginner" for item in page["items"])

    # a second crawl with nothing changed queues nothing and calls no LLM
    calls = llm.request_count
    again = runner.invoke(app, ["scout", "run"])
    assert again.exit_code == 0, again.output
    assert "0 items queued" in again.output
    drain(create_huey(world.settings.resolved_queue_url()))
    assert llm.request_count == calls
