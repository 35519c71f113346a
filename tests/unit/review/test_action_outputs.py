"""The Action's outputs, gate, workflow commands and SARIF log (pure parts)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from argusai.core.secrets import Redactor
from argusai.errors import InputError
from argusai.review.action.outputs import Outcome, annotate, parse_fail_on, write_outputs
from argusai.review.action.sarif import rule_id, to_sarif
from argusai.review.models import Category, Finding, Severity


def test_fail_on_input() -> None:
    assert parse_fail_on("") == (False, None)
    assert parse_fail_on(" High ") == (True, Severity.HIGH)
    assert parse_fail_on("none") == (True, None)
    with pytest.raises(InputError, match="fail-on must be one of critical, high"):
        parse_fail_on("severe")


@pytest.mark.parametrize(
    ("worst", "fail_on", "code"),
    [
        (Severity.HIGH, Severity.HIGH, 1),
        (Severity.MEDIUM, Severity.HIGH, 0),
        (Severity.CRITICAL, None, 0),
        (None, Severity.INFO, 0),
    ],
)
def test_the_gate(worst: Severity | None, fail_on: Severity | None, code: int) -> None:
    outcome = Outcome(3, "a" * 40, 2 if worst else 0, worst, fail_on, "reviewed")
    assert outcome.exit_code == code
    assert outcome.outputs()["max-severity"] == (worst.value if worst else "none")


def test_outputs_are_appended_as_lines(tmp_path: Path) -> None:
    path = tmp_path / "out"
    path.write_text("earlier=1\n")
    write_outputs({"GITHUB_OUTPUT": str(path)}, {"findings": "2", "state": "reviewed"})
    assert path.read_text() == "earlier=1\nfindings=2\nstate=reviewed\n"
    with pytest.raises(ValueError, match="spans lines"):
        write_outputs({"GITHUB_OUTPUT": str(path)}, {"x": "a\nb"})
    write_outputs({}, {"findings": "2"})  # outside a workflow: nothing


def test_workflow_commands_are_escaped() -> None:
    out = io.StringIO()
    annotate("warning", "50% done\n::error::injected", out)
    assert out.getvalue() == "::warning::50%25 done%0A::error::injected\n"


def test_sarif_levels_rules_and_redaction() -> None:
    secret = "ghp_" + "x" * 36
    findings = [
        Finding("src/a.py", 5, Severity.CRITICAL, Category.SECURITY, "Leak", f"token {secret}"),
        Finding("/b.py", 9, Severity.MEDIUM, Category.BUG, "Off", "by one", start_line=7),
        Finding("c.py", 0, Severity.INFO, Category.STYLE, "File", "whole file"),
    ]
    log = to_sarif(findings, version="1.2.3", redactor=Redactor.of([secret]))
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == [rule_id(c) for c in Category]
    first, second, third = run["results"]
    assert (first["level"], second["level"], third["level"]) == ("error", "warning", "note")
    assert secret not in first["message"]["text"]
    assert rules[first["ruleIndex"]]["id"] == "argusai/security"
    assert second["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "b.py"
    assert second["locations"][0]["physicalLocation"]["region"] == {"startLine": 7, "endLine": 9}
    assert "region" not in third["locations"][0]["physicalLocation"]
    assert to_sarif([], version="1", redactor=Redactor())["runs"][0]["results"] == []
