"""From file diffs and head texts to the context a prompt carries."""

from __future__ import annotations

from argusai.review.context.budget import assemble
from argusai.review.context.gather import gather
from argusai.review.context.symbols import SymbolIndex
from argusai.review.diff import parse_patch

from .samples import CROSS_FILE, LONG_METHOD


def test_a_pr_gets_the_method_signature_and_the_called_definition() -> None:
    long_path, long_text, signature = LONG_METHOD["python"]
    app_path, app_text, line, others, _name, first_line = CROSS_FILE["python"]
    index = SymbolIndex.build({long_path: long_text, app_path: app_text, **others})
    diffs = [
        parse_patch(long_path, "@@ -60,2 +60,3 @@\n         a\n+        total_55 = 0\n         b"),
        parse_patch(app_path, f"@@ -{line},0 +{line},1 @@\n+    return normalise(x)"),
    ]
    got = gather(diffs, index)
    assert [s.qualname for s in got.scopes] == ["Service.process", "run"]
    assert [(d.path, d.name) for d in got.definitions] == [("pkg/util.py", "normalise")]
    text = assemble(diff_tokens=100, budget=4_000, scopes=got.scopes, definitions=got.definitions)
    rendered = text.render()
    assert signature in rendered
    assert first_line in rendered


def test_definitions_the_diff_already_shows_are_not_repeated() -> None:
    text = "def helper():\n    pass\n\n\ndef run():\n    return helper()\n"
    index = SymbolIndex.build({"m.py": text})
    shown = parse_patch(
        "m.py",
        "@@ -1,5 +1,6 @@\n def helper():\n     pass\n \n \n def run():\n+    return helper()",
    )
    assert gather([shown], index).definitions == ()
    hidden = parse_patch("m.py", "@@ -5,1 +5,2 @@\n def run():\n+    return helper()")
    assert [d.name for d in gather([hidden], index).definitions] == ["helper"]


def test_files_without_head_text_or_not_code_are_skipped() -> None:
    index = SymbolIndex.build({"README.md": "# def x():\n  y()\n"})
    diffs = [
        parse_patch("README.md", "@@ -1 +1,2 @@\n # def x():\n+  y()"),
        parse_patch("gone.py", "@@ -1 +1,2 @@\n a\n+b"),
    ]
    assert gather(diffs, index).scopes == ()
