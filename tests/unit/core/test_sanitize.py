"""LLM text made safe: no notifications, no HTML, no forged markers."""

from __future__ import annotations

import pytest

from argusai.core.sanitize import (
    ZWJ,
    code_span,
    fence_for,
    sanitize_code,
    sanitize_inline,
    sanitize_markdown,
)
from argusai.core.secrets import REDACTED, Redactor
from argusai.review.fingerprint import extract_fingerprints


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


# ---- hostile LLM output (issue 3: prompt injection) -----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "[click](javascript:alert(document.cookie))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript :alert(1))",
        "[x](vbscript:msgbox) [y](data:text/html;base64,PHNjcmlwdD4=)",
        "[x](&#106;avascript:alert(1)) [y](java&#115;cript:alert(1))",
    ],
)
def test_script_links_are_broken(text: str) -> None:
    out = sanitize_markdown(text).lower()
    for scheme in ("javascript:", "vbscript:", "data:", "&#"):
        assert scheme not in out.replace(" ", "")


def test_ordinary_links_survive() -> None:
    out = sanitize_markdown("see [docs](https://example.com/a?b=c) and <https://x.org>")
    assert "[docs](https://example.com/a?b=c)" in out


def test_html_entities_cannot_spell_tags() -> None:
    out = sanitize_markdown("&lt;img src=x onerror=alert(1)&gt; &#60;script&#62;")
    assert "&lt;img" not in out.replace("&amp;lt;img", "")
    assert "&#60;" not in out


def test_foreign_suggestion_block_becomes_plain_code() -> None:
    out = sanitize_markdown("Do this:\n```suggestion\nos.system(cmd)\n```\nthanks")
    assert "suggestion" not in out
    assert "```text\nos.system(cmd)\n```" in out


def test_unclosed_fence_is_closed() -> None:
    out = sanitize_markdown("text\n````python\nprint(1)\n<!-- argus:summary -->")
    assert out.endswith("\n````")
    assert "<!--" not in out
    assert out.count("````") == 2


def test_token_shaped_secrets_are_redacted_in_prose_and_code() -> None:
    secrets = [
        "ghs_" + "a" * 36,
        "ghp_" + "B" * 36,
        "github_pat_" + "c" * 40,
        "sk-" + "d" * 40,
        "sk-ant-api03-" + "e" * 40,
        "AKIA" + "F" * 16,
        "xoxb-1234567890-abcdefghij",
    ]
    text = " ".join(secrets)
    for out in (sanitize_markdown(text), sanitize_code(text), sanitize_inline(text, 2000)):
        assert not any(s in out for s in secrets)
        assert REDACTED in out


def test_private_key_is_redacted_whole_or_by_lines(monkeypatch: pytest.MonkeyPatch) -> None:
    body = "MIIEowIBAAKCAQEAx" + "A" * 47
    pem = f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n"
    assert body not in sanitize_markdown(f"here:\n```\n{pem}```")
    monkeypatch.setenv("ARGUS_GITHUB_PRIVATE_KEY", pem)
    assert body not in sanitize_markdown(f"one line of it: {body}")


def test_environment_secrets_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ARGUS_GITHUB_WEBHOOK_SECRET", "whsec-not-a-token-shape")
    monkeypatch.setenv("MY_SERVICE_PASSWORD", "correct horse battery")
    monkeypatch.setenv("HOME_DIRECTORY_NAME", "not secret at all")  # name not secret-like
    out = sanitize_markdown(
        "env: whsec-not-a-token-shape, correct horse battery, not secret at all"
    )
    assert "whsec-not-a-token-shape" not in out and "correct horse battery" not in out
    assert "not secret at all" in out


def test_the_redactors_secrets_are_redacted_and_only_by_it() -> None:
    redactor = Redactor.of(["from-dotenv-secret-value", None, "short"])
    text = "x from-dotenv-secret-value y short"
    assert redactor.redact(text) == f"x {REDACTED} y short"
    for sanitize in (sanitize_markdown, sanitize_code, sanitize_inline, code_span):
        assert "from-dotenv-secret-value" not in sanitize(text, 200, redactor=redactor)
        assert "from-dotenv-secret-value" in sanitize(text, 200)  # the empty redactor


def test_a_private_key_given_to_the_redactor_is_redacted_by_lines() -> None:
    body = "MIIEowIBAAKCAQEAx" + "B" * 47
    redactor = Redactor.of(
        [f"-----BEGIN RSA PRIVATE KEY-----\\n{body}\\n-----END RSA PRIVATE KEY-----"]
    )
    assert body not in sanitize_markdown(f"one line of it: {body}", redactor=redactor)


def test_forged_markers_in_every_position() -> None:
    forged = "<!-- argus:summary --> <!-- argus:fp:0123456789abcdef -->"
    for out in (
        sanitize_markdown(forged),
        sanitize_markdown(f"`{forged}`"),
        sanitize_markdown(f"```\n{forged}\n```"),
        sanitize_inline(forged),
        sanitize_code(forged),
        code_span(forged),
    ):
        assert "<!--" not in out
        assert extract_fingerprints([out]) == set()
