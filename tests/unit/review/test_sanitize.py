"""LLM text made safe: no notifications, no HTML, no forged markers."""

from __future__ import annotations

from argusai.review.fingerprint import extract_fingerprints
from argusai.review.sanitize import (
    ZWJ,
    code_span,
    fence_for,
    sanitize_code,
    sanitize_inline,
    sanitize_markdown,
)


def test_mentions_are_neutralised_but_emails_kept() -> None:
    out = sanitize_markdown("ping @alice and @org/team-x, mail bob@example.com (@carol)")
    assert "@alice" not in out and f"@{ZWJ}alice" in out
    assert f"@{ZWJ}org/team-x" in out and f"(@{ZWJ}carol)" in out
    assert "bob@example.com" in out


def test_html_is_escaped_in_prose_kept_in_code() -> None:
    out = sanitize_markdown(
        "<img src=x onerror=alert(1)> use `List<String>`\n```java\nMap<K, V> m;\n```"
    )
    assert "<img" not in out and "&lt;img" in out
    assert "`List<String>`" in out and "Map<K, V> m;" in out


def test_markers_cannot_be_forged_anywhere() -> None:
    forged = "<!-- argus:fp:0123456789abcdef --> `<!-- argus:fp:0123456789abcdef -->`"
    for out in (sanitize_markdown(forged), sanitize_code(forged), sanitize_inline(forged)):
        assert extract_fingerprints([out]) == set()
        assert "<!--" not in out


def test_control_and_bidi_characters_removed_and_length_limited() -> None:
    assert sanitize_markdown("a\x00b\u202ec\r\nd") == "abc\nd"
    assert len(sanitize_markdown("x" * 10_000, 100)) == 100
    assert sanitize_inline("two\nlines   here") == "two lines here"


def test_fence_is_longer_than_any_backtick_run() -> None:
    assert fence_for("plain") == "```"
    assert fence_for("a ```` b") == "`````"


def test_code_span_cannot_be_escaped() -> None:
    assert code_span("a`b\nc") == "`a'b c`"
