"""Which repository files a file imports, best effort per language, from its text alone."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Collection

from argusai.review.context.languages import language_of

_PY_FROM = re.compile(r"^[ \t]*from\s+(\.*)([\w.]*)\s+import\s+(\([^)]*\)|[\w \t,]*)", re.M)
_PY_IMPORT = re.compile(r"^\s*import\s+([\w.]+(?:\s*,\s*[\w.]+)*)", re.M)
_JS_FROM = re.compile(r"""(?:from|import|require\()\s*['"](\.{1,2}/[^'"]+)['"]""")
_GO_IMPORT = re.compile(r'"([\w./-]+)"')
_JAVA_IMPORT = re.compile(r"^\s*import\s+(?:static\s+)?([\w.]+?)(\.\*)?\s*;", re.M)
_RUST_MOD = re.compile(r"^\s*(?:pub\s+)?mod\s+(\w+)\s*;", re.M)
_RUST_USE = re.compile(r"^\s*(?:pub\s+)?use\s+(?:crate|super|self)::([\w:]+)", re.M)
_INCLUDE = re.compile(r"""^\s*(?:#include\s+"([^"]+)"|require_relative\s+['"]([^'"]+)['"])""", re.M)
_JS_EXTS = ("", ".ts", ".tsx", ".js", ".jsx", ".mjs", "/index.ts", "/index.tsx", "/index.js")


def imported_paths(path: str, text: str, paths: Collection[str]) -> list[str]:
    """Paths among ``paths`` that ``text`` (the file at ``path``) imports, in import order."""
    return _resolve(import_candidates(path, text, paths), paths, path)


def import_candidates(path: str, text: str, paths: Collection[str]) -> list[str]:
    """What ``text`` may import, in import order: exact paths and ``*/suffix`` patterns (a
    suffix at a path-segment boundary); ``paths`` serves the languages that import folders."""
    lang = language_of(path)
    here = posixpath.dirname(path)
    candidates: list[str] = []
    if lang == "python":
        candidates = _python(here, text)
    elif lang in {"javascript", "typescript", "tsx"}:
        for rel in _JS_FROM.findall(text):
            base = posixpath.normpath(posixpath.join(here, rel))
            candidates.extend(base + ext for ext in _JS_EXTS)
    elif lang == "go":
        candidates = _same_dir(path, paths, ".go")
        for imp in _GO_IMPORT.findall(text):
            candidates.extend(_in_dir_suffix(imp, paths, ".go"))
    elif lang == "java":
        candidates = _same_dir(path, paths, ".java")
        for name, star in _JAVA_IMPORT.findall(text):
            parts = name.replace(".", "/")
            if star:
                candidates.extend(_in_dir_suffix(parts, paths, ".java"))
            else:
                candidates.append("*/" + parts + ".java")
    elif lang == "rust":
        for mod in _RUST_MOD.findall(text):
            candidates += [posixpath.join(here, f"{mod}.rs"), posixpath.join(here, mod, "mod.rs")]
        for use in _RUST_USE.findall(text):
            segs = [s for s in use.split("::") if s]
            for k in range(1, len(segs) + 1):
                stem = "/".join(segs[:k])
                candidates += [f"*/{stem}.rs", f"*/{stem}/mod.rs"]
    else:
        for inc, req in _INCLUDE.findall(text):
            rel = inc or (req if req.endswith(".rb") else req + ".rb")
            candidates.append(posixpath.normpath(posixpath.join(here, rel)))
    return candidates


def _python(here: str, text: str) -> list[str]:
    modules: list[str] = []
    for dots, module, names in _PY_FROM.findall(text):
        if dots:
            base = here
            for _ in range(len(dots) - 1):
                base = posixpath.dirname(base)
            prefix = "/".join(p for p in (base, module.replace(".", "/")) if p)
        else:
            prefix = "*/" + module.replace(".", "/")
        modules.append(prefix)
        for item in names.strip("()").split(","):
            imported = item.split(" as ")[0].strip()
            if imported.isidentifier():
                modules.append(f"{prefix}/{imported}")
    for group in _PY_IMPORT.findall(text):
        modules.extend("*/" + m.strip().replace(".", "/") for m in group.split(","))
    return [m + ext for m in modules for ext in (".py", "/__init__.py")]


def _same_dir(path: str, paths: Collection[str], ext: str) -> list[str]:
    here = posixpath.dirname(path)
    return sorted(p for p in paths if p.endswith(ext) and posixpath.dirname(p) == here)


def _in_dir_suffix(directory: str, paths: Collection[str], ext: str) -> list[str]:
    return sorted(
        p
        for p in paths
        if p.endswith(ext) and ("/" + posixpath.dirname(p)).endswith("/" + directory.strip("/"))
    )


def _resolve(candidates: list[str], paths: Collection[str], path: str) -> list[str]:
    """Exact paths, and ``*/suffix`` patterns matched at a path-segment boundary."""
    out: dict[str, None] = {}
    for cand in candidates:
        if cand.startswith("*/"):
            suffix = cand[1:]
            out.update((p, None) for p in paths if ("/" + p).endswith(suffix))
        elif cand in paths:
            out[cand] = None
    out.pop(path, None)
    return list(out)
