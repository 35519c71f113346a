"""What the Action hands back to its workflow: step outputs, the job summary, annotations
on the run, and the exit code ``fail-on`` asks for.

Only our own words and numbers reach stdout (workflow commands are read from it): the
LLM's text goes to files — the job summary, the SARIF log — never to the log.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from argusai.errors import InputError
from argusai.review.models import Severity

NEVER = ("none", "never", "off", "false")


@dataclass(frozen=True)
class Outcome:
    """The step's result: the outputs and whether the gate failed."""

    pr_number: int
    head_sha: str
    findings: int
    max_severity: Severity | None
    fail_on: Severity | None
    state: str  # reviewed | already-reviewed | skipped

    @property
    def failed(self) -> bool:
        """True when a finding reaches ``fail_on``."""
        worst = self.max_severity
        return self.fail_on is not None and worst is not None and worst.rank >= self.fail_on.rank

    @property
    def exit_code(self) -> int:
        """1 when the gate failed, else 0."""
        return int(self.failed)

    def outputs(self) -> dict[str, str]:
        """The step outputs (``steps.<id>.outputs.*``)."""
        return {
            "findings": str(self.findings),
            "max-severity": self.max_severity.value if self.max_severity else "none",
            "pr-number": str(self.pr_number) if self.pr_number else "",
            "head-sha": self.head_sha,
            "state": self.state,
        }


def parse_fail_on(value: str | None) -> tuple[bool, Severity | None]:
    """(given, severity) of the ``fail-on`` input: empty → not given (``.argus.yml``'s
    ``fail_on`` decides), ``none`` → never fail."""
    text = (value or "").strip().lower()
    if not text:
        return False, None
    if text in NEVER:
        return True, None
    try:
        return True, Severity(text)
    except ValueError:
        names = ", ".join(s.value for s in Severity)
        raise InputError(f"fail-on must be one of {names} or none, not {text[:40]!r}") from None


def _escape(text: str) -> str:
    """Workflow-command data: ``%``, CR and LF escaped as the runner expects."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def annotate(kind: str, message: str, stream: TextIO | None = None) -> None:
    """``::notice::`` / ``::warning::`` / ``::error::`` on the run (our own text only)."""
    print(f"::{kind}::{_escape(message)}", file=stream or sys.stdout, flush=True)


def write_outputs(env: Mapping[str, str], outputs: Mapping[str, str]) -> None:
    """Append ``name=value`` lines to ``$GITHUB_OUTPUT`` (nothing outside a workflow)."""
    path = env.get("GITHUB_OUTPUT")
    if not path:
        return
    lines = []
    for name, value in outputs.items():
        if "\n" in value or "\r" in value:  # never ours: values are numbers, words, SHAs
            raise ValueError(f"output {name} spans lines")
        lines.append(f"{name}={value}\n")
    with Path(path).open("a", encoding="utf-8") as out:
        out.writelines(lines)


def write_step_summary(env: Mapping[str, str], markdown: str) -> None:
    """Append the review's summary to the job's summary page (``$GITHUB_STEP_SUMMARY``)."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as out:
        out.write(markdown.rstrip() + "\n")
