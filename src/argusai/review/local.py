"""Helpers for ``argus review`` on a local checkout or diff file (CLI and GitHub Actions)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from argusai.core.diff import ChangedFile
from argusai.errors import InputError
from argusai.review.anchor import NOT_IN_DIFF_FILE, NOT_IN_DIFF_LINE
from argusai.review.engine import ReviewOutcome, ReviewResult
from argusai.review.gitdiff import parse_unified_diff, to_text
from argusai.review.models import Finding, Severity

if TYPE_CHECKING:
    from rich.console import Console

OUTSIDE_THE_DIFF = (NOT_IN_DIFF_FILE, NOT_IN_DIFF_LINE)


class LocalDiffError(InputError):
    """The local diff could not be produced or read (not a git checkout, bad base …)."""


def run_git(
    args: list[str], cwd: Path, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run ``git args`` in ``cwd`` (``stdin`` fed to it) and capture its output."""
    git = shutil.which("git")
    if git is None:
        raise LocalDiffError("git is not installed or not on PATH")
    # argv list, no shell; the only user value (base) is checked not to be an option
    return subprocess.run(  # noqa: S603
        [git, *args], cwd=cwd, input=stdin, capture_output=True, check=False
    )


def git_diff(base: str, cwd: Path) -> str:
    """``git diff --no-color -M <base>...HEAD`` in ``cwd`` (changes since the merge base)."""
    if not cwd.is_dir():
        raise LocalDiffError(f"{cwd} is not a directory")
    if base.startswith("-"):
        raise LocalDiffError(f"invalid base revision {base!r}")
    inside = run_git(["rev-parse", "--is-inside-work-tree"], cwd)
    if inside.returncode != 0 or inside.stdout.strip() != b"true":
        raise LocalDiffError(f"{cwd} is not inside a git checkout")
    # git's own message for an unknown ref ends in its usage text: say it in one line
    for ref in (base, "HEAD"):
        if run_git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd).returncode != 0:
            what = "the checkout has no commit yet" if ref == "HEAD" else f"no such git ref: {ref}"
            raise LocalDiffError(f"{what} (git diff {base}...HEAD failed; is it fetched?)")
    args = ["-c", "core.quotePath=true", "diff", "--no-color", "--no-ext-diff", "-M"]
    result = run_git([*args, f"{base}...HEAD"], cwd)
    if result.returncode != 0:
        message = to_text(result.stderr).strip().splitlines()
        detail = message[-1] if message else f"exit status {result.returncode}"
        raise LocalDiffError(f"git diff {base}...HEAD failed: {detail}")
    return to_text(result.stdout)


def read_diff_file(path: Path | str) -> str:
    """Read a diff from a file (``-`` = standard input), tolerating non-UTF-8 bytes."""
    if str(path) == "-":
        return to_text(sys.stdin.buffer.read())
    if Path(path).is_dir():
        raise LocalDiffError(f"{path} is a directory, not a diff file")
    try:
        return to_text(Path(path).read_bytes())
    except OSError as exc:
        raise LocalDiffError(f"cannot read diff file {path}: {exc.strerror or exc}") from exc


def parse_diff_file(text: str, source: str) -> list[ChangedFile]:
    """The files of a diff given with ``--diff``; LocalDiffError when it is not a diff.

    A diff of only binary files, deletions or mode changes is a diff (with nothing for the
    LLM to read); an empty file, a log or random bytes is not: a CI step that wrote the
    wrong file must fail, not pass with "No findings"."""
    if not text.strip():
        raise LocalDiffError(f"{source} is empty: not a unified diff")
    files = parse_unified_diff(text)
    if not files:
        raise LocalDiffError(
            f"{source} is not a unified diff (no 'diff --git' or '---'/'+++' file headers)"
        )
    return files


def read_config_file(config_file: Path | None, repo_dir: Path) -> tuple[str | None, Path]:
    """The text of ``--config`` (which must exist) or of ``.argus.yml`` in the checkout."""
    if config_file is None:
        default = repo_dir / ".argus.yml"
        return (default.read_text(encoding="utf-8") if default.is_file() else None), default
    if not config_file.is_file():
        what = "is a directory" if config_file.is_dir() else "no such file"
        raise LocalDiffError(f"--config {config_file}: {what}")
    try:
        return config_file.read_text(encoding="utf-8"), config_file
    except (OSError, UnicodeDecodeError) as exc:
        raise LocalDiffError(f"--config {config_file}: cannot read it ({exc})") from exc


@dataclass(frozen=True)
class ContextReport:
    """The code context the prompts quoted, for the local output (the PR summary has its own)."""

    enabled: bool = False
    used: tuple[str, ...] = ()
    left_out: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @classmethod
    def of(cls, outcome: ReviewOutcome, *, enabled: bool) -> ContextReport:
        """What ``outcome`` says; left out = left out of every prompt (another may have it)."""
        used = {u.removesuffix(" (shortened)") for u in outcome.context_used}
        return cls(
            enabled=enabled,
            used=tuple(outcome.context_used),
            left_out=tuple(x for x in outcome.context_left_out if x not in used),
            notes=tuple(outcome.context_notes),
        )

    def lines(self) -> list[str]:
        """The text output's lines: what was quoted, what the budget left out, notes."""
        if not self.enabled:
            return ["code context: off (the prompts show the hunks only)"]
        files = {u.split(" ")[1].rsplit(":", 1)[0] for u in self.used if " " in u}
        out = [
            f"code context: {len(self.used)} block(s) from {len(files)} file(s), "
            f"{len(self.left_out)} left out for the token budget"
        ]
        out += [f"  note: {n}" for n in self.notes]
        out += [f"  used: {u}" for u in self.used]
        out += [f"  left out: {x}" for x in self.left_out]
        return out

    def to_json(self) -> dict[str, Any]:
        """The ``context`` member of ``--format json``."""
        return {
            "enabled": self.enabled,
            "used": list(self.used),
            "left_out": list(self.left_out),
            "notes": list(self.notes),
        }


def exit_code(findings: list[Finding], fail_on: Severity | None) -> int:
    """1 when a finding is at least as severe as ``fail_on``, else 0 (None never fails)."""
    if fail_on is None:
        return 0
    return int(any(f.severity.rank >= fail_on.rank for f in findings))


def _where(f: Finding) -> str:
    return f"{f.path}:{f.start_line}-{f.line}" if f.start_line else f"{f.path}:{f.line}"


def render_findings_text(result: ReviewResult, context: ContextReport | None = None) -> str:
    """Plain-text report for a terminal: one block per finding, then what was skipped and
    (given ``context``) the code the prompts quoted."""
    lines: list[str] = []
    outside = [n.finding for n in result.not_posted if n.reason in OUTSIDE_THE_DIFF]
    for f in result.findings:
        mark = " (outside the diff)" if any(f is o for o in outside) else ""
        lines.append(f"{_where(f)}: [{f.severity.value}/{f.category.value}] {f.title}{mark}")
        lines.extend(f"    {ln}" for ln in f.message.splitlines())
        if f.suggestion:
            lines.append("    suggestion:")
            lines.extend(f"      {ln}" for ln in f.suggestion.splitlines())
        lines.append("")
    if not result.findings:
        lines += ["No findings.", ""]
    for item in result.rejected:
        lines.append(f"not posted {_where(item.finding)}: {item.finding.title} ({item.reason})")
    for failure in result.failed:
        lines.append(f"part {failure.index + 1} not reviewed: {failure.reason}")
    for s in result.skipped:
        lines.append(f"skipped {s.path}: {s.reason}")
    if context is not None:
        lines += context.lines()
    u = result.usage
    where = f" ({len(outside)} outside the diff)" if outside else ""
    lines.append(
        f"{len(result.findings)} finding(s){where} · {u.calls} LLM call(s) · "
        f"{u.prompt_tokens} prompt + {u.completion_tokens} completion tokens · "
        f"≈ ${u.cost_usd:.4f}"
    )
    return "\n".join(lines)


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "path": f.path,
        "line": f.line,
        "start_line": f.start_line,
        "severity": f.severity.value,
        "category": f.category.value,
        "title": f.title,
        "message": f.message,
        "suggestion": f.suggestion,
        "evidence_lines": list(f.evidence),
    }


def result_to_json(result: ReviewResult, context: ContextReport | None = None) -> dict[str, Any]:
    """A JSON-ready dict of the result (for ``--json`` and CI tooling); ``context`` adds a
    ``context`` member."""
    posted = {(c.path, c.line, c.fingerprint) for c in result.inline_comments}
    data = {
        "head_sha": result.head_sha,
        "prompt_version": result.prompt_version,
        "counts": {s.value: n for s, n in result.counts.items()},
        "findings": [_finding_json(f) for f in result.findings],
        "inline_comments": [
            {
                "path": c.path,
                "line": c.line,
                "start_line": c.start_line,
                "severity": c.severity.value,
                "fingerprint": c.fingerprint,
            }
            for c in result.inline_comments
        ],
        "inline_count": len(posted),
        "not_posted": [{**_finding_json(n.finding), "reason": n.reason} for n in result.not_posted],
        "not_confirmed": [
            {**_finding_json(n.finding), "reason": n.reason} for n in result.rejected
        ],
        "skipped_files": [{"path": s.path, "reason": s.reason} for s in result.skipped],
        "failed_chunks": [
            {"index": c.index, "files": list(c.files), "reason": c.reason} for c in result.failed
        ],
        "usage": {
            "prompt_tokens": result.usage.prompt_tokens,
            "completion_tokens": result.usage.completion_tokens,
            "cost_usd": round(result.usage.cost_usd, 6),
            "calls": result.usage.calls,
            "models": list(result.usage.models),
        },
        "already_posted": result.already_posted,
    }
    if context is not None:
        data["context"] = context.to_json()
    return data


@contextmanager
def progress_bar(console: Console) -> Iterator[Callable[[int, int], None]]:
    """A ``progress(done, total)`` for ``run_review``: a bar on a terminal, else nothing.

    The bar goes to ``console`` (stderr: stdout carries the result) and is gone once done.
    """
    if not console.is_terminal:
        yield lambda _done, _total: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (
        TextColumn("reviewing part"),
        MofNCompleteColumn(),
        BarColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("review", total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update
