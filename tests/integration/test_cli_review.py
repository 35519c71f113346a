"""``argus review`` as a CI job runs it: wrong input fails loudly, output is what was said.

A fake LLM on loopback answers; ``request_count`` tells whether it was asked at all.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from argusai.cli import app
from tests.fakes.fake_llm import FakeLLMServer

DIFF = """diff --git a/calc.py b/calc.py
--- a/calc.py
+++ b/calc.py
@@ -1,3 +1,4 @@
 import sys
+value = eval(sys.argv[1])
 print("hi")
 done = True
"""
BINARY_AND_DELETION = """diff --git a/logo.png b/logo.png
index 7456d47..aabaee9 100644
Binary files a/logo.png and b/logo.png differ
diff --git a/old.txt b/old.txt
deleted file mode 100644
index 422c2b7..0000000
--- a/old.txt
+++ /dev/null
@@ -1,2 +0,0 @@
-a
-b
"""


def _finding(line: int, title: str, message: str = "Use ast.literal_eval.") -> dict[str, Any]:
    return {
        "path": "calc.py",
        "line": line,
        "start_line": None,
        "severity": "high",
        "category": "security",
        "title": title,
        "message": message,
        "suggestion": None,
    }


@pytest.fixture
def llm(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[FakeLLMServer]:
    with FakeLLMServer() as fake:
        fake.responder = lambda _req: {"summary": "s", "findings": [_finding(2, "eval")]}
        monkeypatch.setenv("ARGUS_LLM_PROVIDER", "openai-compatible")
        monkeypatch.setenv("ARGUS_LLM_BASE_URL", fake.openai_base_url)
        monkeypatch.setenv("ARGUS_LLM_API_KEY", "sk-cli-test")
        monkeypatch.setenv("ARGUS_DATA_DIR", str(tmp_path / "data"))
        yield fake


def _review(*args: str) -> Any:
    return CliRunner().invoke(app, ["review", *args])


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "is empty: not a unified diff"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "is not a unified diff"),
        (b"Build succeeded.\n3 warnings\n", "is not a unified diff"),
    ],
    ids=["empty", "binary", "text"],
)
def test_a_file_that_is_not_a_diff_fails_without_asking_the_llm(
    llm: FakeLLMServer, tmp_path: Path, content: bytes, why: str
) -> None:
    path = tmp_path / "change.diff"
    path.write_bytes(content)
    result = _review("--diff", str(path))
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith(f"argus: error: {path} {why}")
    assert result.stderr.count("\n") == 1
    assert result.stdout == ""
    assert llm.request_count == 0


def test_a_diff_of_only_binary_files_and_deletions_is_a_diff(
    llm: FakeLLMServer, tmp_path: Path
) -> None:
    path = tmp_path / "change.diff"
    path.write_text(BINARY_AND_DELETION)
    result = _review("--diff", str(path))
    assert result.exit_code == 0, result.output
    assert "skipped logo.png: binary file" in result.stdout
    assert "skipped old.txt: file removed" in result.stdout
    assert llm.request_count == 0  # nothing the LLM could read


def test_a_missing_config_file_is_an_error(llm: FakeLLMServer, tmp_path: Path) -> None:
    (tmp_path / "change.diff").write_text(DIFF)
    result = _review("--diff", str(tmp_path / "change.diff"), "--config", "missing.yml")
    assert result.exit_code == 2
    assert result.stderr == "argus: error: --config missing.yml: no such file\n"
    assert llm.request_count == 0


def test_an_unknown_base_ref_is_one_line(llm: FakeLLMServer, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    for args in (("init", "-q", "-b", "main"), ("commit", "-q", "--allow-empty", "-m", "x")):
        subprocess.run(
            ["git", "-c", "user.email=t@e.st", "-c", "user.name=t", *args],
            cwd=repo,
            check=True,
            capture_output=True,
        )
    result = _review("--base", "nosuchref", "--repo", str(repo))
    assert result.exit_code == 2
    assert result.stderr.startswith("argus: error: no such git ref: nosuchref")
    assert result.stderr.count("\n") == 1 and "usage" not in result.stderr.lower()
    assert llm.request_count == 0


def test_text_output_is_as_written_and_marks_findings_outside_the_diff(
    llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_LLM_VERIFY", "false")  # a verifier cannot confirm line 40
    title = "overflow at build.rs:100: [red]boom[/red]"
    message = "see :thumbs_up: and [bold]this[/bold]"
    llm.responder = lambda _req: {
        "summary": "s",
        "findings": [_finding(2, title, message), _finding(40, "far away")],
    }
    (tmp_path / "change.diff").write_text(DIFF)
    result = _review("--diff", str(tmp_path / "change.diff"))
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert f"calc.py:2: [high/security] {title}" in lines
    assert f"    {message}" in lines
    assert "calc.py:40: [high/security] far away (outside the diff)" in lines
    assert "2 finding(s) (1 outside the diff)" in result.stdout
    diff = str(tmp_path / "change.diff")
    as_json = json.loads(_review("--diff", diff, "--format", "json").stdout)
    assert [n["line"] for n in as_json["not_posted"]] == [40]


def test_logs_are_quiet_by_default_and_on_stderr_with_verbose(
    llm: FakeLLMServer, tmp_path: Path
) -> None:
    (tmp_path / "change.diff").write_text(DIFF)
    diff = str(tmp_path / "change.diff")
    quiet = CliRunner().invoke(app, ["review", "--diff", diff, "--format", "json"])
    assert quiet.exit_code == 0
    assert quiet.stderr == ""  # no log line per LLM call, and no progress bar off a terminal
    assert json.loads(quiet.stdout)["findings"][0]["line"] == 2

    runner = CliRunner(env={"ARGUS_LOG_LEVEL": None})  # -v sets it; restored afterwards
    verbose = runner.invoke(app, ["-v", "review", "--diff", diff, "--format", "json"])
    assert verbose.exit_code == 0
    events = [json.loads(line)["event"] for line in verbose.stderr.splitlines()]
    assert "llm.response" in events
    assert json.loads(verbose.stdout)["findings"][0]["line"] == 2  # stdout: the result only


def test_log_level_variable_still_wins(
    llm: FakeLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGUS_LOG_LEVEL", "INFO")
    (tmp_path / "change.diff").write_text(DIFF)
    result = _review("--diff", str(tmp_path / "change.diff"), "--format", "json")
    assert result.exit_code == 0
    assert "llm.response" in result.stderr


def test_findings_the_verifier_does_not_confirm_are_listed_apart(
    llm: FakeLLMServer, tmp_path: Path
) -> None:
    llm.responder = lambda _req: {
        "summary": "s",
        "findings": [_finding(2, "real"), _finding(40, "far away")],
    }
    (tmp_path / "change.diff").write_text(DIFF)
    result = _review("--diff", str(tmp_path / "change.diff"))
    assert result.exit_code == 0, result.output
    assert "calc.py:2: [high/security] real" in result.stdout
    assert "not posted calc.py:40: far away (not confirmed: the verifier cited no line" in (
        result.stdout
    )
    as_json = json.loads(
        _review("--diff", str(tmp_path / "change.diff"), "--format", "json").stdout
    )
    assert [f["line"] for f in as_json["findings"]] == [2]
    assert as_json["findings"][0]["evidence_lines"] == [2]
    assert [n["line"] for n in as_json["not_confirmed"]] == [40]
