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


def _walk(n: int, change: str = "Renames a helper.") -> list[tuple[str, str]]:
    return [(f"src/pkg_{i}/module_{i}.py", change) for i in range(n)]


def test_walkthrough_is_open_up_to_ten_files_and_folded_past_that() -> None:
    ten = format_summary(SummaryData("a" * 40, walkthrough=_walk(10)), redactor=EMPTY_REDACTOR)
    assert "### Walkthrough" in ten and "<details>" not in ten
    assert "- `src/pkg_9/module_9.py` — Renames a helper." in ten
    many = format_summary(SummaryData("a" * 40, walkthrough=_walk(11)), redactor=EMPTY_REDACTOR)
    assert "<details>\n<summary>Walkthrough (11 files)</summary>" in many
    assert "- `src/pkg_10/module_10.py` — Renames a helper." in many


def test_risk_line_sits_near_the_top() -> None:
    data = SummaryData("a" * 40, overview=["Adds a cart."], risk="high", risk_reason="Money.")
    text = format_summary(data, redactor=EMPTY_REDACTOR)
    assert text.index("**Risk:** 🔴 high — Money.") < text.index("Adds a cart.")
    assert "**Risk:**" not in format_summary(SummaryData("a" * 40), redactor=EMPTY_REDACTOR)


def test_walkthrough_of_3000_files_stays_under_github_limit() -> None:
    data = SummaryData(
        head_sha="a" * 40,
        overview=["x" * 3000] * 50,
        walkthrough=_walk(3000, "y" * 400),
        not_posted=[NotPosted(F, "over the limit")] * 5000,
        skipped=[SkippedFile(f"dir/file_{i}.bin", "binary file") for i in range(20_000)],
        context_used=[f"scope src/f_{i}.py:1 fn_{i}" for i in range(3000)],
    )
    text = format_summary(data, redactor=EMPTY_REDACTOR)
    assert len(text) < GITHUB_BODY_LIMIT and text.startswith(SUMMARY_MARKER)
    assert "more files" in text and "Walkthrough (3000 files)" in text
    assert text.index("</details>", text.index("Walkthrough (3000 files)")) > 0  # closed


def test_llm_markup_in_a_walkthrough_line_is_neutralised() -> None:
    secret = "dotenv-only-secret-1234"
    change = f"Pings @octocat <script>alert(1)</script> {SUMMARY_MARKER} {secret}\n# Heading"
    data = SummaryData(
        "a" * 40,
        walkthrough=[("evil`` <b>.py", change)],
        risk="high",
        risk_reason=f"@admins <img src=x> {secret}",
    )
    text = format_summary(data, redactor=Redactor.of([secret]))
    assert text.count(SUMMARY_MARKER) == 1  # no forged marker
    assert "@octocat" not in text and "@admins" not in text  # nobody is notified
    assert "<script" not in text and "<img" not in text and "&lt;script" in text
    assert secret not in text and "[redacted]" in text
    assert "\n# Heading" not in text  # one line per file
