"""Tolerant parsing of the LLM's answer, and the strict-mode schema."""

from __future__ import annotations

import json
from typing import Any

import pytest

from argusai.errors import LLMError
from argusai.review.models import Category, Severity
from argusai.review.parse import ReviewOutputError, parse_review_output
from argusai.review.schema import LLMReview, review_json_schema

GOOD = {
    "summary": "Adds a cache.",
    "findings": [
        {
            "path": "a.py",
            "line": 12,
            "start_line": 10,
            "severity": "high",
            "category": "bug",
            "title": "Off by one",
            "message": "The loop skips the last item.",
            "suggestion": "for i in range(n + 1):",
        }
    ],
}


def test_plain_json() -> None:
    parsed = parse_review_output(json.dumps(GOOD))
    (f,) = parsed.findings
    assert parsed.summary == "Adds a cache."
    assert (f.path, f.start_line, f.line, f.severity, f.category) == (
        "a.py",
        10,
        12,
        Severity.HIGH,
        Category.BUG,
    )


def test_fenced_block_after_prose() -> None:
    text = "Sure! Here is my review:\n```json\n" + json.dumps(GOOD) + "\n```\nHope it helps."
    assert len(parse_review_output(text).findings) == 1


def test_object_inside_prose_without_fence() -> None:
    text = "Review follows. " + json.dumps(GOOD) + " Thanks."
    assert parse_review_output(text).summary == "Adds a cache."


def test_one_bad_finding_is_dropped_not_the_answer() -> None:
    bad: list[Any] = [
        {
            "path": "a.py",
            "line": "x",
            "severity": "high",
            "category": "bug",
            "title": "t",
            "message": "m",
        },
        {
            "path": "a.py",
            "line": 3,
            "severity": "apocalyptic",
            "category": "bug",
            "title": "t",
            "message": "m",
        },
        "not an object",
    ]
    data = {"summary": "s", "findings": [*bad, *GOOD["findings"]]}
    parsed = parse_review_output(json.dumps(data))
    assert len(parsed.findings) == 1 and parsed.dropped == 3 and len(parsed.problems) == 3


def test_aliases_are_mapped() -> None:
    item = {
        "file": "b.py",
        "line": "7",
        "severity": "Warning",
        "category": "maintainability",
        "body": "Long function.\nSplit it.",
    }
    parsed = parse_review_output(json.dumps({"summary": "", "comments": [item]}))
    (f,) = parsed.findings
    assert (f.path, f.line, f.severity, f.category, f.title) == (
        "b.py",
        7,
        Severity.MEDIUM,
        Category.QUALITY,
        "Long function.",
    )


def test_unknown_category_becomes_quality_and_reversed_range_is_fixed() -> None:
    item = {**GOOD["findings"][0], "category": "whatever", "start_line": 20, "line": 12}  # type: ignore[dict-item]
    (f,) = parse_review_output(json.dumps({"summary": "", "findings": [item]})).findings
    assert f.category is Category.QUALITY and (f.start_line, f.line) == (12, 20)


def test_bare_list_of_findings() -> None:
    assert len(parse_review_output(json.dumps(GOOD["findings"])).findings) == 1


@pytest.mark.parametrize("text", ["", "I found no problems.", "{not json", '{"foo": 1}', "[1, 2]"])
def test_nothing_usable_raises(text: str) -> None:
    with pytest.raises(ReviewOutputError) as info:
        parse_review_output(text)
    assert isinstance(info.value, LLMError)


def test_schema_is_openai_strict_compatible() -> None:
    schema = review_json_schema()

    def check(node: dict[str, Any]) -> None:
        if node.get("type") == "object":
            assert node["additionalProperties"] is False
            assert set(node["required"]) == set(node["properties"])
        for value in node.get("properties", {}).values():
            check(value)
        if "items" in node:
            check(node["items"])
        for option in node.get("anyOf", []):
            check(option)

    check(schema)
    finding = schema["properties"]["findings"]["items"]["properties"]
    assert {"type": "null"} in finding["start_line"]["anyOf"]
    assert finding["severity"]["enum"] == [s.value for s in Severity]
    LLMReview.model_validate(GOOD)


def test_praise_is_not_a_finding() -> None:
    items = [
        {**GOOD["findings"][0], "title": "Looks good!", "message": "Nice refactor."},  # type: ignore[dict-item]
        {**GOOD["findings"][0], "title": "LGTM", "message": "No issues."},  # type: ignore[dict-item]
        GOOD["findings"][0],
    ]
    parsed = parse_review_output(json.dumps({"summary": "s", "findings": items}))
    assert [f.title for f in parsed.findings] == ["Off by one"] and parsed.dropped == 2
