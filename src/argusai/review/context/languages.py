"""Languages by file extension, their tree-sitter grammars (loaded lazily) and node kinds."""

from __future__ import annotations

import functools
import posixpath
from dataclasses import dataclass

import tree_sitter
import tree_sitter_go
import tree_sitter_java
import tree_sitter_javascript
import tree_sitter_python
import tree_sitter_rust
import tree_sitter_typescript


@dataclass(frozen=True, slots=True)
class Grammar:
    """What a language's syntax tree calls a definition and a reference."""

    name: str
    # node type -> kind ("function" | "class"); a function inside a class is a method
    scopes: dict[str, str]
    references: tuple[str, ...]


_JS_SCOPES = {
    "function_declaration": "function",
    "generator_function_declaration": "function",
    "method_definition": "function",
    "class_declaration": "class",
}
_TS_SCOPES = _JS_SCOPES | {
    "abstract_class_declaration": "class",
    "interface_declaration": "class",
    "enum_declaration": "class",
}

GRAMMARS: dict[str, Grammar] = {
    "python": Grammar(
        "python",
        {"function_definition": "function", "class_definition": "class"},
        ("identifier",),
    ),
    "javascript": Grammar(
        "javascript",
        _JS_SCOPES,
        ("identifier", "property_identifier", "shorthand_property_identifier"),
    ),
    "typescript": Grammar(
        "typescript", _TS_SCOPES, ("identifier", "property_identifier", "type_identifier")
    ),
    "tsx": Grammar("tsx", _TS_SCOPES, ("identifier", "property_identifier", "type_identifier")),
    "go": Grammar(
        "go",
        {
            "function_declaration": "function",
            "method_declaration": "function",
            "type_spec": "class",
        },
        ("identifier", "field_identifier", "type_identifier"),
    ),
    "java": Grammar(
        "java",
        {
            "method_declaration": "function",
            "constructor_declaration": "function",
            "class_declaration": "class",
            "interface_declaration": "class",
            "enum_declaration": "class",
            "record_declaration": "class",
        },
        ("identifier", "type_identifier"),
    ),
    "rust": Grammar(
        "rust",
        {
            "function_item": "function",
            "function_signature_item": "function",
            "struct_item": "class",
            "enum_item": "class",
            "trait_item": "class",
            "impl_item": "class",
            "mod_item": "class",
        },
        ("identifier", "type_identifier", "field_identifier"),
    ),
}

_EXTENSIONS = {
    ".py": "python",
    ".pyi": "python",
    ".js": "javascript",
    ".jsx": "javascript",
    ".mjs": "javascript",
    ".cjs": "javascript",
    ".ts": "typescript",
    ".mts": "typescript",
    ".cts": "typescript",
    ".tsx": "tsx",
    ".go": "go",
    ".java": "java",
    ".rs": "rust",
}

# Languages without a grammar here whose blocks are braces; the rest fall back to indentation.
_BRACE_EXTENSIONS = frozenset(
    {".c", ".h", ".cc", ".cpp", ".cxx", ".hpp", ".cs", ".kt", ".kts", ".swift", ".php", ".scala"}
    | {".dart", ".groovy", ".m", ".zig", ".css", ".scss"}
)


def language_of(path: str) -> str | None:
    """The grammar name for ``path`` by extension, or None when the text fallback applies."""
    return _EXTENSIONS.get(posixpath.splitext(path)[1].lower())


def uses_braces(path: str) -> bool:
    """True when the text fallback should match braces rather than indentation."""
    return posixpath.splitext(path)[1].lower() in _BRACE_EXTENSIONS


def _language_object(name: str) -> object:
    if name == "python":
        return tree_sitter_python.language()
    if name == "javascript":
        return tree_sitter_javascript.language()
    if name == "typescript":
        return tree_sitter_typescript.language_typescript()
    if name == "tsx":
        return tree_sitter_typescript.language_tsx()
    if name == "go":
        return tree_sitter_go.language()
    if name == "java":
        return tree_sitter_java.language()
    if name == "rust":
        return tree_sitter_rust.language()
    raise KeyError(name)


@functools.cache
def language(name: str) -> tree_sitter.Language:
    """The tree-sitter language ``name`` (loaded once)."""
    return tree_sitter.Language(_language_object(name))


@functools.cache
def reference_query(name: str) -> tree_sitter.Query:
    """A query capturing every identifier-like node of language ``name`` as ``@ref``."""
    kinds = " ".join(f"({kind})" for kind in GRAMMARS[name].references)
    return tree_sitter.Query(language(name), f"[{kinds}] @ref")


@functools.cache
def scope_query(name: str) -> tree_sitter.Query:
    """A query capturing every definition node of language ``name`` as ``@scope``."""
    kinds = " ".join(f"({kind})" for kind in GRAMMARS[name].scopes)
    arrow = ""
    if name in {"javascript", "typescript", "tsx"}:
        arrow = " (variable_declarator value: [(arrow_function) (function_expression)])"
    return tree_sitter.Query(language(name), f"[{kinds}{arrow}] @scope")


@functools.lru_cache(maxsize=64)
def parse(name: str, text: str) -> tree_sitter.Tree:
    """The syntax tree of ``text`` (a fresh parser per parse: parsers are not thread-safe;
    trees are never edited, so the outline and the symbol pass of one review share one)."""
    return tree_sitter.Parser(language(name)).parse(text.encode("utf-8"))
