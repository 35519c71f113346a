"""The verification pass on its own: verdicts read tolerantly, batches, evidence rules."""

from __future__ import annotations

from typing import Any

import pytest

from argusai.errors import LLMError
from argusai.review.models import Category, Finding, Severity
from argusai.review.verify import BATCH, SCHEMA_NAME, parse_verdicts, verify_chunk
from tests.fakes.llm_scripted import Call, ScriptedLLM


def finding(line: int, title: str = "Bug") -> Finding:
    return Finding("a.py", line, Severity.HIGH, Category.BUG, title, f"{title} here.")


def run(llm: ScriptedLLM, candidates: list[Finding], shown: set[int] | None = None) -> Any:
    return verify_chunk(
        llm,
        candidates=candidates,
        shown_lines={"a.py": shown if shown is not None else set(range(1, 100))},
        language="English",
        repo="o/r",
        number=1,
        diff="### File: a.py\n@@ -1 +1 @@\n     1 +x = 1",
        context="",
        part=1,
    )


def test_verdicts_are_read_from_prose_and_fences_first_wins() -> None:
    text = (
        "Sure:\n```json\n"
        '{"verdicts": [{"id": 0, "confirmed": true, "evidence_lines": [3], "reason": "a"}, '
        '{"id": 0, "confirmed": false, "reason": "b"}, {"id": "x"}]}\n```'
    )
    verdicts = parse_verdicts(text)
    assert list(verdicts) == [0] and verdicts[0].confirmed and verdicts[0].evidence_lines == [3]
    with pytest.raises(ValueError):
        parse_verdicts('{"findings": []}')


def test_confirmed_with_evidence_kept_others_rejected_with_reason() -> None:
    def answer(call: Call) -> dict[str, Any]:
        assert call.schema_name == SCHEMA_NAME
        assert "[id 0] a.py:5" in call.user and "[id 2] a.py:7" in call.user
        return {
            "verdicts": [
                {"id": 0, "confirmed": True, "evidence_lines": [5, 6, 500], "reason": "ok"},
                {"id": 1, "confirmed": False, "evidence_lines": [], "reason": "  made\n up "},
            ]
        }

    out = run(ScriptedLLM(responder=answer), [finding(5), finding(6), finding(7)], {5, 6, 7})
    assert [(f.line, f.evidence) for f in out.confirmed] == [(5, (5, 6))]
    assert [(r.finding.line, r.reason) for r in out.rejected] == [
        (6, "not confirmed: made up"),
        (7, "not confirmed: the verifier gave no verdict"),
    ]
    assert out.usage.calls == 1 and out.unverified == []


def test_candidates_go_in_batches() -> None:
    llm = ScriptedLLM(responder=lambda call: {"verdicts": []})
    out = run(llm, [finding(n) for n in range(1, BATCH + 3)])
    assert len(llm.calls) == 2
    assert len(out.rejected) == BATCH + 2


def test_a_failed_batch_is_posted_unverified_with_a_note() -> None:
    llm = ScriptedLLM.of(LLMError("provider said no"))
    out = run(llm, [finding(1), finding(2)])
    assert [f.line for f in out.unverified] == [1, 2] and out.confirmed == []
    assert out.notes == [
        "part 1: verification failed (provider said no); 2 finding(s) posted unverified"
    ]
