"""Context recall on ../shared/data/context: definitions and enclosing scopes that reach the prompt.

For each case (a real commit), the prompt is the commit's diff followed by the context the
engine assembles within the default budget (ARGUS_LLM_CONTEXT_TOKENS = 12,000, diff
included). The index is built from the head texts the corpus ships (every changed file and
every file holding a needed item), not from the whole repository tree. Matching follows the
corpus README ("Measuring context recall"). Reported: share of needed definitions the index
finds (before the budget) and that reach the prompt, share of enclosing scopes, prompt
tokens against the hunk-only prompt, and engine time per case.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from argusai.core.tokens import count_tokens
from argusai.review.context.budget import SEPARATOR, assemble
from argusai.review.context.gather import gather
from argusai.review.context.symbols import SymbolIndex
from argusai.review.diff import parse_patch
from argusai.review.gitdiff import parse_unified_diff
from argusai.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "data" / "context"


def norm(s: str) -> str:
    return " ".join(s.split())


def found(item: dict[str, Any], prompt: str, head_text: str) -> bool:
    """The corpus README's matching rule, verbatim in substance."""
    p, l0 = norm(prompt), norm(item["lines"][0])
    if len(item["lines"]) == 1:
        return l0 in p
    lines, n = head_text.split("\n"), item["line"]
    k = next(i for i in range(n + 1, len(lines) + 1) if lines[i - 1].rstrip() == item["lines"][1])
    allow = len(norm(" ".join(lines[n : k - 1]))) + 12 * (k - n) + 200
    l1, i = norm(item["lines"][1]), p.find(l0)
    while i >= 0:
        j = p.find(l1, i + len(l0))
        if j >= 0 and j - (i + len(l0)) <= allow:
            return True
        i = p.find(l0, i + 1)
    return False


def main() -> int:
    if not (CORPUS / "cases" / "index.json").exists():
        print(f"skipped: {CORPUS} is absent (the context corpus lives next to the checkout)")
        return 0
    budget = Settings.model_fields["llm_context_tokens"].default
    count_tokens("warm up the vocabulary")
    cases = json.loads((CORPUS / "cases" / "index.json").read_text())
    tally: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # key -> [hits, total]
    tokens_ctx = tokens_diff = 0
    worst = 0.0
    left_out_total = 0
    print(f"{'case':34} {'defs idx/prompt/need':>21} {'scopes':>8} {'tokens':>13} {'ms':>6}")
    for case in cases:
        name = f"{case['source'].split('/')[1]}__{case['sha'][:12]}"
        folder = CORPUS / "cases" / name
        patch = (folder / "diff.patch").read_text()
        meta = json.loads((folder / "meta.json").read_text())
        head = json.loads((folder / "snapshot.json").read_text())["head"]["files"]

        started = time.process_time()
        diffs = [parse_patch(f.path, f.patch) for f in parse_unified_diff(patch)]
        index = SymbolIndex.build(head)
        got = gather(diffs, index)
        diff_tokens = count_tokens(patch)
        assembled = assemble(
            diff_tokens=diff_tokens,
            budget=budget,
            scopes=got.scopes,
            definitions=got.definitions,
            intent=f"{meta['title']}\n\n{meta['body']}",
        )
        prompt = patch + SEPARATOR + assembled.render()
        elapsed = time.process_time() - started
        worst = max(worst, elapsed)

        candidates = {(d.path, d.start) for d in got.definitions}
        candidates |= {(s.path, s.start) for s in got.scopes}
        row: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for item in meta["needed"]:
            kind = item["kind"]
            hit = found(item, prompt, head[item["path"]])
            for key in (f"{kind}:prompt", f"{case['repo']}:{kind}"):
                tally[key][0] += hit
                tally[key][1] += 1
            row[kind][0] += hit
            row[kind][1] += 1
            if kind == "definition":
                indexed = (item["path"], item["line"]) in candidates
                tally["definition:index"][0] += indexed
                tally["definition:index"][1] += 1
                row["index"][0] += indexed
            tally[f"{kind}:diff-only"][0] += found(item, patch, head[item["path"]])
            tally[f"{kind}:diff-only"][1] += 1
        ctx = count_tokens(prompt)
        tokens_ctx += ctx
        tokens_diff += diff_tokens
        left_out_total += len(assembled.left_out)
        d, s = row["definition"], row["enclosing"]
        print(
            f"{name:34} {row['index'][0]:>7}/{d[0]:>3}/{d[1]:<3}      {s[0]:>3}/{s[1]:<3}"
            f" {diff_tokens:>6}→{ctx:<6} {elapsed * 1000:>6.0f}"
        )

    def share(key: str) -> str:
        hit, total = tally[key]
        return f"{100 * hit / total:5.1f} % ({hit}/{total})" if total else "n/a"

    print()
    print(f"budget {budget} tokens (diff included), {len(cases)} cases")
    print(f"definitions found by the index (before budget): {share('definition:index')}")
    print(f"definitions in the prompt:                      {share('definition:prompt')}")
    print(f"enclosing scopes in the prompt:                 {share('enclosing:prompt')}")
    print(f"hunk-only prompt: definitions {share('definition:diff-only')},")
    print(f"                  enclosing   {share('enclosing:diff-only')}")
    for repo in sorted({c["repo"] for c in cases}):
        print(f"  {repo:11} definitions {share(f'{repo}:definition')}")
        print(f"  {'':11} enclosing   {share(f'{repo}:enclosing')}")
    n = len(cases)
    print(
        f"prompt tokens per PR: {tokens_ctx / n:,.0f} with context vs {tokens_diff / n:,.0f} "
        f"hunk-only ({tokens_ctx / tokens_diff:.2f}×); blocks left out for budget: "
        f"{left_out_total}"
    )
    print(f"engine CPU per case (index + gather + assemble), worst: {worst * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
