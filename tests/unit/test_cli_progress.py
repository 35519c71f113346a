"""Progress of long CLI work, and how loud the CLI's logs are (no I/O besides a temp dir)."""

from __future__ import annotations

import io
import logging
from pathlib import Path

from rich.console import Console

from argusai.logs import configure_logging
from argusai.review.engine import PRContext, ReviewPlan, plan_review, run_review
from argusai.review.gitdiff import parse_unified_diff
from argusai.review.local import progress_bar
from argusai.review.repo_config import RepoConfig
from tests.conftest import make_settings
from tests.fakes.llm_scripted import ScriptedLLM, review_json


def _two_file_plan() -> tuple[ReviewPlan, int]:
    text = "".join(
        f"diff --git a/{name} b/{name}\n--- a/{name}\n+++ b/{name}\n@@ -1 +1,40 @@\n x\n"
        + "".join(
            f"+line_{name}_{i} = compute({i}, 'some words to take up tokens')\n" for i in range(39)
        )
        for name in ("a.py", "b.py")
    )
    plan = plan_review(parse_unified_diff(text), RepoConfig(), token_budget=1500)
    return plan, len(plan.chunks)


def test_run_review_reports_progress_after_each_llm_part() -> None:
    plan, parts = _two_file_plan()
    assert parts >= 2
    seen: list[tuple[int, int]] = []
    llm = ScriptedLLM.of(review_json())
    run_review(
        llm,
        plan,
        PRContext(repo="r", number=0),
        RepoConfig(),
        progress=lambda d, t: seen.append((d, t)),
    )
    assert seen == [(done, parts) for done in range(parts + 1)]
    assert len(llm.calls) == parts


def test_progress_bar_draws_on_a_terminal_only() -> None:
    tty_out = io.StringIO()
    tty = Console(file=tty_out, force_terminal=True, width=80)
    with progress_bar(tty) as progress:
        progress(0, 3)
        progress(3, 3)
    assert "reviewing part" in tty_out.getvalue() and "3/3" in tty_out.getvalue()

    piped_out = io.StringIO()
    with progress_bar(Console(file=piped_out, force_terminal=False)) as progress:
        progress(0, 3)
        progress(3, 3)
    assert piped_out.getvalue() == ""


def test_one_shot_commands_log_warnings_servers_info(tmp_path: Path) -> None:
    configure_logging(make_settings(tmp_path), default_level="WARNING")  # argus review, jobs …
    assert logging.getLogger().level == logging.WARNING
    configure_logging(make_settings(tmp_path))  # argus serve / worker
    assert logging.getLogger().level == logging.INFO
    explicit = make_settings(tmp_path, log_level="DEBUG")  # ARGUS_LOG_LEVEL wins
    configure_logging(explicit, default_level="WARNING")
    assert logging.getLogger().level == logging.DEBUG
