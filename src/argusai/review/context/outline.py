"""The definitions of a file as line spans: tree-sitter for known languages, text otherwise."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import tree_sitter

from argusai.review.context.languages import (
    GRAMMARS,
    language_of,
    parse,
    scope_query,
    uses_braces,
)

_NAME_FIELDS = ("name", "type")  # a Rust impl is named by its type


@dataclass(frozen=True, slots=True)
class Span:
    """One definition: 1-based lines of its keyword, the end of its signature, its end."""

    name: str
    qualname: str
    kind: str  # "function" | "method" | "class"
    start: int
    header_end: int
    end: int


def outline(path: str, text: str) -> list[Span]:
    """Every function, method and class of ``text``, outer before inner, in file order
    (the same file is outlined once for all the chunks of a review: cached)."""
    return list(_outline(path, text))


@functools.lru_cache(maxsize=256)
def _outline(path: str, text: str) -> tuple[Span, ...]:
    return tuple(_outline_uncached(path, text))


def _outline_uncached(path: str, text: str) -> list[Span]:
    lang = language_of(path)
    if lang is None:
        return _text_outline(text, braces=uses_braces(path))
    tree = parse(lang, text)
    nodes = tree_sitter.QueryCursor(scope_query(lang)).captures(tree.root_node).get("scope", [])
    nodes.sort(key=lambda n: (n.start_byte, -n.end_byte))
    spans: list[Span] = []
    stack: list[tuple[int, Span]] = []  # (end byte, span) of the definitions still open
    for node in nodes:
        kind = _scope_kind(node, lang)
        name = _name_of(node)
        if kind is None or name is None:
            continue
        while stack and stack[-1][0] <= node.start_byte:
            stack.pop()
        outer = stack[-1][1] if stack else None
        if kind == "function" and outer is not None and outer.kind == "class":
            kind = "method"
        start = node.start_point.row + 1
        span = Span(
            name=name,
            qualname=f"{outer.qualname}.{name}" if outer else name,
            kind=kind,
            start=start,
            header_end=_header_end(node, lang, start),
            end=node.end_point.row + 1,
        )
        spans.append(span)
        stack.append((node.end_byte, span))
    return spans


def _name_of(node: tree_sitter.Node) -> str | None:
    for field in _NAME_FIELDS:
        child = node.child_by_field_name(field)
        if child is not None and child.text is not None:
            return child.text.decode("utf-8", "replace")
    return None


def _scope_kind(node: tree_sitter.Node, lang: str) -> str | None:
    if node.type == "variable_declarator":
        return "function"
    return GRAMMARS[lang].scopes.get(node.type)


def _header_end(node: tree_sitter.Node, lang: str, start: int) -> int:
    body = node.child_by_field_name("body")
    if body is None:
        body = node.child_by_field_name("value")  # an arrow function bound to a name
        body = body.child_by_field_name("body") if body is not None else None
    if body is None:
        return start
    body_line = body.start_point.row + 1
    if lang == "python":  # the body block starts at its first statement
        return max(start, body_line - 1) if body_line > start else start
    return max(start, body_line)


# ---- text fallback ---------------------------------------------------------------------

_MODIFIERS = (
    r"(?:(?:public|private|protected|static|async|export|final|abstract|override|inline"
    r"|virtual|internal|open|suspend|pub|def\s+self\.)\s+)*"
)
_KEYWORD_HEADER = re.compile(
    r"^\s*" + _MODIFIERS + r"(def|class|module|struct|interface|enum|trait|function|func|fun"
    r"|fn|sub|proc|object|impl)\s+(?:self\.)?([A-Za-z_][\w?!]*)"
)
_CLASS_WORDS = frozenset(
    {"class", "module", "struct", "interface", "enum", "trait", "object", "impl"}
)
_CALL_HEADER = re.compile(r"^\s*[A-Za-z_][\w\s\*&:<>,\[\]]*?\b([A-Za-z_~]\w*)\s*\(")
_CONTROL = frozenset(
    {"if", "for", "while", "switch", "return", "else", "do", "catch", "sizeof", "elif"}
    | {"foreach", "using", "lock", "synchronized", "with", "until", "unless", "when"}
)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _text_outline(text: str, *, braces: bool) -> list[Span]:
    lines = text.split("\n")
    spans: list[Span] = []
    stack: list[Span] = []
    for i in range(len(lines)):
        header = _text_header(lines, i, braces=braces)
        if header is None:
            continue
        name, kind = header
        found = _brace_span(lines, i) if braces else _indent_span(lines, i)
        if found is None:
            continue
        header_end, end = found
        while stack and stack[-1].end < i + 1:
            stack.pop()
        if kind == "function" and stack and stack[-1].kind == "class":
            kind = "method"
        qual = ".".join((*(s.name for s in stack), name))
        span = Span(name, qual, kind, i + 1, header_end, end)
        spans.append(span)
        stack.append(span)
    return spans


def _text_header(lines: list[str], i: int, *, braces: bool) -> tuple[str, str] | None:
    line = lines[i]
    m = _KEYWORD_HEADER.match(line)
    if m:
        return m.group(2), "class" if m.group(1) in _CLASS_WORDS else "function"
    if not braces or line.rstrip().endswith(";"):
        return None
    m = _CALL_HEADER.match(line)
    if m is None or m.group(1) in _CONTROL or line.lstrip().split("(")[0].strip() in _CONTROL:
        return None
    if re.match(r"^\s*[A-Za-z_]\w*\s*\(", line) and _indent(line) > 0:
        return None  # a bare indented call, not a definition with a return type
    return m.group(1), "function"


def _indent_span(lines: list[str], i: int) -> tuple[int, int]:
    base = _indent(lines[i])
    header_end = i
    # a signature continues while brackets stay open
    depth = 0
    for j in range(i, min(len(lines), i + 20)):
        depth += sum(lines[j].count(c) for c in "([{") - sum(lines[j].count(c) for c in ")]}")
        header_end = j
        if depth <= 0:
            break
    end = header_end
    for j in range(header_end + 1, len(lines)):
        stripped = lines[j].strip()
        if not stripped:
            continue
        if _indent(lines[j]) <= base:
            if stripped in {"end", "}", "end;", "};"} or stripped.startswith("end "):
                end = j
            break
        end = j
    return header_end + 1, end + 1


def _brace_span(lines: list[str], i: int) -> tuple[int, int] | None:
    depth = 0
    opened = False
    header_end = i
    for j in range(i, len(lines)):
        code = _strip_strings(lines[j])
        if not opened and j > i + 3:
            return None
        for ch in code:
            if ch == ";" and not opened:
                return None
            if ch == "{":
                if not opened:
                    header_end = j
                opened = True
                depth += 1
            elif ch == "}" and opened:
                depth -= 1
                if depth == 0:
                    return header_end + 1, j + 1
    return None


_STRINGS = re.compile(r'"(?:\\.|[^"\\])*"|\'(?:\\.|[^\'\\])*\'|//.*$')


def _strip_strings(line: str) -> str:
    return _STRINGS.sub("", line)
