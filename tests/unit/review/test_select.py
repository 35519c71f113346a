"""File selection: config globs, skip rules, file limit, every skip named."""

from __future__ import annotations

from argusai.core.diff import ChangedFile
from argusai.review.repo_config import RepoConfig
from argusai.review.select import matches, select_files

PATCH = "@@ -1 +1,2 @@\n a\n+b"


def changed(path: str, status: str = "modified", additions: int = 1, **kw: object) -> ChangedFile:
    patch = kw.pop("patch", PATCH)
    assert isinstance(patch, str | None)
    return ChangedFile(path=path, status=status, additions=additions, patch=patch)


def reasons(
    files: list[ChangedFile], config: RepoConfig | None = None, max_files: int = 50
) -> dict[str, str]:
    sel = select_files(files, config or RepoConfig(), max_files=max_files)
    names = [f.path for f in sel.files] + [s.path for s in sel.skipped]
    assert sorted(names) == sorted(f.path for f in files)  # every file accounted for
    return {s.path: s.reason for s in sel.skipped}


def test_gitignore_style_globs() -> None:
    assert matches("src/a/b.py", ["src/**"])
    assert matches("deep/dir/x.md", ["*.md"])
    assert matches("pkg/docs/x.txt", ["docs/"])
    assert not matches("src/a.py", ["tests/**"])
    assert not matches("a.py", [])


def test_skip_rules_name_a_reason() -> None:
    files = [
        changed("src/app.py"),
        changed("gone.py", status="removed"),
        changed("logo.png", patch=None, additions=0),
        changed("huge.sql", patch=None, additions=30000),
        changed("web/package-lock.json"),
        changed("Cargo.lock"),
        changed("static/app.min.js"),
        changed("api/v1_pb2.py"),
        changed("dist/bundle.js"),
        changed("vendor/lib/x.go"),
        changed("ui/node_modules/x/index.js"),
        changed("run.sh", status="changed", patch=""),
        changed("moved.py", status="renamed", patch=""),
        changed("sub", patch="@@ -1 +1 @@\n-Subproject commit 0a1b\n+Subproject commit 2c3d"),
        changed("tests/__snapshots__/a.snap"),
        changed("src/api.generated.ts"),
    ]
    got = reasons(files)
    assert "src/app.py" not in got
    assert got["gone.py"] == "file removed"
    assert got["logo.png"] == "binary file"
    assert "too large" in got["huge.sql"]
    assert got["web/package-lock.json"] == got["Cargo.lock"] == "lock file"
    for path in (
        "static/app.min.js",
        "api/v1_pb2.py",
        "dist/bundle.js",
        "tests/__snapshots__/a.snap",
        "src/api.generated.ts",
    ):
        assert got[path] == "generated or minified file", path
    assert got["vendor/lib/x.go"] == got["ui/node_modules/x/index.js"] == "vendored dependency"
    assert "mode change" in got["run.sh"]
    assert got["moved.py"] == "renamed without content changes"
    assert got["sub"] == "submodule pointer update"


def test_include_and_exclude() -> None:
    config = RepoConfig(include=["src/**"], exclude=["src/legacy/**"])
    got = reasons(
        [changed("src/a.py"), changed("src/legacy/b.py"), changed("scripts/c.py")], config
    )
    assert "src/a.py" not in got
    assert "exclude" in got["src/legacy/b.py"] and "include" in got["scripts/c.py"]


def test_disabled_skips_everything() -> None:
    got = reasons([changed("a.py"), changed("b.py")], RepoConfig(enabled=False))
    assert set(got.values()) == {"reviews disabled in .argus.yml"}


def test_over_the_limit_keeps_riskiest_in_diff_order() -> None:
    files = [
        changed("README.md", additions=500),
        changed("src/small.py", additions=5),
        changed("src/auth/login.py", additions=20),
        changed("tests/test_big.py", additions=100),
        changed("src/big.py", additions=300),
    ]
    sel = select_files(files, RepoConfig(), max_files=2)
    assert [f.path for f in sel.files] == ["src/auth/login.py", "src/big.py"]
    assert {s.path for s in sel.skipped} == {"README.md", "src/small.py", "tests/test_big.py"}
    assert all("limit of 2 files" in s.reason for s in sel.skipped)
