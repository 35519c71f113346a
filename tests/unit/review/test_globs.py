"""Globs of .argus.yml: gitignore rules plus bash braces (the seeds' ``**/*.{js,ts,py}``)."""

from __future__ import annotations

import pytest

from argusai.core.diff import ChangedFile
from argusai.review.globs import MAX_BRACE_EXPANSION, expand_braces, matches
from argusai.review.repo_config import RepoConfig, parse_repo_config
from argusai.review.select import select_files

SMALL = "@@ -1 +1,2 @@\n a\n+b"


def test_brace_globs_match_each_alternative() -> None:
    seed = ["**/*.{js,ts,py,go,java}"]
    for path in ("app.js", "src/a/b.ts", "x.py", "cmd/main.go", "A.java"):
        assert matches(path, seed), path
    for path in ("README.md", "style.css", "src/app.jsx", "py"):
        assert not matches(path, seed), path


def test_gitignore_rules_still_hold_with_braces() -> None:
    assert matches("pkg/docs/x.txt", ["{docs,site}/"])
    assert matches("deep/dir/x.md", ["*.{md,rst}"])
    assert not matches("src/legacy/a.py", ["src/{new,api}/**"])
    assert matches("a{b}.py", ["a\\{b}.py"])  # an escaped brace is a brace


def test_too_many_alternatives_are_refused() -> None:
    many = "{a,b}" * 9  # 512 patterns
    with pytest.raises(ValueError, match=str(MAX_BRACE_EXPANSION)):
        expand_braces(many)
    config, error = parse_repo_config(f"include: ['{many}']\nexclude: ['*.md']\n")
    assert config.include == [] and config.exclude == ["*.md"]
    assert error is not None and "expands to more than" in error


def test_path_instructions_take_brace_globs() -> None:
    config, error = parse_repo_config(
        "path_instructions:\n  - path: 'src/**/*.{ts,tsx}'\n    instructions: Check hooks.\n"
    )
    assert error is None
    assert matches("src/ui/App.tsx", [config.path_instructions[0].path])


def test_select_files_with_a_seed_include() -> None:
    config, _ = parse_repo_config("filePatterns: ['**/*.{js,ts,py}']\n")
    files = [ChangedFile(path=p, status="modified", additions=1, patch=SMALL)
             for p in ("a.ts", "b.py", "c.md")]  # fmt: skip
    selection = select_files(files, config, max_files=10)
    assert [f.path for f in selection.files] == ["a.ts", "b.py"]
    assert [s.path for s in selection.skipped] == ["c.md"]


def test_max_lines_per_file_and_max_files() -> None:
    big = "@@ -1 +1,4 @@\n a\n+b\n+c\n+d"
    files = [
        ChangedFile(path="big.py", status="modified", additions=3, patch=big),
        ChangedFile(path="a.py", status="modified", additions=1, patch=SMALL),
        ChangedFile(path="b.py", status="modified", additions=1, patch=SMALL),
    ]
    selection = select_files(files, RepoConfig(max_lines_per_file=2, max_files=1), max_files=50)
    assert len(selection.files) == 1
    reasons = {s.path: s.reason for s in selection.skipped}
    assert reasons["big.py"] == "3 changed lines, over `max_lines_per_file` (2)"
    assert "over the limit of 1 files" in next(r for p, r in reasons.items() if p != "big.py")
