"""Context blocks for one prompt, in priority order, within what the diff leaves of a budget.

The diff is never pushed out: the caller passes its token count and only the rest is spent.
Priority (issue 10): enclosing scopes, then definitions the added lines use, then the PR's
intent, then repository guidance. A definition that does not fit whole goes in as its
signature and first lines; a scope that does not fit goes in as its signature.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from argusai.core.tokens import count_tokens
from argusai.review.context.scopes import Scope
from argusai.review.context.symbols import Definition

SEPARATOR = "\n\n"
# A longer definition goes in as its signature and first lines even when the budget has
# room: the reviewer needs its contract, rarely its body, and a prompt twice the diff's size
# is the cost target of issue 10.
FULL_DEFINITION_LINES = 12


@dataclass(frozen=True, slots=True)
class Block:
    """One piece of context as it goes into the prompt."""

    kind: str  # "scope" | "definition" | "intent" | "guidance"
    label: str  # e.g. "src/app.py:12 handle" — for the summary's list of what was used
    text: str
    tokens: int
    shortened: bool = False


@dataclass(frozen=True, slots=True)
class Assembled:
    """The blocks that fit, what was left out, and the tokens they take."""

    blocks: tuple[Block, ...]
    left_out: tuple[str, ...]
    diff_tokens: int
    available: int

    @property
    def tokens(self) -> int:
        """Tokens of :meth:`render` (never more than :attr:`available`)."""
        return count_tokens(self.render())

    def render(self) -> str:
        """The context text that follows the diff in the prompt."""
        return SEPARATOR.join(b.text for b in self.blocks)


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: str
    label: str
    full: str
    short: str | None
    abridged: bool = False  # ``full`` is already the signature and first lines


def _scope_candidate(s: Scope) -> _Candidate:
    head = f"#### Enclosing {s.kind} `{s.qualname}` — {s.path}:{s.start}-{s.end}"
    return _Candidate(
        "scope",
        f"{s.path}:{s.start} {s.qualname}",
        f"{head}\n{s.text}",
        f"{head} (signature only)\n{s.signature}",
    )


def _definition_candidate(d: Definition, full_lines: int) -> _Candidate:
    head = f"#### Definition of {d.kind} `{d.qualname}` — {d.path}:{d.start}-{d.end}"
    short = f"{head} (signature and first lines)\n{d.summary}"
    label = f"{d.path}:{d.start} {d.qualname}"
    if d.summary == d.text:
        return _Candidate("definition", label, f"{head}\n{d.text}", None)
    if d.end - d.start + 1 > full_lines:
        return _Candidate("definition", label, short, None, abridged=True)
    return _Candidate("definition", label, f"{head}\n{d.text}", short)


def assemble(
    *,
    diff_tokens: int,
    budget: int,
    scopes: Sequence[Scope] = (),
    definitions: Sequence[Definition] = (),
    intent: str = "",
    guidance: str = "",
    full_definition_lines: int = FULL_DEFINITION_LINES,
) -> Assembled:
    """Fill ``budget - diff_tokens`` with context in priority order; report what did not fit."""
    available = max(0, budget - diff_tokens)
    candidates = [_scope_candidate(s) for s in scopes]
    candidates += [_definition_candidate(d, full_definition_lines) for d in definitions]
    if intent.strip():
        candidates.append(_Candidate("intent", "PR intent", f"#### Intent\n{intent.strip()}", None))
    if guidance.strip():
        candidates.append(
            _Candidate(
                "guidance", "repository guidance", f"#### Guidance\n{guidance.strip()}", None
            )
        )
    sep = count_tokens(SEPARATOR)
    blocks: list[Block] = []
    left_out: list[str] = []
    spent = 0
    for cand in candidates:
        cost_of_sep = sep if blocks else 0
        chosen: Block | None = None
        for text, shortened in ((cand.full, cand.abridged), (cand.short, True)):
            if text is None:
                continue
            tokens = count_tokens(text)
            if spent + cost_of_sep + tokens <= available:
                chosen = Block(cand.kind, cand.label, text, tokens, shortened)
                break
        if chosen is None:
            left_out.append(f"{cand.kind} {cand.label}")
            continue
        blocks.append(chosen)
        spent += cost_of_sep + chosen.tokens
    # Tokens of a joined text can differ from the sum of its parts; the rendered total rules.
    while blocks and count_tokens(SEPARATOR.join(b.text for b in blocks)) > available:
        dropped = blocks.pop()
        left_out.append(f"{dropped.kind} {dropped.label}")
    return Assembled(tuple(blocks), tuple(left_out), diff_tokens, available)
