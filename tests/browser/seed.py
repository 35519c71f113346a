"""Catalogue rows as the crawl and processing leave them, for catalogue and browser tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from argusai.scout.models import ScoutIssue, ScoutRepository
from argusai.store.db import Database

HOSTILE_TITLE = '<script>alert("x")</script><img src=x onerror=alert(1)> Fix "quotes" & @octocat'

REPOS: list[dict[str, Any]] = [
    {
        "full_name": "pyorg/pytool",
        "language": "Python",
        "languages": {"Python": 9000, "Shell": 10},
        "stars": 500,
        "label": "good first issue",
        "description": "A Python tool.",
    },
    {
        "full_name": "jsorg/widget",
        "language": "JavaScript",
        "languages": {"JavaScript": 7000, "CSS": 900},
        "stars": 300,
        "label": "help wanted",
        "description": "A JavaScript widget.",
    },
    {
        "full_name": "rustorg/engine",
        "language": "Rust",
        "languages": {"Rust": 5000},
        "stars": 100,
        "label": "E-easy",
        "description": "A Rust engine.",
    },
]

# (repository index, number, title, difficulty, labels, summary)
ISSUES: list[tuple[int, int, str, str | None, list[str], str | None]] = [
    (0, 1, "Add a --verbose flag", "beginner", ["good first issue"], "Add a flag to the CLI."),
    (0, 2, "Speed up the parser", "advanced", ["good first issue", "perf"], "Make parsing fast."),
    (0, 3, "Fix typo in README", "beginner", ["good first issue", "docs"], "Correct a typo."),
    (1, 10, "Button has wrong colour", "beginner", ["help wanted"], "Change the CSS colour."),
    (1, 11, "Support keyboard navigation", "intermediate", ["help wanted"], "Add key handlers."),
    (2, 20, HOSTILE_TITLE, "intermediate", ["E-easy"], "Escape <b>this</b> summary."),
    (2, 21, "Not yet analysed", None, ["E-easy"], None),
]


def seed_catalogue(db: Database) -> dict[str, int]:
    """Insert the repositories and issues above; returns full_name → repository id."""
    ids: dict[str, int] = {}
    now = datetime.now(UTC).replace(tzinfo=None)
    with db.session() as s:
        for spec in REPOS:
            repo = ScoutRepository(
                source="test",
                html_url=f"https://github.com/{spec['full_name']}",
                metadata_hash="h-" + spec["full_name"],
                processing_status="completed",
                summary={
                    "summary": f"{spec['full_name']} summary",
                    "stack": [spec["language"]],
                    "contributing": "Read CONTRIBUTING.",
                    "metadata_hash": "h",
                },
                **spec,
            )
            s.add(repo)
            s.flush()
            ids[repo.full_name] = repo.id
        for index, (r, number, title, difficulty, labels, summary) in enumerate(ISSUES):
            full = REPOS[r]["full_name"]
            analysis = None
            if summary is not None:
                analysis = {
                    "summary": summary,
                    "difficulty": difficulty,
                    "skills": ["testing"],
                    "first_steps": ["Read the code."],
                    "metadata_hash": f"i{number}",
                }
            s.add(
                ScoutIssue(
                    repository_id=ids[full],
                    number=number,
                    title=title,
                    html_url=f"https://github.com/{full}/issues/{number}",
                    labels={"names": labels},
                    metadata_hash=f"i{number}",
                    difficulty=difficulty,
                    analysis=analysis,
                    processing_status="completed" if analysis else "pending",
                    github_updated_at=now - timedelta(hours=index),
                )
            )
        # closed issues never show
        s.add(
            ScoutIssue(
                repository_id=ids["pyorg/pytool"],
                number=99,
                title="Closed one",
                state="closed",
                labels={"names": ["good first issue"]},
            )
        )
    return ids
