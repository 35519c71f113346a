"""Answer text normalisation shared by the adapters."""

from __future__ import annotations

import json

import pytest

from argusai.errors import LLMError
from argusai.llm.backend import ChatRequest, json_text, schema_instructions


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('{"a": 1}', '{"a": 1}'),
        ('  {"a": 1}\n', '{"a": 1}'),
        ('```json\n{"a": 1}\n```', '{"a": 1}'),
        ("```\n[1, 2]\n```", "[1, 2]"),
        ("not json", "not json"),
        ("```json\n{broken\n```", "```json\n{broken\n```"),
    ],
)
def test_json_text(raw: str, expected: str) -> None:
    assert json_text(raw, provider="p", model="m") == expected


@pytest.mark.parametrize("raw", [None, "", "  \n "])
def test_empty_answers_are_errors(raw: str | None) -> None:
    with pytest.raises(LLMError, match="empty"):
        json_text(raw, provider="p", model="m")


def test_schema_instructions_embed_the_schema() -> None:
    schema = {"type": "object", "properties": {"x": {"type": "integer"}}}
    text = schema_instructions(ChatRequest("Be brief.", "u", schema, "thing"))
    assert text.startswith("Be brief.")
    assert json.dumps(schema, separators=(",", ":")) in text
    assert "'thing'" in text
