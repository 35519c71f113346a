"""Oversized and binary files added."""

from __future__ import annotations

from argusai.core.diff import ChangedFile
from argusai.review.checks import LargeFilesCheck, check_files
from argusai.review.models import Finding, Severity


def scan(*files: ChangedFile, max_bytes: int = 1_000_000) -> list[Finding]:
    return LargeFilesCheck(max_bytes).run(check_files(files))


def big_file(lines: int, width: int = 99) -> ChangedFile:
    body = "\n".join("+" + "x" * width for _ in range(lines))
    return ChangedFile("data/dump.csv", "added", lines, 0, f"@@ -0,0 +1,{lines} @@\n{body}")


def test_an_added_5_mb_file_over_the_limit() -> None:
    (finding,) = scan(big_file(50_000))  # 50,000 lines of 100 bytes
    assert (finding.path, finding.line, finding.title) == ("data/dump.csv", 1, "Large file added")
    assert "5.0 MB" in finding.message and "1.0 MB" in finding.message
    assert finding.severity == Severity.MEDIUM and finding.source == "check"
    assert scan(big_file(50_000), max_bytes=10_000_000) == []


def test_binary_files_added() -> None:
    (finding,) = scan(ChangedFile("bin/tool.exe", "added"))
    assert finding.title == "Binary file added" and finding.severity == Severity.LOW
    # images and fixtures are expected; a modified or removed binary is not an addition
    assert scan(ChangedFile("docs/shot.png", "added")) == []
    assert scan(ChangedFile("tests/data/x.gz", "added")) == []
    assert scan(ChangedFile("bin/tool.exe", "modified")) == []
    assert scan(ChangedFile("bin/tool.exe", "removed")) == []
    assert LargeFilesCheck(binary=False).run(check_files([ChangedFile("a.bin", "added")])) == []


def test_a_patch_too_large_for_github() -> None:
    (finding,) = scan(ChangedFile("data/huge.sql", "added", 90_000, 0, None))
    assert finding.title == "Very large file change" and "90,000 lines" in finding.message


def test_small_files_pass() -> None:
    assert scan(big_file(10)) == []
