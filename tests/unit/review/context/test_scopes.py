"""The enclosing scope of a hunk, in five tree-sitter languages and the text fallback."""

from __future__ import annotations

import pytest

from argusai.review.context.scopes import MAX_SCOPE_LINES, enclosing_scopes

from .samples import LONG_METHOD


@pytest.mark.parametrize("lang", sorted(LONG_METHOD))
def test_hunk_inside_a_long_method_finds_its_signature(lang: str) -> None:
    path, text, signature = LONG_METHOD[lang]
    lines = text.split("\n")
    changed = next(i for i, ln in enumerate(lines, 1) if "total60" in ln or "total_60" in ln)
    (scope,) = enclosing_scopes(path, text, [changed])
    assert scope.signature.split("\n")[0] == signature
    assert scope.kind in {"method", "function"}
    assert scope.name.lower() == "process"
    assert not scope.whole
    shown = scope.text.split("\n")
    assert signature in shown[0]
    assert any(lines[changed - 1] in row for row in shown)
    assert len(shown) <= MAX_SCOPE_LINES + 3


def test_small_scope_is_shown_whole_and_module_level_has_none() -> None:
    text = "X = 1\n\n\ndef f(a):\n    b = a\n    return b\n"
    (scope,) = enclosing_scopes("m.py", text, [1, 5])
    assert scope.whole
    assert scope.qualname == "f"
    assert scope.text.split("\n") == [
        "     4  def f(a):",
        "     5      b = a",
        "     6      return b",
    ]


def test_signature_line_belongs_to_the_outer_scope() -> None:
    text = "class A:\n    def m(self):\n        return 1\n"
    (scope,) = enclosing_scopes("m.py", text, [2])
    assert scope.qualname == "A"
    (inner,) = enclosing_scopes("m.py", text, [3])
    assert (inner.qualname, inner.kind) == ("A.m", "method")


def test_lines_in_two_scopes_give_two_scopes_in_file_order() -> None:
    text = "function a() {\n  x();\n}\nfunction b() {\n  y();\n}\n"
    scopes = enclosing_scopes("m.js", text, [5, 2])
    assert [s.name for s in scopes] == ["a", "b"]
    assert [s.changed for s in scopes] == [(2,), (5,)]


def test_lines_the_diff_shows_are_elided_but_the_signature_and_docstring_stay() -> None:
    text = 'def f(a):\n    """Explain f here."""\n    b = a\n    c = b\n    return c\n'
    (scope,) = enclosing_scopes("m.py", text, [4], shown={1, 2, 3, 4, 5})
    rows = scope.text.split("\n")
    assert rows[:2] == ["     1  def f(a):", '     2      """Explain f here."""']
    assert rows[2:] == ["        ⋮ (line 3-5 in the diff)"]


def test_an_arrow_function_bound_to_a_name_is_a_scope() -> None:
    text = "export const total = (items) => {\n  let n = 0;\n  n += items.length;\n"
    text += "  return n;\n};\n"
    (scope,) = enclosing_scopes("t.ts", text, [3])
    assert (scope.name, scope.kind, scope.start, scope.end) == ("total", "function", 1, 5)
