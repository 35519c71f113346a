"""Helpers of the ``argus review`` CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from argusai.core.secrets import EMPTY_REDACTOR
from argusai.review.engine import PRContext, finalize, plan_review, run_review
from argusai.review.gitdiff import parse_unified_diff
from argusai.review.local import (
    LocalDiffError,
    exit_code,
    git_diff,
    read_diff_file,
    render_findings_text,
    result_to_json,
)
from argusai.review.models import Category, Finding, Severity
from argusai.review.repo_config import RepoConfig
from tests.fakes.llm_scripted import ScriptedLLM, review_json

HIGH = Finding("a.py", 1, Severity.HIGH, Category.BUG, "t", "m")
LOW = Finding("a.py", 2, Severity.LOW, Category.STYLE, "t2", "m2")


def test_exit_code() -> None:
    assert exit_code([HIGH, LOW], None) == 0
    assert exit_code([HIGH, LOW], Severity.HIGH) == 1
    assert exit_code([LOW], Severity.MEDIUM) == 0
    assert exit_code([], Severity.INFO) == 0


def test_read_diff_file(tmp_path: Path) -> None:
    path = tmp_path / "x.diff"
    path.write_bytes(b"diff --git a/a b/a\n\xff\n")
    assert "\ufffd" in read_diff_file(path)
    with pytest.raises(LocalDiffError):
        read_diff_file(tmp_path / "missing.diff")


def test_git_diff_outside_a_checkout(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    with pytest.raises(LocalDiffError, match="not inside a git checkout"):
        git_diff("main", tmp_path)
    with pytest.raises(LocalDiffError):
        git_diff("--output=/tmp/x", tmp_path)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@e.st",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def test_git_diff_in_a_checkout(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git not installed")
    _git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.py").write_text("x = 1\n")
    _git(tmp_path, "add", "a.py")
    _git(tmp_path, "commit", "-q", "-m", "one")
    _git(tmp_path, "checkout", "-q", "-b", "feature")
    (tmp_path / "a.py").write_text("x = 1\ny = 2\n")
    _git(tmp_path, "commit", "-q", "-am", "two")
    (f,) = parse_unified_diff(git_diff("main", tmp_path))
    assert (f.path, f.additions) == ("a.py", 1)
    with pytest.raises(LocalDiffError, match="failed"):
        git_diff("no-such-branch", tmp_path)


def test_text_and_json_rendering() -> None:
    files = parse_unified_diff(
        "diff --git a/a.py b/a.py\n--- a/a.py\n+++ b/a.py\n@@ -1 +1,2 @@\n x\n+y\n"
    )
    plan = plan_review(files, RepoConfig(), max_files=5, token_budget=2000)
    llm = ScriptedLLM.of(review_json({"path": "a.py", "line": 2, "suggestion": "y = 3"}))
    outcome = run_review(llm, plan, PRContext(repo="local", number=0, head_sha="abc"), RepoConfig())
    result = finalize(outcome, plan, RepoConfig(), redactor=EMPTY_REDACTOR)
    text = render_findings_text(result)
    assert "a.py:2: [high/bug] A problem" in text and "y = 3" in text
    data = result_to_json(result)
    json.dumps(data)
    assert data["findings"][0]["line"] == 2 and data["counts"] == {"high": 1}
    assert data["usage"]["calls"] == 1 and data["inline_comments"][0]["path"] == "a.py"
