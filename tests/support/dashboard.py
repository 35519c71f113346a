"""A week of ArgusAI's work as the dashboard reads it, and a signed-in browser or client.

Two installations: ``acme`` (``acme/api``, ``acme/web``) and ``globex``
(``globex/secret``). Reviews finish over the last days (relative to now, so the
default 30-day window holds them), with findings and their outcomes, one review whose
retries ran out (a dead letter), CI runs with analyses, a crawl run and catalogue rows,
and the daily rollup computed over them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from argusai.ci.models import CIRun
from argusai.cilog.models import Analysis
from argusai.review.conversation.models import FindingOutcome
from argusai.runtime import Runtime
from argusai.scout.models import ScoutRun
from argusai.stats.rollup import rollup
from argusai.store.models import (
    DeadLetter,
    FindingRecord,
    Installation,
    Repository,
    Review,
    utcnow,
)

ACME, GLOBEX = 101, 202
ACME_REPOS = ("acme/api", "acme/web")
SECRET_REPO = "globex/secret"
HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)> Unsafe "quotes" & co'


@dataclass(frozen=True)
class Seeded:
    dead_review_id: int
    dead_pr: int


def _review(rt: Runtime, repo: str, pr: int, days_ago: float, **values: Any) -> int:
    completed = utcnow() - timedelta(days=days_ago)
    total_ms = values.pop("total_ms", 42_000)
    status = values.pop("status", "done")
    row = Review(
        installation_id=ACME if repo.startswith("acme/") else GLOBEX,
        repo_name=repo,
        pr_number=pr,
        sha=values.pop("sha", f"{pr:07d}" + "c" * 33),
        trigger=values.pop("trigger", "pull_request.opened"),
        status=status,
        created_at=completed - timedelta(milliseconds=total_ms),
        completed_at=completed,
        total_ms=total_ms if status == "done" else None,
        model="gpt-4o-mini",
        prompt_version="v3",
        **values,
    )
    with rt.db.session() as s:
        s.add(row)
        s.flush()
        return row.id


def _finding(
    rt: Runtime, review_id: int, fp: str, title: str, outcome: str | None, **values: Any
) -> None:
    with rt.db.session() as s:
        review = s.get(Review, review_id)
        assert review is not None
        s.add(
            FindingRecord(
                review_id=review_id,
                repo_name=review.repo_name,
                pr_number=review.pr_number,
                fingerprint=fp,
                path=values.pop("path", "src/app.py"),
                line=values.pop("line", 12),
                severity=values.pop("severity", "high"),
                category=values.pop("category", "bug"),
                title=title,
                inline=values.pop("inline", True),
                created_at=review.completed_at,
            )
        )
        if outcome is not None:
            s.add(
                FindingOutcome(
                    repo_name=review.repo_name,
                    pr_number=review.pr_number,
                    fingerprint=fp,
                    outcome=outcome,
                )
            )


def seed(rt: Runtime) -> Seeded:
    """Write the week described above; returns what the tests act on."""
    with rt.db.session() as s:
        s.add(Installation(id=ACME, account_login="acme"))
        s.add(Installation(id=GLOBEX, account_login="globex"))
        for name in ACME_REPOS:
            s.add(Repository(full_name=name, installation_id=ACME))
        s.add(Repository(full_name=SECRET_REPO, installation_id=GLOBEX))
    pr = 10
    for day in range(24):
        for n in range(1 + day % 3):
            repo = ACME_REPOS[(day + n) % 2]
            review = _review(
                rt,
                repo,
                pr,
                day + 0.1 * n,
                total_ms=20_000 + 9_000 * n + 3_000 * (day % 7),
                cost_usd=0.011 + 0.004 * n,
                comments_count=2,
                prompt_tokens=9_000,
                completion_tokens=700,
            )
            _finding(rt, review, f"fp{pr}a", "SQL built from user input", "accepted")
            _finding(rt, review, f"fp{pr}b", "Unused variable", "dismissed" if day % 2 else None)
            pr += 1
    secret = _review(rt, SECRET_REPO, 7, 1.2, cost_usd=0.05, comments_count=1)
    _finding(rt, secret, "fps", "Secret project finding", "accepted")
    hostile = _review(rt, "acme/api", 99, 0.5, cost_usd=0.02, comments_count=1)
    _finding(rt, hostile, "fph", HOSTILE, None, severity="critical", category="security")
    dead_pr = 77
    dead = _review(
        rt,
        "acme/web",
        dead_pr,
        0.2,
        status="failed",
        attempts=6,
        error_message="gave up after 6 attempts: LLM provider timed out",
    )
    with rt.db.session() as s:
        s.add(
            DeadLetter(
                kind="review", item_id=str(dead), reason="LLM provider timed out", attempts=6
            )
        )
    _ci(rt)
    with rt.db.session() as s:
        start = utcnow() - timedelta(days=1)
        s.add(
            ScoutRun(
                source="awesome-for-beginners",
                budget=1000,
                requests_used=340,
                not_modified=120,
                items_queued=25,
                outcome="done",
                started_at=start,
                finished_at=start + timedelta(minutes=4),
            )
        )
    today = utcnow().date()
    rollup(rt.db, today - timedelta(days=30), today)
    return Seeded(dead, dead_pr)


def _ci(rt: Runtime) -> None:
    runs = [
        ("acme/api", 1, ["    assert total == 4"]),
        ("acme/web", 2, ["Traceback (most recent call last):", "ValueError: bad"]),
        (SECRET_REPO, 3, ["Killed"]),
    ]
    for repo, run_id, evidence in runs:
        created = utcnow() - timedelta(days=run_id)
        with rt.db.session() as s:
            run = CIRun(
                installation_id=ACME if repo.startswith("acme/") else GLOBEX,
                repo_name=repo,
                run_id=run_id,
                conclusion="failure",
                status="done",
                created_at=created,
                completed_at=created + timedelta(seconds=20 + run_id),
            )
            s.add(run)
            s.flush()
            s.add(
                Analysis(
                    ci_run_id=run.id,
                    job_id=run_id,
                    status="completed",
                    result={
                        "job_id": run_id,
                        "job_name": "test",
                        "explanation": {"root_cause": "x", "evidence": evidence},
                    },
                    prompt_tokens=100,
                    completion_tokens=10,
                    api_cost_usd=0.003,
                )
            )
