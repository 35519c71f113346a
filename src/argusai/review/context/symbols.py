"""Names the added lines use, the definitions of a file, and an index to look names up."""

from __future__ import annotations

import keyword
import re
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field

import tree_sitter

from argusai.review.context.imports import imported_paths
from argusai.review.context.languages import GRAMMARS, language_of, parse, reference_query
from argusai.review.context.outline import outline
from argusai.review.context.scopes import numbered

SUMMARY_LINES = 4
MAX_PER_NAME = 3

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_STRING_OR_COMMENT = re.compile(
    r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//.*$|#(?![a-z]).*$|/\*.*?\*/'
)
_IGNORED = frozenset({"self", "cls", "this", "super", "Self", "_"})
# Keywords of the languages the text fallback meets most (C, C++, C#, Ruby, PHP, Kotlin, shell).
_KEYWORDS = frozenset(keyword.kwlist) | frozenset(
    """auto break case catch char const continue default do double else enum extern float for
    goto if int long register return short signed sizeof static struct switch typedef union
    unsigned void volatile while class public private protected virtual template typename
    namespace using new delete operator bool true false nullptr include define ifdef ifndef
    endif pragma begin end def elsif unless until module require then yield nil puts self
    function var let val fun when object interface package import string this null
    fn mut pub impl trait use crate match loop echo fi esac done local export""".split()  # noqa: SIM905 - a word list reads better than 100 literals
)


@dataclass(frozen=True, slots=True)
class Definition:
    """A function, method or class: where it is, its signature, its first lines, its text."""

    path: str
    name: str
    qualname: str
    kind: str
    start: int
    end: int
    header_end: int
    # the file's lines, shared by its definitions; texts are cut from them on demand
    lines: list[str] = field(repr=False, compare=False)

    @property
    def signature(self) -> str:
        """The signature as written (up to the body)."""
        return "\n".join(self.lines[self.start - 1 : self.header_end])

    @property
    def summary(self) -> str:
        """The signature and the docstring or first body lines, numbered."""
        rest: list[str] = []
        for n in range(self.header_end + 1, self.end + 1):
            if len(rest) == SUMMARY_LINES:
                break
            if self.lines[n - 1].strip():
                rest.extend(numbered(self.lines, n, n))
        return "\n".join(numbered(self.lines, self.start, self.header_end) + rest)

    @property
    def text(self) -> str:
        """The whole definition, numbered."""
        return "\n".join(numbered(self.lines, self.start, self.end))


@dataclass(frozen=True, slots=True)
class Use:
    """A name used on a line; ``receiver`` is what it is reached through (``mod`` in
    ``mod.name``), when that is a plain name."""

    name: str
    line: int
    receiver: str | None = None


# Node types where a name is reached through another (``a.b``, ``a::b``, ``a.b()``).
_MEMBER_PARENTS = frozenset(
    {"attribute", "member_expression", "selector_expression", "method_invocation"}
    | {"field_access", "field_expression", "scoped_identifier", "scoped_type_identifier"}
)


def references(path: str, text: str, lines: Iterable[int]) -> list[str]:
    """Identifiers used on ``lines`` (1-based) of ``text``, first use first, definitions' own
    names left out."""
    return list(dict.fromkeys(u.name for u in uses(path, text, lines)))


def uses(path: str, text: str, lines: Iterable[int]) -> list[Use]:
    """Every use of a name on ``lines``, in text order (one per name, receiver and line)."""
    wanted = set(lines)
    if not wanted:
        return []
    lang = language_of(path)
    if lang is None:
        return _text_references(text, wanted)
    tree = parse(lang, text)
    scopes = GRAMMARS[lang].scopes.keys()
    cursor = tree_sitter.QueryCursor(reference_query(lang))
    cursor.set_point_range((min(wanted) - 1, 0), (max(wanted), 0))
    found: dict[Use, tuple[int, int]] = {}
    for node in cursor.captures(tree.root_node).get("ref", []):
        row = node.start_point.row + 1
        if row not in wanted or node.text is None or _is_definition_name(node, scopes):
            continue
        name = node.text.decode("utf-8", "replace")
        if name not in _IGNORED:
            use = Use(name, row, _receiver(node))
            found.setdefault(use, (node.start_point.row, node.start_point.column))
    return sorted(found, key=found.__getitem__)


def _receiver(node: tree_sitter.Node) -> str | None:
    parent = node.parent
    if parent is None or parent.type not in _MEMBER_PARENTS or not parent.named_children:
        return None
    first = parent.named_children[0]
    if (
        first.id == node.id
        or first.text is None
        or first.type
        not in {
            "identifier",
            "type_identifier",
            "this",
            "self",
            "package_identifier",
        }
    ):
        return None
    return first.text.decode("utf-8", "replace")


def _is_definition_name(node: tree_sitter.Node, scopes: Collection[str]) -> bool:
    parent = node.parent
    if parent is None or parent.type not in scopes:
        return False
    name = parent.child_by_field_name("name")
    return name is not None and name.id == node.id


def _text_references(text: str, wanted: set[int]) -> list[Use]:
    lines = text.split("\n")
    found: dict[Use, None] = {}
    for n in sorted(wanted):
        if 0 < n <= len(lines):
            code = _STRING_OR_COMMENT.sub(" ", lines[n - 1])
            for name in _IDENT.findall(code):
                if name not in _KEYWORDS and name not in _IGNORED:
                    found.setdefault(Use(name, n), None)
    return list(found)


def definitions(path: str, text: str) -> list[Definition]:
    """Every function, method and class of the file, in file order."""
    lines = text.split("\n")
    return [
        Definition(
            path=path,
            name=span.name,
            qualname=span.qualname,
            kind=span.kind,
            start=span.start,
            end=span.end,
            header_end=span.header_end,
            lines=lines,
        )
        for span in outline(path, text)
    ]


def _shared(a: list[str], b: list[str]) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _module_stem(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    if stem in {"__init__", "mod", "index"} and "/" in path:
        return path.rsplit("/", 2)[-2]
    return stem


@dataclass(slots=True)
class SymbolIndex:
    """Definitions of a set of files by name; imports are resolved on first use."""

    files: Mapping[str, str]
    by_name: dict[str, list[Definition]] = field(default_factory=dict)
    by_path: dict[str, list[Definition]] = field(default_factory=dict)
    _imports: dict[str, list[str]] = field(default_factory=dict)
    _scopes: dict[str, list[str]] = field(default_factory=dict)  # per path: line → qualname

    @classmethod
    def build(cls, files: Mapping[str, str]) -> SymbolIndex:
        """Index every definition of ``files`` ({path: text})."""
        index = cls(files)
        for path in sorted(files):
            defs = definitions(path, files[path])
            index.by_path[path] = defs
            for d in defs:
                index.by_name.setdefault(d.name, []).append(d)
        return index

    def imports(self, path: str) -> list[str]:
        """Indexed files that ``path`` imports (cached)."""
        if path not in self._imports:
            text = self.files.get(path, "")
            self._imports[path] = imported_paths(path, text, self.files.keys())
        return self._imports[path]

    def scope_at(self, path: str, line: int) -> str:
        """Qualified name of the innermost definition of ``path`` holding ``line`` ("" if none);
        a table per file, built on first use (reviews ask for thousands of lines)."""
        table = self._scopes.get(path)
        if table is None:
            defs = self.by_path.get(path, [])
            table = [""] * (max((d.end for d in defs), default=0) + 1)
            for d in defs:  # outer before inner: the innermost is written last
                table[d.start + 1 : d.end + 1] = [d.qualname] * max(0, d.end - d.start)
            self._scopes[path] = table
        return table[line] if 0 <= line < len(table) else ""

    def tiers(
        self, name: str, from_path: str, line: int = 0, receiver: str | None = None
    ) -> list[list[Definition]]:
        """Definitions of ``name`` in lookup order: reached through ``receiver`` (a module or
        class of that name), in ``from_path`` (lexically nearest to ``line`` first), in the
        files it imports (in import order), anywhere (same directory first)."""
        found = self.by_name.get(name, [])
        if not found:
            return []
        imported = self.imports(from_path)
        through: list[Definition] = []
        if receiver and receiver not in _IGNORED:
            modules = {p for p in imported if _module_stem(p) == receiver}
            through = [
                d for d in found if d.path in modules or d.qualname.split(".")[-2:-1] == [receiver]
            ]
        here = self.scope_at(from_path, line).split(".")
        same = sorted(
            (d for d in found if d.path == from_path),
            key=lambda d: (
                -_shared(d.qualname.split(".")[:-1], here),
                d.start > line,
                abs(d.start - line),
            ),
        )
        rank = {p: i for i, p in enumerate(imported)}
        via = sorted((d for d in found if d.path in rank), key=lambda d: rank[d.path])
        folder = from_path.rsplit("/", 1)[0] if "/" in from_path else ""
        rest = sorted(
            (d for d in found if d.path != from_path and d.path not in rank),
            key=lambda d: (not d.path.startswith(folder + "/"), d.path),
        )
        return [tier for tier in (through, same, via, rest) if tier]

    def lookup(
        self, name: str, from_path: str, line: int = 0, limit: int = MAX_PER_NAME
    ) -> list[Definition]:
        """The first ``limit`` definitions of the first tier of :meth:`tiers` that has any."""
        tiers = self.tiers(name, from_path, line)
        return tiers[0][:limit] if tiers else []
