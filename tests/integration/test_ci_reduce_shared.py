"""The reducer on the real labelled CI logs in ../shared (LogChunks subset, GitHub Actions)."""

from __future__ import annotations

import gzip
import json

import pytest
from typer.testing import CliRunner

from argusai.cilog.cli import ci_app
from argusai.cilog.labels import chunk_lines, found, normalise_text
from argusai.cilog.reduce import DEFAULT_BUDGET, reduce_bytes
from tests.conftest import shared_path

pytestmark = pytest.mark.shared

GHA = [
    "equilibretech_vite_build_entry",
    "equilibretech_vitest_referenceerror",
    "pytorch_fragment_inductor_typeerror",
    "pytorch_full_hf_oserror",
    "pytorch_window_compile_error",
    "pytorch_window_gha_timeout",
    "pytorch_window_msvc_compiler_error",
    "pytorch_window_pytest_failures_section",
    "pytorch_window_test_file_signal_crash",
    "pytorch_window_test_file_timeout",
]

# Chunk recall over the 160 LogChunks logs (all labelled lines of a log in the excerpt): 149
# (93.1 %). The target is 95 %; 5 chunks are longer than the whole budget (9k-174k tokens) and
# others are long lint/diff listings. Raise this floor whenever the reducer improves; never
# lower it.
LOGCHUNKS_LOG_FLOOR = 0.93


@pytest.mark.parametrize("name", GHA)
def test_github_actions_must_contain(name: str) -> None:
    folder = shared_path("data", "ci-logs", "gha-actions")
    labels = json.loads((folder / f"{name}.labels.json").read_text())
    result = reduce_bytes((folder / f"{name}.log").read_bytes())
    must = [normalise_text(m) for m in labels["must_contain"]]
    assert all(found(must, result.excerpt)), result.excerpt
    assert result.tokens <= DEFAULT_BUDGET


def test_full_pytorch_log_names_the_real_failing_step_not_the_decoy() -> None:
    log = shared_path("data", "ci-logs", "gha-actions", "pytorch_full_hf_oserror.log")
    result = reduce_bytes(log.read_bytes())
    assert result.failing_step == "Run set -x"
    assert result.exit_code == 1
    oserror = next(b for b in result.blocks if b.text.startswith("OSError: We couldn't connect"))
    assert result.lines_in - oserror.line > 700  # the cause is far from the end


def test_logchunks_recall() -> None:
    folder = shared_path("data", "ci-logs", "logchunks")
    logs_ok = lines_ok = lines_total = 0
    rows = [json.loads(line) for line in (folder / "subset.jsonl").read_text().splitlines()]
    for row in rows:
        labels = chunk_lines(row["chunk"])
        result = reduce_bytes((folder / row["log"]).read_bytes())
        assert result.tokens <= DEFAULT_BUDGET
        hits = found(labels, result.excerpt)
        logs_ok += all(hits)
        lines_ok += sum(hits)
        lines_total += len(hits)
    log_recall, line_recall = logs_ok / len(rows), lines_ok / lines_total
    print(f"LogChunks: chunks {logs_ok}/{len(rows)} = {log_recall:.1%}; lines {line_recall:.1%}")
    assert log_recall >= LOGCHUNKS_LOG_FLOOR


def test_cli_reduce_gzip_stdin_and_json(tmp_path: object) -> None:
    log = shared_path("data", "ci-logs", "gha-actions", "pytorch_window_compile_error.log")
    runner = CliRunner()
    plain = runner.invoke(ci_app, ["reduce", str(log)])
    assert plain.exit_code == 0, plain.output
    assert "kineto_metadata.cpp:128:26: error: no matching function for call to" in plain.output
    zipped = runner.invoke(ci_app, ["reduce", "-"], input=gzip.compress(log.read_bytes()))
    assert zipped.exit_code == 0
    assert zipped.output == plain.output
    as_json = runner.invoke(ci_app, ["reduce", str(log), "--format", "json", "--budget", "500"])
    data = json.loads(as_json.output)
    assert data["tokens"] <= 500 and data["budget"] == 500
    assert {"excerpt", "blocks", "omitted", "lines_in", "lines_kept", "failing_step"} <= set(data)
    missing = runner.invoke(ci_app, ["reduce", "/nonexistent.log"])
    assert missing.exit_code == 2
