"""Reading what a comment asks of ArgusAI (``review.conversation.commands``)."""

from __future__ import annotations

import pytest

from argusai.review.conversation.commands import Name, parse_comment


@pytest.mark.parametrize(
    ("body", "name", "text"),
    [
        ("@argusai review", Name.REVIEW, ""),
        ("@ArgusAI  Review.", Name.REVIEW, ""),
        ("/argus full review", Name.FULL_REVIEW, ""),
        ("@argusai full-review", Name.FULL_REVIEW, ""),
        ("@argusai pause", Name.PAUSE, ""),
        ("/argus resume!", Name.RESUME, ""),
        ("@argusai help", Name.HELP, ""),
        ("@argusai", Name.HELP, ""),
        ("@argusai config", Name.CONFIG, ""),
        ("@argusai[bot] explain", Name.EXPLAIN, ""),
        ("@argusai ignore", Name.IGNORE, ""),
        ("@argusai ignore everywhere", Name.IGNORE_EVERYWHERE, ""),
        ("@argusai ignore everywhere `src/**/*.py`", Name.IGNORE_EVERYWHERE, "src/**/*.py"),
        ("@argusai, why is this a bug?", Name.ASK, "why is this a bug?"),
        ("@argusai review the locking here?", Name.ASK, "review the locking here?"),
        ("Thanks!\n\n@argusai review", Name.REVIEW, ""),
        ("@argusai what does\nthis do?", Name.ASK, "what does\nthis do?"),
    ],
)
def test_commands(body: str, name: Name, text: str) -> None:
    parsed = parse_comment(body, slug="argusai", in_thread=False)
    assert parsed is not None
    assert (parsed.name, parsed.text) == (name, text)


@pytest.mark.parametrize(
    "body",
    [
        "looks good to me",
        "@bob review please",
        "thanks @argusai review",  # not at the start of a line
        "> @argusai review\n\nquoting the command above",
        "```\n@argusai review\n```",
        "/argusreview",
        "",
    ],
)
def test_not_for_us(body: str) -> None:
    assert parse_comment(body, slug="argusai", in_thread=False) is None


def test_addressing_is_recorded() -> None:
    slash = parse_comment("/argus help", slug="argusai", in_thread=False)
    mention = parse_comment("@ArgusAI help", slug="argusai", in_thread=False)
    assert slash is not None and slash.addressed == "slash"
    assert mention is not None and mention.addressed == "mention:argusai"
    assert mention.mention == "argusai"


def test_without_a_known_slug_any_opening_mention_is_a_candidate() -> None:
    parsed = parse_comment("@bob review", slug=None, in_thread=False)
    assert parsed is not None and parsed.mention == "bob" and parsed.name is Name.REVIEW


def test_a_reply_in_a_thread_is_a_question() -> None:
    parsed = parse_comment("Why is this unsafe?", slug="argusai", in_thread=True)
    assert parsed is not None
    assert (parsed.name, parsed.text, parsed.addressed) == (
        Name.ASK,
        "Why is this unsafe?",
        "thread",
    )


def test_a_reply_to_someone_else_in_a_thread_is_not() -> None:
    assert parse_comment("@bob I agree with the bot", slug="argusai", in_thread=True) is None
    assert parse_comment("> quoted only", slug="argusai", in_thread=True) is None


def test_a_command_in_a_thread_is_a_command() -> None:
    parsed = parse_comment("@argusai ignore", slug="argusai", in_thread=True)
    assert parsed is not None and parsed.name is Name.IGNORE


def test_questions_are_bounded() -> None:
    parsed = parse_comment("@argusai " + "x" * 10_000, slug="argusai", in_thread=False)
    assert parsed is not None and len(parsed.text) == 4000
