"""A repository's file list as a lookup index: imports resolved against it, names the added
lines use that no fetched file defines, and the files most likely to define them.

Pure: the caller hands in paths and texts (a git tree, fetched elsewhere). Candidate order
for a name ``n`` (first tier first, nearest to a changed file first within a tier):

0. a file whose module name is ``n`` (``UserService`` → ``user_service.rb``,
   ``normalise`` → ``normalise.py`` or ``normalise/__init__.py``);
1. a file one of ``n``'s words names (``parse_config`` → ``config.py``), or in a folder
   named like ``n``;
2. a file in the folder of a changed file;
3. a file under the same top folder as a changed file;

always in the language family of the file that uses ``n``. Re-exports (``from pkg import
n`` where ``pkg/__init__.py`` imports ``n`` from elsewhere) are followed by
:func:`reexport_sources` before any of these.
"""

from __future__ import annotations

import builtins
import posixpath
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from argusai.review.context.imports import import_candidates
from argusai.review.context.symbols import Use

PER_PATTERN = 2  # tree paths kept for one ``*/a/b.py`` import pattern (nearest first)
PER_NAME = 6  # tier-0/1 candidates kept per name

_FAMILIES = {
    **dict.fromkeys((".py", ".pyi"), "python"),
    **dict.fromkeys((".js", ".jsx", ".mjs", ".cjs", ".ts", ".tsx", ".mts", ".cts"), "js"),
    **dict.fromkeys((".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".hh"), "c"),
    **dict.fromkeys((".java", ".kt", ".kts", ".scala", ".groovy"), "jvm"),
    ".go": "go",
    ".rs": "rust",
    ".rb": "ruby",
    ".cs": "csharp",
    ".swift": "swift",
    ".php": "php",
    ".dart": "dart",
    ".sh": "shell",
}
_PY_FROM = re.compile(r"^[ \t]*from\s+(\.*[\w.]*)\s+import\s+(\([^)]*\)|[\w \t,*]*)", re.M)
_WORDS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_RECEIVERS = frozenset({"self", "cls", "this", "super"})
_GLOBALS = frozenset(dir(builtins)) | frozenset(
    """console window document globalThis require module exports undefined Object Array
    String Number Boolean Symbol Promise JSON Math Date RegExp Error TypeError Map Set
    WeakMap process Buffer setTimeout clearTimeout fetch append cap copy delete make new
    panic recover print println nil iota fmt errors strings context Some None Ok Err Vec
    Box Option Result Self System Override Exception List Integer""".split()  # noqa: SIM905 - a word list
)


def family(path: str) -> str | None:
    """The language family of ``path`` (files of one family may define each other's names)."""
    return _FAMILIES.get(posixpath.splitext(path)[1].lower())


def name_key(name: str) -> str:
    """``UserService``, ``user_service`` and ``user-service`` alike: ``userservice``."""
    return name.replace("_", "").replace("-", "").lower()


def words(name: str) -> list[str]:
    """``parseHTTPConfig`` → ``parse``, ``http``, ``config``; ``load_all`` → ``load``, ``all``."""
    return [w.lower() for w in _WORDS.findall(name)]


def module_key(path: str) -> str:
    """The name a file is imported or autoloaded by (``pkg/__init__.py`` → ``pkg``)."""
    stem = posixpath.splitext(posixpath.basename(path))[0]
    if stem in {"__init__", "index", "mod"} and "/" in path:
        stem = posixpath.basename(posixpath.dirname(path))
    return name_key(stem)


def _nearness(path: str, near: Sequence[str]) -> int:
    """Path segments ``path`` shares with the nearest of ``near``, negated (sort key)."""
    parts = path.split("/")[:-1]
    best = 0
    for other in near:
        shared = 0
        for a, b in zip(parts, other.split("/")[:-1], strict=False):
            if a != b:
                break
            shared += 1
        best = max(best, shared)
    return -best


@dataclass
class PathIndex:
    """The code files of a tree, by base name and by module name."""

    paths: frozenset[str]
    by_base: dict[str, list[str]] = field(default_factory=dict)
    by_key: dict[str, list[str]] = field(default_factory=dict)
    by_folder_key: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def build(cls, paths: Iterable[str]) -> PathIndex:
        """Index ``paths`` (code files only are worth passing)."""
        index = cls(frozenset(paths))
        for p in sorted(index.paths):
            index.by_base.setdefault(posixpath.basename(p), []).append(p)
            index.by_key.setdefault(module_key(p), []).append(p)
            folder = posixpath.basename(posixpath.dirname(p))
            if folder:
                index.by_folder_key.setdefault(name_key(folder), []).append(p)
        return index

    def resolve(self, candidates: Iterable[str], from_path: str) -> list[str]:
        """Tree paths for import candidates: exact ones, and ``*/suffix`` patterns matched at
        a segment boundary (at most ``PER_PATTERN`` each, nearest to ``from_path`` first)."""
        out: dict[str, None] = {}
        for cand in candidates:
            if not cand.startswith("*/"):
                if cand in self.paths:
                    out.setdefault(cand, None)
                continue
            suffix = cand[1:]
            hits = [
                p
                for p in self.by_base.get(posixpath.basename(suffix), [])
                if ("/" + p).endswith(suffix)
            ]
            hits.sort(key=lambda p: (_nearness(p, [from_path]), len(p), p))
            out.update(dict.fromkeys(hits[:PER_PATTERN]))
        out.pop(from_path, None)
        return list(out)

    def imports(self, path: str, text: str) -> list[str]:
        """The tree's files that ``text`` (the file at ``path``) imports, in import order."""
        return self.resolve(import_candidates(path, text, self.paths), path)


def python_from_imports(path: str, text: str) -> dict[str, list[str]]:
    """Names a Python file binds with ``from … import``, each with the candidate paths of its
    module (``*`` for a star import); ``import x`` binds modules, not definitions."""
    out: dict[str, list[str]] = {}
    for module, names in _PY_FROM.findall(text):
        statement = f"from {module} import {names.strip('()')}"
        cands = import_candidates(path, statement, ())
        for item in names.strip("()").split(","):
            parts = item.split(" as ")
            bound = parts[-1].strip()
            if bound == "*" or bound.isidentifier():
                out.setdefault(bound, []).extend(cands)
    return out


def wanted_names(
    path: str,
    text: str,
    used: Sequence[Use],
    defined: Collection[str],
    index: PathIndex,
) -> list[str]:
    """Names used on added lines worth looking up elsewhere, first use first: not defined in
    the fetched files, not a builtin, and plausibly the repository's own. In Python a plain
    name counts only when a ``from … import`` binds it from a module of the tree (or the
    file star-imports): otherwise it is local, a parameter, or from a package."""
    py = family(path) == "python"
    bound = python_from_imports(path, text) if py else {}
    star = "*" in bound and bool(index.resolve(bound["*"], path))
    out: dict[str, None] = {}
    for use in used:
        name = use.name
        if name in defined or name in _GLOBALS or len(name) < 2 or name in out:
            continue
        if use.receiver is not None:
            if not (
                use.receiver in _RECEIVERS
                or use.receiver[:1].isupper()
                or name_key(use.receiver) in index.by_key
            ):
                continue
        elif py and not star:
            cands = bound.get(name)
            if not cands or not index.resolve(cands, path):
                continue
        out[name] = None
    return list(out)


def reexport_sources(
    name: str, texts: Mapping[str, str], via: Sequence[str], index: PathIndex
) -> list[str]:
    """Where the files ``via`` (fetched, in ``texts``) say ``name`` comes from: the modules
    of their ``from … import name`` lines (Python), else every file they import."""
    out: dict[str, None] = {}
    for p in via:
        text = texts.get(p)
        if text is None:
            continue
        if family(p) == "python":
            bound = python_from_imports(p, text)
            cands = bound.get(name) or bound.get("*")
            if cands:
                out.update(dict.fromkeys(index.resolve(cands, p)))
                continue
        out.update(dict.fromkeys(index.imports(p, text)))
    for p in via:
        out.pop(p, None)
    return list(out)


def candidates(
    names: Sequence[str],
    near: Sequence[str],
    index: PathIndex,
    *,
    exclude: Collection[str] = (),
    limit: int = 300,
) -> list[str]:
    """Files that may define ``names``, most likely first (see the module docstring);
    ``near``: the changed files (their folders and language families count)."""
    families = {family(p) for p in near} - {None}
    folders = {posixpath.dirname(p) for p in near}
    tops = {p.split("/", 1)[0] for p in near if "/" in p}

    def ok(p: str) -> bool:
        return p not in exclude and family(p) in families

    def nearest(paths: Iterable[str]) -> list[str]:
        return sorted((p for p in paths if ok(p)), key=lambda p: (_nearness(p, near), p))

    ranked: dict[str, None] = {}
    for name in names:
        ranked.update(dict.fromkeys(nearest(index.by_key.get(name_key(name), []))[:PER_NAME]))
    for name in names:
        by_word = [p for w in words(name) if len(w) >= 4 for p in index.by_key.get(w, [])]
        by_word += index.by_folder_key.get(name_key(name), [])
        ranked.update(dict.fromkeys(nearest(by_word)[:PER_NAME]))
    if len(ranked) < limit:
        in_folder = [p for p in index.paths if posixpath.dirname(p) in folders]
        ranked.update(dict.fromkeys(nearest(in_folder)))
    if len(ranked) < limit:
        under = [p for p in index.paths if p.split("/", 1)[0] in tops]
        ranked.update(dict.fromkeys(nearest(under)))
    return list(ranked)[:limit]
