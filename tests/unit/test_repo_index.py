"""The repository index: imports against real tree paths, names worth looking up, candidates."""

from __future__ import annotations

from argusai.review.context.repo_index import (
    PathIndex,
    candidates,
    module_key,
    python_from_imports,
    reexport_sources,
    wanted_names,
    words,
)
from argusai.review.context.symbols import uses

TREE = [
    "src/app/__init__.py",
    "src/app/main.py",
    "src/app/text.py",
    "src/app/user_service.py",
    "src/app/config/__init__.py",
    "src/app/config/loader.py",
    "src/other/text.py",
    "tests/app/test_main.py",
    "web/src/index.ts",
    "web/src/userService.ts",
]


def test_names_and_words() -> None:
    assert module_key("src/app/user_service.py") == "userservice"
    assert module_key("src/app/config/__init__.py") == "config"
    assert module_key("web/src/userService.ts") == "userservice"
    assert words("parseHTTPConfig") == ["parse", "http", "config"]
    assert words("load_all_2") == ["load", "all", "2"]


def test_imports_resolve_against_real_paths_nearest_first() -> None:
    index = PathIndex.build(TREE)
    text = "from app.text import normalise\nfrom .config import loader\nimport os\n"
    got = index.imports("src/app/main.py", text)
    assert got == ["src/app/text.py", "src/app/config/__init__.py", "src/app/config/loader.py"]
    # an ambiguous ``*/text.py`` keeps the nearest
    assert index.resolve(["*/text.py"], "src/other/x.py")[0] == "src/other/text.py"


def test_python_from_imports_binds_names_to_module_candidates() -> None:
    bound = python_from_imports(
        "src/app/main.py", "from .text import (\n    normalise,\n    clamp as c,\n)\n"
    )
    assert set(bound) == {"normalise", "c"}
    assert "src/app/text.py" in bound["normalise"]


def test_wanted_names_keep_the_repositorys_own_in_python() -> None:
    index = PathIndex.build(TREE)
    text = (
        "from app import normalise\n"
        "from requests import get\n"
        "\n"
        "def handle(request, value):\n"
        "    total = len(value)\n"
        "    return normalise(get(request.url)) + self.helper() + total\n"
    )
    got = wanted_names("src/app/main.py", text, uses("src/app/main.py", text, [5, 6]), (), index)
    # normalise: imported from the tree; get: from a package; len: a builtin;
    # request/value/total: local; url: an attribute of a local; helper: through self
    assert got == ["normalise", "helper"]


def test_wanted_names_skip_what_is_defined_already() -> None:
    index = PathIndex.build(TREE)
    text = "from app import normalise\nx = normalise(1)\n"
    used = uses("src/app/main.py", text, [2])
    assert wanted_names("src/app/main.py", text, used, {"normalise"}, index) == []


def test_reexport_sources_follow_the_from_import_of_the_name() -> None:
    index = PathIndex.build(TREE)
    texts = {"src/app/__init__.py": "from .text import normalise\nfrom .config import load\n"}
    assert reexport_sources("normalise", texts, ["src/app/__init__.py"], index) == [
        "src/app/text.py"
    ]


def test_candidates_rank_module_names_then_folders_in_the_same_family() -> None:
    index = PathIndex.build(TREE)
    got = candidates(["UserService", "load_config"], ["src/app/main.py"], index)
    assert got[0] == "src/app/user_service.py"  # module named like the name
    assert got[1] == "src/app/config/__init__.py"  # a module one of its words names
    assert "web/src/userService.ts" not in got  # another language family
    assert "src/app/main.py" in got  # the changed file's folder comes next
    assert got.index("src/app/text.py") < got.index("src/other/text.py")  # nearest first
    assert "tests/app/test_main.py" not in got  # another top folder, no name match
    assert candidates(["UserService"], ["src/app/main.py"], index, limit=1) == [
        "src/app/user_service.py"
    ]
