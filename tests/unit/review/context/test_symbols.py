"""Names used on added lines, and their definitions found through the index."""

from __future__ import annotations

import pytest

from argusai.review.context.symbols import SymbolIndex, definitions, references

from .samples import CROSS_FILE


@pytest.mark.parametrize("lang", sorted(CROSS_FILE))
def test_call_into_another_file_finds_the_definition(lang: str) -> None:
    path, text, line, others, name, first_line = CROSS_FILE[lang]
    used = references(path, text, [line])
    assert name in used
    index = SymbolIndex.build({path: text, **others})
    found = index.lookup(name, path)
    assert found, f"{name} not found from {path}"
    assert found[0].signature.split("\n")[0] == first_line
    assert first_line in found[0].text


def test_lookup_prefers_same_file_then_imports_then_anywhere() -> None:
    files = {
        "a/main.py": "from b.mod import helper\n\ndef local():\n    pass\n\nx = helper(local())\n",
        "b/mod.py": "def helper():\n    pass\n",
        "a/helper_too.py": "def helper():\n    pass\n\ndef local():\n    pass\n",
        "c/far.py": "def only_here():\n    pass\n",
    }
    index = SymbolIndex.build(files)
    assert [d.path for d in index.lookup("local", "a/main.py")] == ["a/main.py"]
    assert [d.path for d in index.lookup("helper", "a/main.py")] == ["b/mod.py"]
    assert [d.path for d in index.lookup("only_here", "a/main.py")] == ["c/far.py"]
    assert index.lookup("missing", "a/main.py") == []


def test_relative_python_import_is_followed() -> None:
    files = {
        "src/pkg/app.py": "from .util import clean\n\nclean(1)\n",
        "src/pkg/util.py": "def clean(x):\n    return x\n",
        "src/other/util.py": "def clean(x):\n    return x\n",
    }
    index = SymbolIndex.build(files)
    assert [d.path for d in index.lookup("clean", "src/pkg/app.py")] == ["src/pkg/util.py"]


def test_definitions_carry_signature_and_first_lines() -> None:
    text = (
        'class A(B):\n    """An A."""\n\n'
        '    def m(self, x):\n        """Do m."""\n        return x\n'
    )
    defs = {d.qualname: d for d in definitions("a.py", text)}
    assert defs["A.m"].kind == "method"
    assert defs["A"].signature == "class A(B):"
    assert '"""Do m."""' in defs["A.m"].summary
    assert defs["A"].end == 6


def test_references_skip_the_defined_name_and_self() -> None:
    text = "class A:\n    def m(self):\n        return self.other(helper(1))\n"
    assert references("a.py", text, [2]) == []
    assert references("a.py", text, [3]) == ["other", "helper"]


def test_fallback_references_skip_keywords_strings_and_comments() -> None:
    text = 'int f(void) {\n    return compute(x, "not_a_name"); // nor_this\n}\n'
    assert references("f.c", text, [2]) == ["compute", "x"]
    assert references("f.rb", "  if ready? then go(items) end\n", [1]) == ["ready", "go", "items"]


def test_a_name_reached_through_an_imported_module_is_looked_up_there() -> None:
    files = {
        "src/pkg/make.py": "from . import setters\n\n\ndef pipe():\n    pass\n\n\n"
        "DEFAULT = setters.pipe(setters.convert)\n",
        "src/pkg/setters.py": "def pipe(*fs):\n    pass\n\n\ndef convert(x):\n    return x\n",
    }
    index = SymbolIndex.build(files)
    (first, *_rest) = index.tiers("pipe", "src/pkg/make.py", 8, receiver="setters")
    assert [d.path for d in first] == ["src/pkg/setters.py"]


def test_same_file_lookup_prefers_the_lexically_nearest_definition() -> None:
    text = (
        "def test_a():\n    class C:\n        pass\n\n    return C()\n\n\n"
        "def test_b():\n    class C:\n        x = 1\n\n    return C()\n"
    )
    index = SymbolIndex.build({"t.py": text})
    assert index.lookup("C", "t.py", 12)[0].start == 9
    assert index.lookup("C", "t.py", 5)[0].start == 2


def test_scope_at_names_the_innermost_definition_of_every_line() -> None:
    text = (
        "import os\n"  # 1
        "class Cart:\n"  # 2
        "    def total(self):\n"  # 3
        "        def inner():\n"  # 4
        "            return 1\n"  # 5
        "        return inner()\n"  # 6
        "    size = 3\n"  # 7
        "def free():\n"  # 8
        "    pass\n"  # 9
    )
    index = SymbolIndex.build({"cart.py": text})
    got = [index.scope_at("cart.py", n) for n in range(0, 12)]
    assert got == [
        "",
        "",
        "",
        "Cart",
        "Cart.total",
        "Cart.total.inner",
        "Cart.total",
        "Cart",
        "",
        "free",
        "",
        "",
    ]
    assert index.scope_at("other.py", 3) == ""
