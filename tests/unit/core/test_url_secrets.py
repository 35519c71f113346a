"""The secret pieces of a channel URL: what logs and stored errors must never show."""

from __future__ import annotations

from argusai.core.url_secrets import url_secret_parts


def test_slack_tokens_including_the_host_part_as_written() -> None:
    parts = url_secret_parts("slack://T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7")
    assert {"T1JJ3T3L2", "A1BRTD4JD", "TIiajkdnlazkcOXrIdevi7"} <= set(parts)


def test_smtp_password_and_webhook_path_and_query_keys() -> None:
    assert "s3cr3tpass" in url_secret_parts("mailtos://ops:s3cr3tpass@smtp.example.com?to=a@b.c")
    parts = url_secret_parts("https://hooks.example.com/in/abcdef123456?token=qwertyuiop")
    assert {"abcdef123456", "qwertyuiop"} <= set(parts)
    assert "hooks.example.com" not in parts  # a server's name is not a secret


def test_short_words_are_not_secrets() -> None:
    assert url_secret_parts("https://example.com/a/b") == ["https://example.com/a/b"]
