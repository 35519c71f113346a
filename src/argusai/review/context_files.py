"""The head texts a review's code context needs, read from the repository at the head SHA.

One tree call (``git/trees/{head}?recursive=1``) lists the repository; texts are then read
as blobs by id through the blob cache (content-addressed and shared by every review and
process: a hit costs no request), never by cloning. A definition the added lines use is
looked for in the same file, then in the files it imports (resolved against the tree's
real paths), then elsewhere in the repository:

* names worth looking for are those no fetched file defines and that are plausibly the
  repository's own (:func:`~argusai.review.context.repo_index.wanted_names`);
* a Python re-export (``from pkg import name`` with ``pkg/__init__.py`` importing it from
  a sibling) is followed for up to ``MAX_HOPS`` modules first;
* then candidate files from the tree, most likely first (same language family, a module or
  folder named like the name, the changed files' folders, their top folder: see
  ``repo_index``), at most ``MAX_CANDIDATES`` of them. What a candidate defines is known
  without a request when any review read that blob before (the names are a side entry of
  the blob cache, and an in-process index per tree SHA keeps them too); otherwise its blob
  is read, at most ``MAX_SEARCH_BLOBS`` per review. A candidate that defines a wanted name
  joins the context.

Blobs the cache lacks are fetched ``FETCH_THREADS`` at a time: the reviewed files together,
then the files they import, then the search's candidates in batches (a batch fetches only
what the search would have read one by one, within ``MAX_SEARCH_BLOBS``).

At most ``MAX_FILES`` files make the context. A changed file over ``MAX_FILE_CHARS``
characters gives its enclosing scopes only; one over ``MAX_FETCH_BYTES`` is not read
(hunk-only, with a note); other files over ``4 × MAX_FILE_CHARS`` bytes are never read.
When GitHub truncates the tree (past ~100,000 entries), the folders of the reviewed files are
listed one by one (non-recursive trees, from the deepest folder the partial listing has, at
most ``MAX_SUBTREES`` requests) and added to what it listed: imports and the search then see
that part of the repository, and the summary says so. When no tree can be had, the reviewed
files and the files they import are fetched path by path through the contents API
(:mod:`context_contents`), and the summary says so. Every GitHub call goes through the
installation client, so the same limiter, retries and rate-limit handling apply; a rate limit
stops fetching for this review.
"""

from __future__ import annotations

import contextvars
import json
import posixpath
import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import structlog

from argusai.core.diff import ChangedFile
from argusai.errors import GitHubError, GitHubRateLimited, GitHubTransientError
from argusai.github.blobs import BlobCache, MemoryBlobCache
from argusai.github.port import GitHubRepoClient, RepoTree, TreeEntry
from argusai.review.context.gather import is_code
from argusai.review.context.repo_index import (
    PathIndex,
    candidates,
    python_from_imports,
    reexport_sources,
    wanted_names,
)
from argusai.review.context.symbols import SymbolIndex, definitions, uses
from argusai.review.context_contents import fetch_by_path
from argusai.review.diff import parse_patch
from argusai.review.engine import CodeContext

log = structlog.get_logger(__name__)

MAX_FILES = 30  # files in the context: reviewed, imported, found elsewhere
MAX_SEARCH_BLOBS = 40  # blob requests per review spent looking names up elsewhere
MAX_CANDIDATES = 300  # tree files considered per review for those names
MAX_NAMES = 60  # names looked up elsewhere per review, first used first
MAX_HOPS = 3  # re-export modules followed per name
MAX_FILE_CHARS = 200_000  # larger files give their enclosing scopes only, no definitions
MAX_FETCH_BYTES = 1024 * 1024  # a reviewed file larger than this is not read at all
_SURELY_TOO_BIG = 4 * MAX_FILE_CHARS  # bytes: over MAX_FILE_CHARS whatever the encoding
_REGULAR = ("100644", "100755")  # git modes of plain files (not links, not submodules)
NAMES_KIND = "names1"  # blob cache side entry: the names a file defines (JSON list)
TREES_KEPT = 4  # in-process: the repository index of the last few trees
FETCH_THREADS = 8  # blob requests in flight at once for one review
MAX_SUBTREES = 30  # folder listings per review when GitHub truncated the recursive tree

_MEMORY = MemoryBlobCache()


@dataclass
class _Tree:
    """What a review needs of one tree: its code files and the names they define."""

    blobs: dict[str, tuple[str, int | None]]  # code path → (blob id, size)
    paths: PathIndex
    names: dict[str, frozenset[str]] = field(default_factory=dict)  # known so far


_TREES: OrderedDict[str, _Tree] = OrderedDict()
_TREES_LOCK = threading.Lock()


def _completed(
    gh: GitHubRepoClient, owner: str, repo: str, tree: RepoTree, paths: Iterable[str]
) -> tuple[RepoTree, int]:
    """A truncated tree with the folders of ``paths`` listed one by one added to it: (the
    tree, folder requests made)."""
    entries = {e.path: e for e in tree.entries}
    listed: set[str] = set()
    requests = 0
    for folder in sorted({posixpath.dirname(p) for p in paths}):
        parts = folder.split("/") if folder else []
        # the deepest folder on the way whose id the listing has (the root's is the tree's)
        depth, sha = 0, tree.sha
        for i in range(len(parts), 0, -1):
            known = entries.get("/".join(parts[:i]))
            if known is not None and known.type == "tree":
                depth, sha = i, known.sha
                break
        for i in range(depth, len(parts) + 1):
            here = "/".join(parts[:i])
            if here not in listed:
                if requests >= MAX_SUBTREES:
                    return _merged(tree, entries), requests
                requests += 1
                listed.add(here)
                prefix = f"{here}/" if here else ""
                for e in gh.get_tree(owner, repo, sha, recursive=False).entries:
                    entries.setdefault(prefix + e.path, _under(prefix, e))
            if i < len(parts):
                step = entries.get("/".join(parts[: i + 1]))
                if step is None or step.type != "tree":
                    break  # the folder is not in this commit
                sha = step.sha
    return _merged(tree, entries), requests


def _under(prefix: str, entry: TreeEntry) -> TreeEntry:
    return TreeEntry(prefix + entry.path, entry.mode, entry.type, entry.sha, entry.size)


def _merged(tree: RepoTree, entries: dict[str, TreeEntry]) -> RepoTree:
    return RepoTree(sha=tree.sha, entries=tuple(entries.values()), truncated=True)


def _tree_index(tree: RepoTree) -> _Tree:
    """The index of ``tree`` (built once per tree id and process; a truncated tree's, which
    depends on the folders this review listed, every time)."""
    with _TREES_LOCK:
        found = None if tree.truncated else _TREES.get(tree.sha)
        if found is not None:
            _TREES.move_to_end(tree.sha)
            return found
    blobs = {
        e.path: (e.sha, e.size)
        for e in tree.entries
        if e.type == "blob" and e.mode in _REGULAR and is_code(e.path)
    }
    built = _Tree(blobs=blobs, paths=PathIndex.build(blobs))
    if tree.truncated:
        return built
    with _TREES_LOCK:
        _TREES[tree.sha] = built
        while len(_TREES) > TREES_KEPT:
            _TREES.popitem(last=False)
    return built


@dataclass
class _Session:
    gh: GitHubRepoClient
    owner: str
    repo: str
    tree: _Tree
    cache: BlobCache
    requests: int = 0
    search_requests: int = 0
    stopped: str | None = None
    texts: dict[str, str] = field(default_factory=dict)  # the context's files
    seen: dict[str, str] = field(default_factory=dict)  # read while searching
    failed: set[str] = field(default_factory=set)  # not readable: never asked twice
    notes: list[str] = field(default_factory=list)

    def read(self, path: str) -> str | None:
        """The text of tree file ``path``: from the cache, else one blob request."""
        if path in self.seen:
            return self.seen[path]
        if path in self.failed:
            return None
        sha, _size = self.tree.blobs[path]
        text = self.cache.get(sha)
        if text is None:
            if self.stopped:
                return None
            self.requests += 1
            text = self._kept(path, sha, self._fetch(sha))
        else:
            self.seen[path] = text
        return text

    def _fetch(self, sha: str) -> str | BaseException | None:
        """One blob request (any thread); the error it raised, as a value."""
        try:
            return self.gh.get_blob_text(self.owner, self.repo, sha)
        except (GitHubError, GitHubTransientError) as exc:
            return exc

    def _kept(self, path: str, sha: str, got: str | BaseException | None) -> str | None:
        """Record what a blob request gave (this thread): its text, or why it failed."""
        if isinstance(got, BaseException):
            if isinstance(got, GitHubRateLimited):
                self.stopped = "GitHub rate limit"
            log.info("context blob not fetched", path=path, error=type(got).__name__)
            self.failed.add(path)
            return None
        if got is None:
            self.failed.add(path)
            return None
        self.cache.put(sha, got)
        self.seen[path] = got
        return got

    def prefetch(self, paths: Iterable[str], limit: int) -> int:
        """Read the blobs of up to ``limit`` of ``paths`` that are not read yet, the ones the
        cache lacks ``FETCH_THREADS`` at a time; the requests made."""
        missing: list[tuple[str, str]] = []
        for path in paths:
            if len(missing) >= limit or self.stopped:
                break
            if path in self.seen or path in self.failed or path not in self.tree.blobs:
                continue
            sha = self.tree.blobs[path][0]
            text = self.cache.get(sha)
            if text is not None:
                self.seen[path] = text
            elif all(sha != other for _p, other in missing):
                missing.append((path, sha))
        if len(missing) < 2:
            for path, _sha in missing:
                self.read(path)
            return len(missing)
        # each request runs in a copy of this context: its log lines keep the review's fields
        contexts = [contextvars.copy_context() for _ in missing]
        with ThreadPoolExecutor(min(FETCH_THREADS, len(missing))) as pool:
            results = list(pool.map(lambda c, m: c.run(self._fetch, m[1]), contexts, missing))
        for (path, sha), got in zip(missing, results, strict=True):
            self._kept(path, sha, got)
        self.requests += len(missing)
        return len(missing)

    def add(self, path: str) -> bool:
        """Put ``path`` into the context (within MAX_FILES); False when it cannot be read."""
        if path in self.texts:
            return True
        if len(self.texts) >= MAX_FILES:
            return False
        text = self.read(path)
        if text is None:
            return False
        self.texts[path] = text
        return True

    def names_of(self, path: str, *, may_fetch: bool) -> frozenset[str] | None:
        """The names ``path`` defines, known without a request when possible."""
        known = self.tree.names.get(path)
        if known is not None:
            return known
        sha, size = self.tree.blobs[path]
        side = self.cache.get_side(sha, NAMES_KIND)
        if side is not None:
            try:
                names = frozenset(str(n) for n in json.loads(side))
            except (ValueError, TypeError):
                names = None
            if names is not None:
                self.tree.names[path] = names
                return names
        if path not in self.seen and path not in self.texts:
            if not may_fetch or path in self.failed or (size or 0) > _SURELY_TOO_BIG:
                return None
            before = self.requests
            self.read(path)
            self.search_requests += self.requests - before
        text = self.texts.get(path, self.seen.get(path))
        if text is None:
            return None
        names = frozenset(d.name for d in definitions(path, text))
        self.tree.names[path] = names
        self.cache.put_side(sha, NAMES_KIND, json.dumps(sorted(names)))
        return names


def fetch_context(
    gh: GitHubRepoClient,
    owner: str,
    repo: str,
    head_sha: str,
    reviewed: Iterable[ChangedFile],
    all_paths: Iterable[str],
    *,
    blobs: BlobCache | None = None,
) -> CodeContext:
    """Head texts of the reviewed code files, of the files they import and of the files
    elsewhere in the repository that define what the added lines use, indexed."""
    changed = [c for c in reviewed if c.status != "removed" and is_code(c.path)]
    if not changed:
        return CodeContext(index=SymbolIndex.build({}), notes=())
    cache = _MEMORY if blobs is None else blobs
    try:
        tree = gh.get_tree(owner, repo, head_sha)
    except GitHubRateLimited:
        return CodeContext(notes=("GitHub rate limit: no code context; hunks only",))
    except (GitHubError, GitHubTransientError) as exc:
        why = f"repository tree not available ({type(exc).__name__})"
        return fetch_by_path(gh, owner, repo, head_sha, changed, all_paths, why=why)
    notes: list[str] = []
    if tree.truncated:
        try:
            tree, folders = _completed(gh, owner, repo, tree, [c.path for c in changed])
        except (GitHubError, GitHubTransientError) as exc:
            why = f"repository tree too large for GitHub to list whole ({type(exc).__name__})"
            return fetch_by_path(gh, owner, repo, head_sha, changed, all_paths, why=why)
        notes.append(
            "repository tree too large for GitHub to list whole: the reviewed files' folders "
            f"were listed one by one ({folders} requests); definitions elsewhere were looked "
            "for in the part GitHub listed"
        )
    s = _Session(gh, owner, repo, _tree_index(tree), cache, notes=notes)
    _read_changed(s, changed)
    imports = [
        imported
        for path in list(s.texts)
        for imported in s.tree.paths.imports(path, s.texts[path])
        if (s.tree.blobs[imported][1] or 0) <= _SURELY_TOO_BIG
    ]
    s.prefetch(imports, MAX_FILES - len(s.texts))
    for imported in imports:
        if len(s.texts) < MAX_FILES:
            s.add(imported)
    _search(s, changed)
    if s.stopped:
        s.notes.append(f"context fetching stopped early ({s.stopped})")
    wanted = {c.path for c in changed}
    big = {p for p, t in s.texts.items() if len(t) > MAX_FILE_CHARS}
    for path in sorted(big & wanted):
        s.notes.append(f"{path}: over {MAX_FILE_CHARS:,} characters; enclosing scopes only")
    small = {p: t for p, t in s.texts.items() if p not in big}
    index = SymbolIndex.build(small)
    scoped = {p: t for p, t in s.texts.items() if p in big and p in wanted}
    if scoped:
        index = SymbolIndex({**small, **scoped}, by_name=index.by_name, by_path=index.by_path)
    log.info(
        "context fetched",
        files=len(s.texts),
        requests=s.requests + 1,
        search_requests=s.search_requests,
        cache_hits=cache.hits,
        notes=len(s.notes),
    )
    return CodeContext(index=index, notes=tuple(s.notes))


def _read_changed(s: _Session, changed: Sequence[ChangedFile]) -> None:
    readable = [
        c.path
        for c in changed
        if c.path in s.tree.blobs and (s.tree.blobs[c.path][1] or 0) <= MAX_FETCH_BYTES
    ]
    s.prefetch(readable, MAX_FILES)
    for c in changed:
        entry = s.tree.blobs.get(c.path)
        if entry is None:
            s.notes.append(f"{c.path}: not found at the head; reviewed from its hunks only")
        elif (entry[1] or 0) > MAX_FETCH_BYTES:
            s.notes.append(
                f"{c.path}: over {MAX_FETCH_BYTES:,} bytes, not read; reviewed from its hunks only"
            )
        elif len(s.texts) >= MAX_FILES:
            s.notes.append(f"context limited to {MAX_FILES} files; the rest hunk-only")
            return
        elif not s.add(c.path):
            s.notes.append(f"{c.path}: could not be fetched; reviewed from its hunks only")


def _search(s: _Session, changed: Sequence[ChangedFile]) -> None:
    """Add the files elsewhere in the tree that define names the added lines use."""
    defined: set[str] = set()
    for path in s.texts:
        if len(s.texts[path]) <= MAX_FILE_CHARS:
            defined |= s.names_of(path, may_fetch=False) or frozenset()
    wanted: dict[str, str] = {}  # name → the changed file using it
    for c in changed:
        text = s.texts.get(c.path)
        if text is None or len(text) > MAX_FILE_CHARS:
            continue
        added = parse_patch(c.path, c.patch).added
        for name in wanted_names(c.path, text, uses(c.path, text, added), defined, s.tree.paths):
            wanted.setdefault(name, c.path)
    remaining = dict(list(wanted.items())[:MAX_NAMES])
    if not remaining or len(s.texts) >= MAX_FILES:
        return

    def found(path: str, names: frozenset[str]) -> None:
        hits = names.intersection(remaining)
        if hits and s.add(path):
            for name in hits:
                remaining.pop(name, None)

    for name, user in list(remaining.items()):
        via = s.tree.paths.resolve(python_from_imports(user, s.texts[user]).get(name, []), user)
        for _hop in range(MAX_HOPS):
            if name not in remaining or not via:
                break
            texts = {**s.seen, **s.texts}
            sources = reexport_sources(name, texts, [p for p in via if p in texts], s.tree.paths)
            via = []
            for src in sources[:4]:
                names = s.names_of(src, may_fetch=s.search_requests < MAX_SEARCH_BLOBS)
                if names is not None and name in names:
                    found(src, names)
                    break
                via.append(src)
    near = [c.path for c in changed]
    ranked = candidates(
        list(remaining), near, s.tree.paths, exclude=s.texts.keys(), limit=MAX_CANDIDATES
    )
    for at in range(0, len(ranked), FETCH_THREADS):
        if not remaining or len(s.texts) >= MAX_FILES or s.stopped:
            break
        batch = ranked[at : at + FETCH_THREADS]
        unknown = [p for p in batch if s.names_of(p, may_fetch=False) is None]
        fetchable = [p for p in unknown if (s.tree.blobs[p][1] or 0) <= _SURELY_TOO_BIG]
        s.search_requests += s.prefetch(fetchable, MAX_SEARCH_BLOBS - s.search_requests)
        for path in batch:
            if not remaining or len(s.texts) >= MAX_FILES:
                break
            names = s.names_of(path, may_fetch=False)
            if names:
                found(path, names)
    if remaining:
        log.debug("names not found in the repository", names=sorted(remaining)[:20])
