"""The fallback of :mod:`context_files` when the repository tree cannot be listed: head texts
fetched path by path through the contents API.

The reviewed files first, then the files they import. Without the tree an import is
resolved by guessing paths under the folders the pull request touches, so the number of
requests is capped as well as the number of files; nothing is looked up elsewhere in the
repository. Anything that cannot be fetched leaves that file hunk-only, with a note; the
reason the tree was not used is the first note.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import structlog

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.github.port import GitHubRepoClient
from argusai.review.context.gather import is_code
from argusai.review.context.imports import import_candidates
from argusai.review.context.symbols import SymbolIndex
from argusai.review.engine import CodeContext

log = structlog.get_logger(__name__)

MAX_FILES = 30
MAX_REQUESTS = 60
MAX_FILE_CHARS = 200_000  # larger files give their enclosing scopes only, no definitions


@dataclass
class _Fetch:
    gh: GitHubRepoClient
    owner: str
    repo: str
    sha: str
    requests: int = 0
    stopped: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def text(self, path: str, *, guessed: bool) -> str | None:
        if self.stopped or self.requests >= MAX_REQUESTS:
            self.stopped = self.stopped or f"more than {MAX_REQUESTS} file requests"
            return None
        self.requests += 1
        try:
            text = self.gh.get_file_text(self.owner, self.repo, path, self.sha)
        except (GitHubError, GitHubTransientError) as exc:
            if isinstance(exc, GitHubRateLimited):
                self.stopped = "GitHub rate limit"
            if not guessed:
                self.notes.append(f"{path}: could not be fetched; reviewed from its hunks only")
            log.info("context file not fetched", path=path, error=type(exc).__name__)
            return None
        if text is None and not guessed:
            self.notes.append(f"{path}: not found at the head; reviewed from its hunks only")
        return text


def fetch_by_path(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    head_sha: str,
    changed: Sequence[ChangedFile],
    all_paths: Iterable[str],
    *,
    why: str,
) -> CodeContext:
    """Head texts of the changed code files and of the files they import, indexed; ``why``
    the tree was not used opens the notes."""
    f = _Fetch(gh, owner, repo, head_sha)
    f.notes.append(f"{why}: files fetched by path, nothing looked up elsewhere in the repository")
    wanted = [c.path for c in changed]
    for path in wanted:
        if len(f.texts) >= MAX_FILES:
            f.notes.append(f"context limited to {MAX_FILES} files; the rest hunk-only")
            break
        text = f.text(path, guessed=False)
        if text is not None:
            f.texts[path] = text
    known = set(all_paths) | set(f.texts)
    folders = _folders(known)
    for path in list(f.texts):
        for guess in _guesses(path, f.texts[path], known, folders):
            if len(f.texts) >= MAX_FILES or f.stopped:
                break
            if guess in f.texts:
                continue
            text = f.text(guess, guessed=True)
            if text is not None and is_code(guess):
                f.texts[guess] = text
    if f.stopped:
        f.notes.append(f"context fetching stopped early ({f.stopped})")
    big = {p for p, t in f.texts.items() if len(t) > MAX_FILE_CHARS}
    for path in sorted(big & set(wanted)):
        f.notes.append(f"{path}: over {MAX_FILE_CHARS:,} characters; enclosing scopes only")
    small = {p: t for p, t in f.texts.items() if p not in big}
    index = SymbolIndex.build(small)
    scoped = {p: t for p, t in f.texts.items() if p in big and p in wanted}
    if scoped:
        index = SymbolIndex({**small, **scoped}, by_name=index.by_name, by_path=index.by_path)
    log.info("context fetched by path", files=len(f.texts), requests=f.requests)
    return CodeContext(index=index, notes=tuple(f.notes))


def _folders(paths: Iterable[str]) -> set[str]:
    out: set[str] = set()
    for p in paths:
        d = posixpath.dirname(p)
        while d and d not in out:
            out.add(d)
            d = posixpath.dirname(d)
    return out


def _guesses(path: str, text: str, known: set[str], folders: set[str]) -> list[str]:
    """Paths ``path`` may import: exact ones, and ``*/a/b.py`` patterns placed under the
    folders the PR touches whose name is the pattern's first segment (``src/`` + ``a/b.py``
    when ``src/a`` is such a folder); a bare module name is too ambiguous to guess."""
    out: dict[str, None] = {}
    for cand in import_candidates(path, text, known):
        if not cand.startswith("*/"):
            out.setdefault(cand, None)
            continue
        suffix = cand[2:]
        first, _, rest = suffix.partition("/")
        if not rest:
            continue
        for folder in sorted(folders):
            if folder == first or folder.endswith("/" + first):
                out.setdefault(folder[: -len(first)] + suffix, None)
    out.pop(path, None)
    return list(out)
