"""The head texts a review's code context needs, fetched through the contents API.

The reviewed files first, then the files they import. Without the repository's tree (the
tree-SHA symbol index is a later step) an import is resolved by guessing paths under the
folders the pull request touches, so the number of requests is capped as well as the
number of files. Texts are kept in a small per-process cache keyed by (repository, path,
head SHA). Anything that cannot be fetched leaves that file hunk-only, with a note.
"""

from __future__ import annotations

import posixpath
from collections import OrderedDict
from collections.abc import Iterable
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
_CACHE_CHARS = 32_000_000


class BlobCache:
    """File texts by (repository, path, SHA), least recently used out past a size."""

    def __init__(self, max_chars: int = _CACHE_CHARS) -> None:
        self.max_chars = max_chars
        self._items: OrderedDict[tuple[str, str, str], str | None] = OrderedDict()
        self._chars = 0
        self.hits = 0

    def clear(self) -> None:
        """Forget everything (tests: fake SHAs are reused across fake repositories)."""
        self._items.clear()
        self._chars = 0

    def get(self, key: tuple[str, str, str]) -> tuple[bool, str | None]:
        """(found, text); text None means the file does not exist at that SHA."""
        if key not in self._items:
            return False, None
        self._items.move_to_end(key)
        self.hits += 1
        return True, self._items[key]

    def put(self, key: tuple[str, str, str], text: str | None) -> None:
        """Remember ``text`` (None: not found), dropping the oldest entries past the cap."""
        size = len(text or "")
        if size > self.max_chars or key in self._items:
            return
        self._items[key] = text
        self._chars += size
        while self._chars > self.max_chars:
            _, old = self._items.popitem(last=False)
            self._chars -= len(old or "")


_BLOBS = BlobCache()


@dataclass
class _Fetch:
    gh: GitHubRepoClient
    owner: str
    repo: str
    sha: str
    cache: BlobCache
    requests: int = 0
    stopped: str | None = None
    texts: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def text(self, path: str, *, guessed: bool) -> str | None:
        key = (f"{self.owner}/{self.repo}".lower(), path, self.sha)
        found, text = self.cache.get(key)
        if found:
            return text
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
        self.cache.put(key, text)
        if text is None and not guessed:
            self.notes.append(f"{path}: not found at the head; reviewed from its hunks only")
        return text


def fetch_context(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    head_sha: str,
    reviewed: Iterable[ChangedFile],
    all_paths: Iterable[str],
    *,
    cache: BlobCache | None = None,
) -> CodeContext:
    """Head texts of the reviewed code files and of the files they import, indexed."""
    f = _Fetch(gh, owner, repo, head_sha, _BLOBS if cache is None else cache)
    wanted = [c.path for c in reviewed if c.status != "removed" and is_code(c.path)]
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
    for path in sorted(big):
        f.notes.append(f"{path}: over {MAX_FILE_CHARS:,} characters; enclosing scopes only")
    small = {p: t for p, t in f.texts.items() if p not in big}
    index = SymbolIndex.build(small)
    scoped = {p: t for p, t in f.texts.items() if p in big and p in wanted}
    if scoped:
        index = SymbolIndex({**small, **scoped}, by_name=index.by_name, by_path=index.by_path)
    log.info("context fetched", files=len(f.texts), requests=f.requests, notes=len(f.notes))
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
