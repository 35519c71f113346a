"""The reducer on small labelled logs (one per ecosystem) and on edge cases."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest

from argusai.cilog.labels import found, normalise_text
from argusai.cilog.reduce import (
    DEFAULT_BUDGET,
    iter_chunks,
    reduce_bytes,
    reduce_log,
    reduce_stream,
)
from argusai.core.tokens import count_tokens

DATA = Path(__file__).parent / "data"
LABELS: dict[str, list[str]] = json.loads((DATA / "labels.json").read_text())


def noise(lines: int) -> bytes:
    """Passing build output that should be cut: varied numbers, a few harmless keywords."""
    out = []
    for i in range(lines):
        out.append(f"[{i:05d}] Compiling module_{i % 97}.c ({i * 7 % 1000} ms) ok\n")
        if i % 50 == 0:
            out.append(f"tests/test_mod{i}.py::test_error_handling PASSED [{i % 100:3d}%]\n")
    return "".join(out).encode()


@pytest.mark.parametrize("name", sorted(LABELS))
def test_labelled_lines_are_kept(name: str) -> None:
    log = (DATA / name).read_bytes()
    result = reduce_bytes(log)
    labels = [normalise_text(label) for label in LABELS[name]]
    assert all(found(labels, result.excerpt)), result.excerpt


@pytest.mark.parametrize("name", sorted(LABELS))
def test_labelled_lines_survive_3000_lines_of_noise(name: str) -> None:
    log = noise(3_000) + (DATA / name).read_bytes() + noise(40)
    result = reduce_bytes(log)
    labels = [normalise_text(label) for label in LABELS[name]]
    missing = [lab for lab, ok in zip(labels, found(labels, result.excerpt), strict=True) if not ok]
    assert not missing, result.excerpt
    assert result.tokens <= DEFAULT_BUDGET
    assert result.lines_kept < result.lines_in
    assert "lines omitted" in result.excerpt


def test_result_says_what_was_cut() -> None:
    result = reduce_bytes(noise(5_000) + (DATA / "pytest_summary.log").read_bytes(), budget=800)
    assert result.tokens <= 800
    assert result.excerpt.startswith("[argus: ")
    assert sum(o.lines for o in result.omitted) + result.lines_kept == result.lines_in
    assert any(o.lines > 1_000 for o in result.omitted)
    assert f"{result.omitted[0].lines:,} lines omitted" in result.excerpt
    kinds = {b.kind for b in result.blocks}
    assert "test-failed" in kinds
    first = next(b for b in result.blocks if b.kind == "test-failed")
    lines = (noise(5_000) + (DATA / "pytest_summary.log").read_bytes()).split(b"\n")
    assert lines[first.line - 1].decode().startswith("FAILED tests/")


def test_failing_step_and_exit_code_from_github_actions() -> None:
    result = reduce_bytes((DATA / "python_traceback.log").read_bytes())
    assert result.failing_step == "Run python scripts/migrate.py --check"
    assert result.exit_code == 1
    assert "2024-05-02T" not in result.excerpt
    assert "##[endgroup]" not in result.excerpt


def test_decoy_step_does_not_hide_the_real_failure() -> None:
    decoy = (
        b"##[group]Run mv td_results.json artifacts/\n"
        b"##[endgroup]\n"
        b"mv: cannot stat 'td_results.json': No such file or directory\n"
        b"##[error]Process completed with exit code 1.\n"
    )
    log = decoy + noise(2_000) + (DATA / "python_traceback.log").read_bytes() + noise(300)
    result = reduce_bytes(log, budget=1_500)
    assert "KeyError: '0042_add_index'" in result.excerpt
    assert result.failing_step == "Run python scripts/migrate.py --check"


def test_repeated_lines_are_collapsed() -> None:
    repeated = "".join(f"WARN retrying connection to db-{i}.internal:5432\n" for i in range(400))
    log = repeated.encode() + (DATA / "oom_kill.log").read_bytes()
    result = reduce_bytes(log)
    assert result.excerpt.count("WARN retrying") <= 10
    assert "similar lines omitted" in result.excerpt
    assert "Out of memory: Killed process 2231" in result.excerpt


def test_ansi_travis_markers_and_progress_are_cleaned() -> None:
    log = (
        b"travis_fold:start:install\r\x1b[0Ktravis_time:start:0a1b\r\x1b[0K$ npm ci\r\n"
        b"progress 10%\rprogress 50%\rprogress 100%\r\n"
        b"\x1b[31mnpm ERR!\x1b[0m code E404\r\n"
        b'travis_time:end:0a1b:start=1,finish=2,duration=1\r\x1b[0K\x1b[31;1mThe command "npm ci" '
        b"exited with 1.\x1b[0m\r\n"
    )
    result = reduce_bytes(log)
    assert "npm ERR! code E404" in result.excerpt
    assert "\x1b" not in result.excerpt and "\r" not in result.excerpt
    assert "travis_" not in result.excerpt
    assert "progress 100%" in result.excerpt and "progress 10%" not in result.excerpt
    assert result.failing_step == "$ npm ci"


@pytest.mark.parametrize(
    "log",
    [b"", b"\n\n\n", b"   \r\n\t\n", b"##[group]Run true\n##[endgroup]\n"],
    ids=["empty", "newlines", "whitespace", "only-noise"],
)
def test_logs_without_content(log: bytes) -> None:
    result = reduce_bytes(log)
    assert result.blocks == ()
    assert result.tokens <= DEFAULT_BUDGET
    assert result.excerpt.startswith("[argus: ")


def test_no_newline_at_end_and_crlf() -> None:
    log = (DATA / "unittest.log").read_bytes().replace(b"\n", b"\r\n").rstrip(b"\r\n")
    result = reduce_bytes(log)
    assert "FAILED (failures=1, errors=1)" in result.excerpt
    assert result.lines_in == log.count(b"\n") + 1


def test_binary_garbage() -> None:
    garbage = bytes(range(256)) * 2_000 + b"\nfatal: error in \xff\xfe stream\n"
    result = reduce_bytes(garbage)
    assert "fatal: error in" in result.excerpt
    assert result.tokens <= DEFAULT_BUDGET


def test_one_giant_line_of_5_mb() -> None:
    line = b"x" * 2_500_000 + b" error: the needle " + b"y" * 2_500_000
    result = reduce_bytes(line + b"\nTraceback done\n")
    assert "error: the needle" in result.excerpt
    assert "chars cut" in result.excerpt or "bytes cut" in result.excerpt
    assert result.tokens <= DEFAULT_BUDGET
    assert result.lines_in == 2


def test_chunk_boundaries_do_not_matter() -> None:
    log = noise(2_000) + (DATA / "rust_cargo.log").read_bytes() + noise(100)
    whole = reduce_bytes(log)
    pieces = reduce_log(log[i : i + 4_099] for i in range(0, len(log), 4_099))
    assert pieces.excerpt == whole.excerpt


def test_gzip_and_plain_streams_give_the_same_result() -> None:
    log = noise(500) + (DATA / "jest.log").read_bytes()
    plain = reduce_stream(io.BytesIO(log))
    zipped = reduce_stream(io.BytesIO(gzip.compress(log)))
    assert plain == zipped
    assert b"".join(iter_chunks(io.BytesIO(gzip.compress(log)), size=1_000)) == log


def test_budget_is_respected_with_real_tokens() -> None:
    log = b"".join((DATA / name).read_bytes() for name in sorted(LABELS)) * 20
    for budget in (300, 1_000, 6_000):
        result = reduce_bytes(log, budget=budget)
        assert result.tokens <= budget
        assert count_tokens(result.excerpt) == result.tokens


def test_same_excerpt_without_ahocorasick(monkeypatch: pytest.MonkeyPatch) -> None:
    import argusai.cilog.prefilter as prefilter_module

    log = noise(2_000) + b"".join((DATA / name).read_bytes() for name in sorted(LABELS))
    with_automaton = reduce_bytes(log)
    monkeypatch.setattr(prefilter_module, "_automaton", lambda: None)
    assert reduce_bytes(log) == with_automaton
