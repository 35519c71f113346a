"""Code context for ``argus review`` from the local checkout: the reading side of it.

With ``--base REF`` the diff is ``REF...HEAD``, so the head texts are the files of the HEAD
commit (``git ls-tree`` and one ``git cat-file --batch``), not the working tree: an
uncommitted edit would move the lines the diff's line numbers point at. With ``--diff FILE``
nothing says which commit the diff came from; the files are read as they are in the working
tree of ``--repo`` (tracked and untracked, ``.gitignore`` respected), the diff's paths taken
relative to it.

The whole checkout is indexed, so a definition anywhere in the repository can reach the
prompt, within caps: the changed files first, then the files beside them, then the rest by
path. Only files git lists are read: a path in a diff file never reaches outside the
checkout, and a symbolic link is never followed.
"""

from __future__ import annotations

import posixpath
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from argusai.core.diff import ChangedFile
from argusai.review.context.gather import is_code
from argusai.review.context.symbols import SymbolIndex
from argusai.review.engine import CodeContext
from argusai.review.local import LocalDiffError, run_git

MAX_FILES = 5_000  # code files indexed (the changed ones always are)
MAX_FILE_CHARS = 200_000  # larger files are not indexed; a larger changed file gives scopes only
MAX_TOTAL_CHARS = 20_000_000  # read for the index: a few seconds of tree-sitter on two cores
# A UTF-8 character takes at most 4 bytes: a blob larger than this is over MAX_FILE_CHARS
# without being read.
_SURELY_TOO_BIG = 4 * MAX_FILE_CHARS
_REGULAR = ("100644", "100755")  # git file modes; 120000 is a symbolic link, 160000 a submodule


@dataclass(frozen=True, slots=True)
class _Entry:
    path: str
    size: int  # bytes
    ref: str  # the blob's id (HEAD) or the path on disk (working tree)


@dataclass
class _Selection:
    entries: list[_Entry] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    too_big: int = 0  # files not read: over MAX_FILE_CHARS whatever their encoding


def head_context(repo_dir: Path, changed: Sequence[ChangedFile]) -> CodeContext:
    """The checkout's HEAD commit, indexed (the head of a ``REF...HEAD`` diff)."""
    listing = _stdout(["ls-tree", "-r", "-l", "-z", "--full-tree", "HEAD"], repo_dir)
    entries: dict[str, _Entry] = {}
    for record in listing.split(b"\0"):
        meta, tab, raw_path = record.partition(b"\t")
        fields = meta.split()
        if not tab or len(fields) != 4:
            continue
        mode, kind, oid, size = (f.decode("ascii", errors="replace") for f in fields)
        path = raw_path.decode("utf-8", errors="replace")  # -z: never quoted
        if kind == "blob" and mode in _REGULAR and is_code(path) and size.isdigit():
            entries[path] = _Entry(path, int(size), oid)
    sha = _stdout(["rev-parse", "--short=12", "HEAD"], repo_dir).decode().strip()
    source = f"the checkout at HEAD ({sha})"
    chosen = _select(entries, changed, source)
    texts = _texts(chosen.entries, _read_blobs(repo_dir, chosen.entries))
    return _indexed(texts, changed, chosen, source)


def worktree_context(repo_dir: Path, changed: Sequence[ChangedFile]) -> CodeContext:
    """The working tree of the git checkout ``repo_dir``, indexed (paths relative to it)."""
    if not repo_dir.is_dir():
        raise LocalDiffError(f"--repo {repo_dir}: not a directory")
    inside = run_git(["rev-parse", "--is-inside-work-tree"], repo_dir)
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise LocalDiffError(
            f"{repo_dir} is not inside a git checkout (code context reads the files git "
            "lists; --no-context reviews the hunks only)"
        )
    args = ["-c", "core.quotePath=false", "ls-files", "-z", "--cached", "--others"]
    listing = _stdout([*args, "--exclude-standard"], repo_dir)
    entries: dict[str, _Entry] = {}
    for raw in listing.split(b"\0"):
        path = raw.decode("utf-8", errors="replace")
        if not path or path in entries or not is_code(path):
            continue
        on_disk = repo_dir / path
        if on_disk.is_symlink() or not on_disk.is_file():
            continue  # a link may point outside the checkout; a listed file may be deleted
        entries[path] = _Entry(path, on_disk.stat().st_size, str(on_disk))
    source = f"the working tree of {repo_dir}"
    chosen = _select(entries, changed, source)
    data: dict[str, bytes] = {}
    for e in chosen.entries:
        try:
            data[e.path] = Path(e.ref).read_bytes()
        except OSError:
            continue  # removed or unreadable since it was listed: hunk-only
    return _indexed(_texts(chosen.entries, data), changed, chosen, source)


def _stdout(args: list[str], repo_dir: Path) -> bytes:
    result = run_git(args, repo_dir)
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", errors="replace").strip().splitlines()
        detail = message[-1] if message else f"exit status {result.returncode}"
        raise LocalDiffError(f"git {args[0]} failed while reading code context: {detail}")
    return result.stdout


def _wanted(changed: Iterable[ChangedFile]) -> list[str]:
    return [c.path for c in changed if c.status != "removed" and is_code(c.path)]


def _select(
    entries: Mapping[str, _Entry], changed: Sequence[ChangedFile], source: str
) -> _Selection:
    """The files to read, in priority order, within MAX_FILES and MAX_TOTAL_CHARS."""
    wanted = _wanted(changed)
    out = _Selection()
    out.notes += [
        f"{p}: not found in {source}; reviewed from its hunks only"
        for p in wanted
        if p not in entries
    ]
    near = {posixpath.dirname(p) for p in wanted}
    first = set(wanted)

    def rank(e: _Entry) -> tuple[bool, bool, str]:
        return (e.path not in first, posixpath.dirname(e.path) not in near, e.path)

    total = 0
    stopped_at: str | None = None
    for e in sorted(entries.values(), key=rank):
        if e.path in first:
            out.entries.append(e)  # always: scopes need the text even past the caps
            total += e.size
            continue
        if e.size > _SURELY_TOO_BIG:
            out.too_big += 1
            continue
        if stopped_at is None and len(out.entries) >= MAX_FILES:
            stopped_at = f"{MAX_FILES:,} code files"
        if stopped_at is None and total + e.size > MAX_TOTAL_CHARS:
            stopped_at = f"{MAX_TOTAL_CHARS:,} characters"
        if stopped_at is not None:
            continue
        out.entries.append(e)
        total += e.size
    if stopped_at is not None:
        left = len(entries) - len(out.entries) - out.too_big
        out.notes.append(f"repository index limited to {stopped_at}; {left:,} more not indexed")
    return out


def _read_blobs(repo_dir: Path, entries: Sequence[_Entry]) -> dict[str, bytes]:
    """The blobs' contents by path, from one ``git cat-file --batch``."""
    if not entries:
        return {}
    batch = "".join(f"{e.ref}\n" for e in entries).encode("ascii")
    result = run_git(["cat-file", "--batch"], repo_dir, stdin=batch)
    if result.returncode != 0:
        raise LocalDiffError("git cat-file failed while reading code context")
    out: dict[str, bytes] = {}
    data, pos = result.stdout, 0
    for e in entries:  # answers come in the order asked: "<oid> blob <size>\n<bytes>\n"
        end = data.find(b"\n", pos)
        if end < 0:
            break
        header = data[pos:end].split()
        if len(header) != 3:  # "<oid> missing"
            pos = end + 1
            continue
        size = int(header[2])
        out[e.path] = data[end + 1 : end + 1 + size]
        pos = end + 1 + size + 1
    return out


def _texts(entries: Sequence[_Entry], data: Mapping[str, bytes]) -> dict[str, str]:
    """Decoded texts in priority order; a file with a NUL byte is binary, not code."""
    return {
        e.path: data[e.path].decode("utf-8", errors="replace")
        for e in entries
        if e.path in data and b"\0" not in data[e.path]
    }


def _indexed(
    texts: Mapping[str, str], changed: Sequence[ChangedFile], chosen: _Selection, source: str
) -> CodeContext:
    """Index the texts; a changed file over MAX_FILE_CHARS gives its scopes, no definitions."""
    wanted: Collection[str] = set(_wanted(changed))
    big = [p for p, t in texts.items() if len(t) > MAX_FILE_CHARS]
    small = {p: t for p, t in texts.items() if len(t) <= MAX_FILE_CHARS}
    index = SymbolIndex.build(small)
    scoped = {p: texts[p] for p in big if p in wanted}
    if scoped:
        index = SymbolIndex({**small, **scoped}, by_name=index.by_name, by_path=index.by_path)
    notes = [f"code context from {source}: {len(small):,} code file(s) indexed", *chosen.notes]
    notes += [
        f"{p}: over {MAX_FILE_CHARS:,} characters; enclosing scopes only" for p in sorted(scoped)
    ]
    if unindexed := len(big) - len(scoped) + chosen.too_big:
        notes.append(f"{unindexed:,} code file(s) over {MAX_FILE_CHARS:,} characters not indexed")
    return CodeContext(index=index, notes=tuple(notes))
