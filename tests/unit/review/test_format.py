"""Comment and summary markdown: header, severity, suggestion, markers, size limit."""

from __future__ import annotations

from argusai.core.secrets import EMPTY_REDACTOR, Redactor
from argusai.review.fingerprint import extract_fingerprints
from argusai.review.format import (
    GITHUB_BODY_LIMIT,
    SUMMARY_MARKER,
    SummaryData,
    format_comment,
    format_review_body,
    format_summary,
)
from argusai.review.models import (
    Category,
    ChunkFailure,
    Finding,
    NotPosted,
    Severity,
    SkippedFile,
    Usage,
)

F = Finding(
    "a.py",
    3,
    Severity.CRITICAL,
    Category.SECURITY,
    "SQL injection",
    "User input reaches `execute`.",
    suggestion='cur.execute("q", (x,))\n```\nescape',
)


def test_comment_body() -> None:
    body = format_comment(F, "0123456789abcdef", redactor=EMPTY_REDACTOR)
    assert body.startswith("🤖 **ArgusAI Review** · 🔴 **SQL injection**")
    assert "**Severity:** critical · **Category:** security" in body
    assert "````suggestion\n" in body and body.count("````") == 2
    assert body.endswith("<!-- argus:fp:0123456789abcdef -->")
    assert extract_fingerprints([body]) == {"0123456789abcdef"}


def test_no_suggestion_block_without_suggestion() -> None:
    body = format_comment(
        Finding("a.py", 1, Severity.LOW, Category.QUALITY, "t", "m"),
        "ab" * 8,
        redactor=EMPTY_REDACTOR,
    )
    assert "suggestion" not in body


def test_the_redactor_handed_in_hides_its_secrets_everywhere() -> None:
    secret = "dotenv-only-secret-1234"
    leaky = Finding(
        f"{secret}.py", 1, Severity.HIGH, Category.SECURITY, secret, secret, suggestion=secret
    )
    redactor = Redactor.of([secret])
    data = SummaryData(
        head_sha="f" * 40,
        overview=[secret],
        not_posted=[NotPosted(leaky, "line not in the diff")],
        skipped=[SkippedFile(f"{secret}.lock", "lock file")],
        failed=[ChunkFailure(0, [f"{secret}.py"], secret)],
        config_error=secret,
    )
    for text in (
        format_comment(leaky, "ab" * 8, redactor=redactor),
        format_summary(data, redactor=redactor),
    ):
        assert secret not in text and "[redacted]" in text


def test_summary_reports_everything() -> None:
    data = SummaryData(
        head_sha="f" * 40,
        incremental_base="e" * 40,
        overview=["Adds login."],
        counts={Severity.CRITICAL: 1, Severity.LOW: 2},
        inline_count=1,
        not_posted=[NotPosted(F, "line not in the diff")],
        skipped=[SkippedFile("yarn.lock", "lock file")],
        failed=[ChunkFailure(1, ["b.py"], "unusable answer")],
        usage=Usage(1200, 300, 0.0123, 2, ["gpt-4o"]),
        config_error=".argus.yml is not valid YAML",
        already_posted=2,
        prompt_version="review-v1",
    )
    text = format_summary(data, redactor=EMPTY_REDACTOR)
    assert text.startswith(SUMMARY_MARKER)
    for expected in (
        "Adds login.",
        "🔴 1 critical",
        "🔵 2 low",
        "1 posted inline",
        "2 already reported",
        "`a.py:3`",
        "line not in the diff",
        "`yarn.lock` — lock file",
        "part 2",
        "`b.py`",
        "not valid YAML",
        "gpt-4o",
        "1,200 prompt",
        "$0.0123",
        "eeeeeeeeeeee..ffffffffffff",
        "review-v1",
    ):
        assert expected in text, expected


def test_summary_stays_under_github_limit() -> None:
    data = SummaryData(
        head_sha="a" * 40,
        overview=["x" * 3000] * 50,
        not_posted=[NotPosted(F, "over the limit")] * 5000,
        skipped=[SkippedFile(f"dir/file_{i}.bin", "binary file") for i in range(20_000)],
    )
    text = format_summary(data, redactor=EMPTY_REDACTOR)
    assert len(text) < GITHUB_BODY_LIMIT
    assert "more" in text and text.startswith(SUMMARY_MARKER)


def test_review_body_is_short() -> None:
    body = format_review_body(3, {Severity.HIGH: 3})
    assert "3 comments" in body and len(body) < 300
