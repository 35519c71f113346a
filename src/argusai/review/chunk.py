"""Token-budgeted chunks of hunks: a big PR is reviewed in several calls, never truncated.

Chunks are cut at hunk boundaries; a single hunk larger than the budget is split at
line boundaries and each part says so. Lines are rendered with their right-side
(new file) line number so the model can cite lines that really are in the diff.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argusai.core.diff import ChangedFile
from argusai.core.tokens import count_tokens
from argusai.review.diff import ADDED, REMOVED, DiffLine, FileDiff, Hunk

MAX_LINE_CHARS = 2000
MIN_BUDGET = 256
_NUM_WIDTH = 6


@dataclass(frozen=True, slots=True)
class Piece:
    """A whole hunk, or one part of a hunk split because it exceeded the budget."""

    path: str
    hunk_index: int
    part: int  # 1-based part number; 0 when the hunk is whole
    parts: int
    text: str
    tokens: int
    added_lines: tuple[int, ...]
    truncated_lines: int = 0


@dataclass(slots=True)
class Chunk:
    """The hunks sent to the LLM in one call."""

    index: int
    pieces: list[Piece] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    tokens: int = 0

    @property
    def files(self) -> list[str]:
        """Paths in this chunk, in diff order."""
        return list(dict.fromkeys(p.path for p in self.pieces))

    @property
    def has_split_hunk(self) -> bool:
        """True when a hunk was cut at line boundaries to fit the budget."""
        return any(p.part for p in self.pieces)

    @property
    def added_count(self) -> int:
        """Added lines this chunk shows."""
        return sum(len(p.added_lines) for p in self.pieces)

    def render(self) -> str:
        """The chunk's diff text, one ``### File`` section per file."""
        out: list[str] = []
        last: str | None = None
        for piece in self.pieces:
            if piece.path != last:
                if out:
                    out.append("")
                out.append(self.headers[piece.path])
                last = piece.path
            out.append(piece.text)
        return "\n".join(out)


def file_header(f: ChangedFile) -> str:
    """The line that opens a file's section in the prompt."""
    extra = f", renamed from {f.previous_path}" if f.previous_path else ""
    return f"### File: {f.path} ({f.status}{extra})"


def render_line(ln: DiffLine) -> tuple[str, bool]:
    """``"    12 +text"``; removed lines carry no number. Returns (text, truncated)."""
    text = ln.text
    truncated = len(text) > MAX_LINE_CHARS
    if truncated:
        text = text[:MAX_LINE_CHARS] + f" […{len(ln.text) - MAX_LINE_CHARS} chars cut]"
    number = "" if ln.kind == REMOVED or ln.new_no is None else str(ln.new_no)
    return f"{number:>{_NUM_WIDTH}} {ln.kind}{text}", truncated


def _piece(path: str, hunk: Hunk, lines: list[DiffLine], part: int, parts: int) -> Piece:
    rendered = [render_line(ln) for ln in lines]
    note = f"  (part {part}/{parts} of a hunk split to fit the token budget)" if part else ""
    text = "\n".join([hunk.header + note, *(r[0] for r in rendered)])
    return Piece(
        path=path,
        hunk_index=hunk.index,
        part=part,
        parts=parts,
        text=text,
        tokens=count_tokens(text),
        added_lines=tuple(ln.new_no for ln in lines if ln.kind == ADDED and ln.new_no),
        truncated_lines=sum(1 for r in rendered if r[1]),
    )


def split_hunk(path: str, hunk: Hunk, limit: int) -> list[Piece]:
    """Cut a hunk at line boundaries into parts of at most ``limit`` tokens each."""
    whole = _piece(path, hunk, hunk.lines, 0, 1)
    if whole.tokens <= limit or len(hunk.lines) <= 1:
        return [whole]
    header_cost = count_tokens(hunk.header) + 20
    groups: list[list[DiffLine]] = [[]]
    used = header_cost
    for ln in hunk.lines:
        cost = count_tokens(render_line(ln)[0]) + 1
        if groups[-1] and used + cost > limit:
            groups.append([])
            used = header_cost
        groups[-1].append(ln)
        used += cost
    return [_piece(path, hunk, g, i + 1, len(groups)) for i, g in enumerate(groups)]


def build_chunks(
    files: list[ChangedFile],
    diffs: dict[str, FileDiff],
    budget: int,
) -> list[Chunk]:
    """Pack the hunks of ``files`` (in order) into chunks of at most ``budget`` tokens."""
    budget = max(budget, MIN_BUDGET)
    chunks: list[Chunk] = [Chunk(index=0)]
    for f in files:
        diff = diffs.get(f.path)
        if diff is None:
            continue
        header = file_header(f)
        header_tokens = count_tokens(header) + 1
        for hunk in diff.hunks:
            for piece in split_hunk(f.path, hunk, budget - header_tokens):
                current = chunks[-1]
                cost = piece.tokens + 1 + (0 if f.path in current.headers else header_tokens)
                if current.pieces and current.tokens + cost > budget:
                    current = Chunk(index=len(chunks))
                    chunks.append(current)
                    cost = piece.tokens + 1 + header_tokens
                current.headers.setdefault(f.path, header)
                current.pieces.append(piece)
                current.tokens += cost
    return [c for c in chunks if c.pieces]
