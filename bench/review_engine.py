"""Speed and memory of the review engine on the largest real diff (fake instant LLM).

Run: .venv/bin/python bench/review_engine.py [path/to/diff]
Target: < 1 s and < 200 MB for ~20k changed lines, code context assembly and the
verification pass included (fetches excluded). The head texts the context engine indexes
are rebuilt from the diff itself: each file's right-side lines at their line numbers, the
gaps blank (the diff holds no more of the files). Each pass is also run without context and
verification in the same process, as the baseline of the ratio printed.
"""

from __future__ import annotations

import json
import resource
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

from argusai.core.secrets import EMPTY_REDACTOR
from argusai.core.tokens import count_tokens
from argusai.llm.port import Completion
from argusai.review.context.languages import parse as parse_source
from argusai.review.context.outline import _outline
from argusai.review.context.symbols import SymbolIndex
from argusai.review.diff import parse_patch, parse_unified_diff
from argusai.review.engine import CodeContext, PRContext, finalize, plan_review, run_review
from argusai.review.repo_config import RepoConfig
from argusai.review.verify import SCHEMA_NAME as VERIFY_SCHEMA

DIFFS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "diffs"


class InstantLLM:
    """Answers every chunk at once with one finding on the first numbered '+' line."""

    def complete_json(
        self, *, system: str, user: str, schema: dict[str, Any], schema_name: str
    ) -> Completion:
        if schema_name == VERIFY_SCHEMA:  # confirm every candidate, citing its own line
            verdicts = []
            for row in user.splitlines():
                if row.startswith("[id "):
                    number, rest = row[4:].split("]", 1)
                    line = int(rest.split(" · ", 1)[0].rsplit(":", 1)[1].split("-")[-1])
                    verdicts.append(
                        {"id": int(number), "confirmed": True, "evidence_lines": [line]}
                    )
            return Completion(json.dumps({"verdicts": verdicts}), "instant", 0, 0, 0.0)
        path, line = "unknown", 1
        for row in user.splitlines():
            if row.startswith("### File: "):
                path = row[10:].rsplit(" (", 1)[0]
            elif row[:6].strip().isdigit() and row[7:8] == "+":
                line = int(row[:6])
                break
        finding = {
            "path": path,
            "line": line,
            "start_line": None,
            "severity": "high",
            "category": "bug",
            "title": "Bench finding",
            "message": "m",
            "suggestion": None,
        }
        text = json.dumps({"summary": "ok", "findings": [finding]})
        return Completion(text, "instant", 0, 0, 0.0)


def head_texts(text: str) -> dict[str, str]:
    """Each file's right-side lines at their numbers (what the diff shows of the head)."""
    out: dict[str, str] = {}
    for f in parse_unified_diff(text):
        if not f.patch or f.status == "removed":
            continue
        lines: dict[int, str] = {}
        for hunk in parse_patch(f.path, f.patch).hunks:
            for ln in hunk.lines:
                if ln.new_no is not None:
                    lines[ln.new_no] = ln.text
        if lines:
            out[f.path] = "\n".join(lines.get(n, "") for n in range(1, max(lines) + 1))
    return out


def run(text: str, *, with_context: bool = True) -> dict[str, float]:
    """One full pass; returns seconds per phase (nothing cached from an earlier pass)."""
    _outline.cache_clear()
    parse_source.cache_clear()
    t0 = time.perf_counter()
    files = parse_unified_diff(text)
    t1 = time.perf_counter()
    plan = plan_review(files, RepoConfig(), max_files=1000, token_budget=12_000)
    t2 = time.perf_counter()
    ctx = PRContext(repo="bench/bench", number=1, head_sha="f" * 40)
    context = CodeContext(SymbolIndex.build(head_texts(text))) if with_context else None
    t_index = time.perf_counter()
    llm = InstantLLM()
    outcome = run_review(
        llm, plan, ctx, RepoConfig(), context=context, verifier=llm if with_context else None
    )
    t3 = time.perf_counter()
    result = finalize(
        outcome,
        plan,
        RepoConfig(),
        already_posted=set(),
        max_comments=20,
        redactor=EMPTY_REDACTOR,
    )
    t4 = time.perf_counter()
    assert result.summary
    return {
        "parse": t1 - t0,
        "select+chunk": t2 - t1,
        "context index": t_index - t2,
        "prompts+llm+verify": t3 - t_index,
        "finalize": t4 - t3,
        "total": t4 - t0,
        "chunks": len(plan.chunks),
    }


def main() -> None:
    if len(sys.argv) > 1:
        path = Path(sys.argv[1])
    else:
        if not DIFFS.is_dir():
            sys.exit(f"{DIFFS} absent: pass a diff file")
        path = max(DIFFS.glob("*.diff"), key=lambda p: p.stat().st_size)
    text = path.read_bytes().decode("utf-8", errors="replace")
    changed = sum(1 for ln in text.split("\n") if ln[:1] in "+-" and ln[:3] not in ("+++", "---"))

    t = time.perf_counter()
    count_tokens("warm up")  # one-off: unpack and load the tiktoken vocabulary
    load = time.perf_counter() - t

    runs = [run(text) for _ in range(5)]
    best = min(runs, key=lambda r: r["total"])
    plain = min((run(text, with_context=False) for _ in range(5)), key=lambda r: r["total"])

    t = time.perf_counter()
    for _ in range(5):
        text.splitlines()
    baseline = (time.perf_counter() - t) / 5

    tracemalloc.start()
    run(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux

    print(f"diff: {path.name}  {len(text) / 1e6:.2f} MB, {changed:,} changed lines")
    print(f"tiktoken vocabulary load (once per process): {load * 1000:.0f} ms")
    print("best of 5 runs:")
    for key in (
        "parse",
        "select+chunk",
        "context index",
        "prompts+llm+verify",
        "finalize",
        "total",
    ):
        print(f"  {key:<18} {best[key] * 1000:8.1f} ms")
    print(f"  chunks (LLM calls) {int(best['chunks']):8d}")
    print(
        f"without context and verification (same process): {plain['total'] * 1000:.1f} ms "
        f"-> context + verification cost {best['total'] / plain['total']:.2f}x"
    )
    print(
        f"baseline str.splitlines: {baseline * 1000:.2f} ms -> engine is "
        f"{best['total'] / baseline:.0f}x a bare splitlines"
    )
    print(f"peak traced Python memory: {peak / 1e6:.1f} MB; process max RSS: {rss:.0f} MB")
    ok = best["total"] < 1.0 and peak < 200e6
    print("target (< 1 s, < 200 MB):", "met" if ok else "MISSED")


if __name__ == "__main__":
    main()
