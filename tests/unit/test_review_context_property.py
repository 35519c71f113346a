"""Code context never evicts diff lines, whatever the budget (issue 10), end to end.

Random multi-file diffs over generated Python (functions calling each other across files),
a random ``token_budget`` from just above the smallest the chunker accepts to large:
``plan_review`` then ``run_review`` with the head texts indexed. Every prompt keeps every
line of its chunk's diff, stays within the budget when the chunk itself fits, and quotes
code only after the diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from argusai.core.diff import ChangedFile
from argusai.core.tokens import count_tokens
from argusai.review.chunk import MIN_BUDGET, render_line
from argusai.review.context.symbols import SymbolIndex
from argusai.review.diff import REMOVED
from argusai.review.engine import CodeContext, PRContext, ReviewPlan, plan_review, run_review
from argusai.review.prompt import MAX_BODY_CHARS, prompt_overhead
from argusai.review.repo_config import RepoConfig
from tests.fakes.llm_scripted import ScriptedLLM, review_json

CONFIG = RepoConfig()
OVERHEAD = prompt_overhead(CONFIG)
DIFF_OPEN, DIFF_CLOSE = "<untrusted_diff>", "</untrusted_diff>"
CONTEXT_OPEN = "<untrusted_code_context>"
HEADINGS = ("#### Enclosing ", "#### Definition of ")
WORDS = ("total", "price", "parse", "render", "load", "check", "merge", "split")
PROSE = "The price is now parsed when a cart loads, which fixes the totals (issue 12). "


@dataclass(frozen=True)
class Change:
    """One file of the generated pull request: its head text and its base text."""

    path: str
    head: str
    base: str

    def changed_file(self) -> ChangedFile:
        old, new = self.base.splitlines(), self.head.splitlines()
        patch = "\n".join(list(difflib.unified_diff(old, new, lineterm="", n=3))[2:])
        status = "added" if not old else "modified"
        added = sum(1 for ln in patch.splitlines() if ln.startswith("+"))
        removed = sum(1 for ln in patch.splitlines() if ln.startswith("-"))
        return ChangedFile(self.path, status, added, removed, patch)


@st.composite
def pull_requests(draw: st.DrawFn) -> list[Change]:
    """1-3 files of 1-4 functions each; body lines call functions of any file; some lines
    are added or changed by the pull request, some files are new."""
    file_count = draw(st.integers(1, 4))
    shapes = [draw(st.integers(1, 4)) for _ in range(file_count)]
    names = [
        [f"{draw(st.sampled_from(WORDS))}_{i}_{j}" for j in range(n)] for i, n in enumerate(shapes)
    ]
    everyone = [name for per_file in names for name in per_file]
    changes = []
    for i, per_file in enumerate(names):
        imports = sorted({n for n in everyone if n not in per_file})
        head = [
            f"from pkg.mod{k} import {n}"
            for k, file_names in enumerate(names)
            for n in file_names
            if n in imports
        ]
        base = list(head)
        new_file = draw(st.booleans()) and i > 0
        for name in per_file:
            head += ["", "", f"def {name}(x):", f'    """Work out the {name}."""']
            base += ["", "", f"def {name}(x):", f'    """Work out the {name}."""']
            for k in range(draw(st.integers(1, 16))):
                callee = draw(st.sampled_from(everyone))
                pad = "_" * draw(st.integers(0, 60))
                line = draw(
                    st.sampled_from(
                        [
                            f"    v{k} = {callee}(x) + {k}",
                            f"    v{k}{pad} = x * {k}",
                            f'    s{k} = "{pad}" + str({callee}(x))',
                        ]
                    )
                )
                head.append(line)
                fate = draw(st.sampled_from(["context", "context", "added", "changed"]))
                if fate == "context":
                    base.append(line)
                elif fate == "changed":
                    base.append(f"    v{k} = 0")
            head.append("    return x")
            base.append("    return x")
        text = "\n".join(head) + "\n"
        changes.append(Change(f"pkg/mod{i}.py", text, "" if new_file else "\n".join(base) + "\n"))
    return changes


def _diff_section(prompt: str) -> str:
    start = prompt.index(DIFF_OPEN)
    return prompt[start : prompt.index(DIFF_CLOSE, start)]


def _review(changes: list[Change], budget: int, body: str = "") -> tuple[ReviewPlan, ScriptedLLM]:
    files = [c.changed_file() for c in changes]
    plan = plan_review(files, CONFIG, token_budget=budget)
    index = SymbolIndex.build({c.path: c.head for c in changes})
    llm = ScriptedLLM.of(review_json())
    ctx = PRContext(repo="o/r", number=1, title="Generated change", body=body)
    run_review(llm, plan, ctx, CONFIG, context=CodeContext(index=index))
    return plan, llm


@settings(max_examples=60, deadline=None, derandomize=True)  # the same examples every run
@given(
    changes=pull_requests(),
    # tight budgets (the diff leaves little or nothing) as often as roomy ones
    budget=st.one_of(
        st.integers(OVERHEAD + MIN_BUDGET, OVERHEAD + 1_500),
        st.integers(OVERHEAD + 1_500, OVERHEAD + 12_000),
    ),
    # English prose up to the description's cap: it takes the prompt's reserve for PR text
    body_chars=st.one_of(st.just(MAX_BODY_CHARS), st.integers(0, MAX_BODY_CHARS)),
)
def test_context_never_evicts_diff_lines(
    changes: list[Change], budget: int, body_chars: int
) -> None:
    body = (PROSE * (body_chars // len(PROSE) + 1))[:body_chars]
    plan, llm = _review(changes, budget, body)
    assert len(llm.calls) == len(plan.chunks)  # one valid answer per chunk, no repair call
    shown: set[tuple[str, str]] = set()
    for chunk, call in zip(plan.chunks, llm.calls, strict=True):
        diff = _diff_section(call.user)
        lines = set(diff.split("\n"))
        for piece in chunk.pieces:
            for line in piece.text.split("\n")[1:]:  # after the @@ header
                assert line in lines, f"{piece.path}: {line!r} evicted (budget {budget})"
                shown.add((piece.path, line))
        # context goes after the diff, never inside or before it
        assert not any(h in call.user[: call.user.index(DIFF_CLOSE)] for h in HEADINGS)
        if CONTEXT_OPEN in call.user:
            assert call.user.index(CONTEXT_OPEN) > call.user.index(DIFF_CLOSE)
        if chunk.tokens + OVERHEAD <= budget:
            sent = count_tokens(call.system) + count_tokens(call.user)
            assert sent <= budget, f"prompt of {sent} tokens over the budget of {budget}"
    # and across the chunks, no added or context line of any file is missing
    for path, fd in plan.diffs.items():
        for hunk in fd.hunks:
            for ln in hunk.lines:
                if ln.kind != REMOVED:
                    assert (path, render_line(ln)[0]) in shown


def test_with_room_the_definition_used_by_an_added_line_is_quoted() -> None:
    # the property above must not hold vacuously: with a large budget, context does go in
    callee = Change(
        "pkg/mod0.py",
        'def price_0_0(x):\n    """Work out the price_0_0."""\n    return x\n',
        'def price_0_0(x):\n    """Work out the price_0_0."""\n    return x\n',
    )
    caller = Change(
        "pkg/mod1.py",
        "from pkg.mod0 import price_0_0\n\n\ndef total_1_0(x):\n    v0 = price_0_0(x) + 0\n"
        "    return x\n",
        "from pkg.mod0 import price_0_0\n\n\ndef total_1_0(x):\n    return x\n",
    )
    plan, llm = _review([caller, callee], OVERHEAD + 6_000)
    (call,) = llm.calls
    context = call.user[call.user.index(CONTEXT_OPEN) :]
    assert "#### Definition of function `price_0_0` — pkg/mod0.py:1-3" in context
    assert len(plan.chunks) == 1
