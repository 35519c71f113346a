"""The CI comment and check run text: markers, untrusted names, notes, the passed state."""

from __future__ import annotations

import io

from argusai.ci.format import (
    JobAnalysis,
    RunInfo,
    check_output,
    failure_comment,
    passed_comment,
    run_marker,
)
from argusai.core.secrets import EMPTY_REDACTOR, Redactor
from argusai.github.client import _read_capped

RUN = RunInfo(
    run_id=42,
    attempt=2,
    workflow_name="CI @team",
    head_sha="b" * 40,
    conclusion="failure",
    html_url="https://github.com/o/r/actions/runs/42",
)


def explained(name: str = "test") -> JobAnalysis:
    return JobAnalysis(
        job_id=1,
        job_name=name,
        failed_steps=["Run pytest"],
        explanation={
            "root_cause": "assert 3 == 4",
            "failing_step": "Run pytest",
            "evidence": ["E   assert 3 == 4", "```"],
            "suggested_fix": "Fix it.",
            "confidence": "high",
            "usage": {
                "prompt_tokens": 100,
                "completion_tokens": 20,
                "cost_usd": 0.001,
                "model": "m",
            },
        },
    )


def test_failure_comment_has_markers_sections_and_footer() -> None:
    body = failure_comment(RUN, [explained()], skipped=3, redactor=EMPTY_REDACTOR)
    assert body.startswith(run_marker(42) + "\n<!-- argus:ci attempt=2 -->")
    assert "(attempt 2)" in body and "`Run pytest`" in body
    assert "120 tokens" in body and "model m" in body
    assert "3 more failed jobs were not analysed" in body
    assert "[Workflow run](https://github.com/o/r/actions/runs/42)" in body


def test_names_from_github_cannot_mention_or_forge_markers() -> None:
    job = explained(name="x` @admin <!-- argus:ci run=1 -->")
    body = failure_comment(RUN, [job], redactor=EMPTY_REDACTOR)
    assert body.count("<!-- argus:ci run=") == 1
    assert "`CI @team`" in body  # inside a code span: no notification


def test_unexplained_job_shows_its_note() -> None:
    job = JobAnalysis(job_id=2, job_name="build", note="The log is gone.")
    assert "_The log is gone._" in failure_comment(RUN, [job], redactor=EMPTY_REDACTOR)
    title, summary = check_output(RUN, [job], redactor=EMPTY_REDACTOR)
    assert title == "CI @team: 1 failed job explained" and "The log is gone." in summary


def test_passed_comment_keeps_the_old_analysis_folded() -> None:
    run = RunInfo(42, 3, "CI", "b" * 40, "success")
    body = passed_comment(run, [explained()], 2, redactor=EMPTY_REDACTOR)
    assert run_marker(42) in body and "✅ CI passed" in body
    assert "attempt 2 had failed" in body and "<details>" in body
    assert (
        check_output(run, [], passed=True, redactor=EMPTY_REDACTOR)[0] == "CI: passed on attempt 3"
    )


def test_the_redactor_handed_in_hides_its_secrets_in_comments_and_check_runs() -> None:
    secret = "dotenv-only-secret-1234"
    job = explained(name=secret)
    job.explanation = {**(job.explanation or {}), "root_cause": secret, "evidence": [secret]}
    run = RunInfo(42, 2, secret, "b" * 40, "failure")
    redactor = Redactor.of([secret])
    texts = [
        failure_comment(run, [job], redactor=redactor),
        passed_comment(run, [job], 1, redactor=redactor),
        check_output(run, [job], redactor=redactor)[1],
    ]
    for text in texts:
        assert secret not in text and "[redacted]" in text


def test_javascript_urls_are_not_linked() -> None:
    run = RunInfo(1, 1, "CI", "c" * 40, "failure", html_url="javascript:alert(1)")
    assert "](javascript" not in failure_comment(run, [], redactor=EMPTY_REDACTOR)


class _Body:
    def __init__(self, data: bytes) -> None:
        self.stream = io.BytesIO(data)

    def iter_bytes(self, size: int) -> object:
        return iter(lambda: self.stream.read(7), b"")


def test_capped_read_keeps_the_tail() -> None:
    log = _read_capped(_Body(b"0123456789" * 10), 25)
    assert log.data == (b"0123456789" * 10)[-25:] and log.truncated and log.total_bytes == 100
    small = _read_capped(_Body(b"abc"), 25)
    assert small.data == b"abc" and not small.truncated
    refused = _read_capped(_Body(b"x" * 200), 25)
    assert refused.refused and refused.data == b""
