"""The whole engine over the 40 real diffs in ../shared/data/diffs (skipped when absent)."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from argusai.core.secrets import EMPTY_REDACTOR
from argusai.review.diff import parse_unified_diff
from argusai.review.engine import PRContext, ReviewPlan, finalize, plan_review, run_review
from argusai.review.format import GITHUB_BODY_LIMIT
from argusai.review.repo_config import RepoConfig
from tests.fakes.llm_scripted import Call, ScriptedLLM, review_json

DIFFS = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "diffs"
SEVERITIES = ["critical", "high", "medium", "low", "info"]


def diff_files() -> list[Path]:
    if not DIFFS.is_dir():
        pytest.skip(f"…/shared/data/diffs absent: {DIFFS}")
    return sorted(DIFFS.glob("*.diff"))


def random_findings(plan: ReviewPlan, seed: str) -> ScriptedLLM:
    """A fake that answers each chunk with findings on random lines, valid or not."""
    rng = random.Random(seed)

    def respond(call: Call) -> object:
        chunk = plan.chunks[(len(llm.calls) - 1) % len(plan.chunks)]
        findings = []
        for piece in chunk.pieces:
            lines = list(piece.added_lines) or [1]
            for _ in range(rng.randint(0, 3)):
                line = rng.choice(lines) + rng.choice([0, 0, 0, 1, -1, 50])
                start = rng.choice([None, None, line - rng.randint(1, 30)])
                findings.append(
                    {
                        "path": rng.choice([piece.path, piece.path, "b/" + piece.path, "x.py"]),
                        "line": max(line, 1),
                        "start_line": start if start and start > 0 else None,
                        "severity": rng.choice(SEVERITIES),
                        "title": f"Issue {rng.randint(0, 10**6)}",
                    }
                )
        return review_json(*findings, summary=f"Part {chunk.index + 1}.")

    llm = ScriptedLLM(responder=respond)
    return llm


@pytest.mark.shared
def test_engine_on_all_real_diffs() -> None:
    paths = diff_files()
    assert len(paths) == 40
    total_added = covered = 0
    for path in paths:
        files = parse_unified_diff(path.read_bytes())
        plan = plan_review(files, RepoConfig(), max_files=1000, token_budget=12_000)
        # every file is either reviewed or named with a reason
        reviewed = {f.path for f in plan.files}
        skipped = {s.path: s.reason for s in plan.skipped}
        assert reviewed | set(skipped) == {f.path for f in files}, path.name
        assert all(reason for reason in skipped.values())
        # every added line of a reviewed file reaches a chunk
        shown = {(p.path, n) for c in plan.chunks for p in c.pieces for n in p.added_lines}
        for f in plan.files:
            added = plan.diffs[f.path].added
            total_added += len(added)
            covered += sum(1 for n in added if (f.path, n) in shown)
        assert all(c.tokens <= 12_000 for c in plan.chunks)

        llm = random_findings(plan, path.name)
        ctx = PRContext(repo="o/r", number=1, head_sha="f" * 40, base_sha="0" * 40)
        outcome = run_review(llm, plan, ctx, RepoConfig())
        assert len(llm.calls) == len(plan.chunks) and not outcome.failed
        result = finalize(
            outcome,
            plan,
            RepoConfig(),
            already_posted=set(),
            max_comments=50,
            redactor=EMPTY_REDACTOR,
        )
        for c in result.inline_comments:
            diff = plan.diffs[c.path]
            assert diff.has_line(c.line), (path.name, c.path, c.line)
            if c.start_line is not None:
                assert diff.hunk_of(c.start_line) == diff.hunk_of(c.line)
        assert len(result.summary) < GITHUB_BODY_LIMIT
        assert all(len(c.body) < GITHUB_BODY_LIMIT for c in result.inline_comments)
    assert total_added > 50_000
    assert covered / total_added >= 0.99
