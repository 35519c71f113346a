"""How much of each real PR reaches the LLM, over the 40 diffs in ../shared/data/diffs.

Run: .venv/bin/python bench/review_coverage.py
Prints, for the engine's default budget: % of added lines of reviewable files sent to
the LLM, LLM calls, prompt tokens (system + user, as sent) per covered line, and the
files not reviewed by reason. Reference: PR-Agent's /review sends 22 % of the added
lines of these diffs with its defaults (DESIGN.md, "What we measure ourselves against").
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from argusai.core.tokens import count_tokens
from argusai.review.diff import parse_patch, parse_unified_diff
from argusai.review.engine import DEFAULT_MAX_FILES, DEFAULT_TOKEN_BUDGET, plan_review
from argusai.review.prompt import render_system, render_user
from argusai.review.repo_config import RepoConfig
from argusai.review.select import skip_reason

DIFFS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "diffs"


def measure(paths: list[Path], *, max_files: int, budget: int) -> dict[str, object]:
    """Coverage figures of one configuration over all diffs."""
    config = RepoConfig()
    system_tokens = count_tokens(render_system(config.language))
    added_reviewable = covered = calls = prompt_tokens = files_total = 0
    reasons: Counter[str] = Counter()
    worst: list[tuple[float, str]] = []
    for path in paths:
        files = parse_unified_diff(path.read_bytes())
        files_total += len(files)
        plan = plan_review(files, config, max_files=max_files, token_budget=budget)
        reviewable = [f for f in files if skip_reason(f, config) is None]
        diff_added = sum(parse_patch(f.path, f.patch).added_count for f in reviewable)
        shown = sum(c.added_count for c in plan.chunks)
        added_reviewable += diff_added
        covered += shown
        calls += len(plan.chunks)
        for chunk in plan.chunks:
            user = render_user(
                repo="o/r",
                number=1,
                title=path.stem,
                body="",
                chunk=chunk,
                part_count=len(plan.chunks),
                config=config,
            )
            prompt_tokens += system_tokens + count_tokens(user)
        for s in plan.skipped:
            reasons[s.reason if "limit" not in s.reason else "over the file limit"] += 1
        if diff_added:
            worst.append((shown / diff_added, path.name))
    return {
        "coverage": covered / added_reviewable if added_reviewable else 1.0,
        "added": added_reviewable,
        "covered": covered,
        "calls": calls,
        "tokens_per_line": prompt_tokens / covered if covered else 0.0,
        "prompt_tokens": prompt_tokens,
        "files": files_total,
        "skipped": sum(reasons.values()),
        "reasons": reasons,
        "worst": sorted(worst)[:3],
    }


def main() -> None:
    if not DIFFS.is_dir():
        sys.exit(f"{DIFFS} absent")
    paths = sorted(DIFFS.glob("*.diff"))
    print(f"{len(paths)} diffs from {DIFFS}")
    for max_files, label in (
        (DEFAULT_MAX_FILES, "engine default"),
        (20, "server default"),
        (100_000, "no file limit"),
    ):
        m = measure(paths, max_files=max_files, budget=DEFAULT_TOKEN_BUDGET)
        print(
            f"\n== budget {DEFAULT_TOKEN_BUDGET:,} tokens/prompt, max_files {max_files} "
            f"({label}) =="
        )
        print(f"added lines of reviewable files : {m['added']:,}")
        print(
            f"sent to the LLM                 : {m['covered']:,} "
            f"({m['coverage']:.2%}; PR-Agent defaults: 22 %)"
        )
        print(f"LLM calls                       : {m['calls']}")
        print(
            f"prompt tokens                   : {m['prompt_tokens']:,} "
            f"({m['tokens_per_line']:.1f} per covered line)"
        )
        print(
            f"files not reviewed              : {m['skipped']} of {m['files']}, "
            "each named with its reason:"
        )
        for reason, n in m["reasons"].most_common():  # type: ignore[attr-defined]
            print(f"    {n:4d}  {reason}")
        print(
            "lowest per-diff coverage        : "
            + ", ".join(f"{name} {c:.1%}" for c, name in m["worst"])
        )  # type: ignore[attr-defined]


if __name__ == "__main__":
    main()
