"""What the comment and the prompt say about the passing run and the failing tests' history."""

from __future__ import annotations

from typing import Any

from argusai.ci.format import (
    JobAnalysis,
    RunInfo,
    failure_comment,
    prompt_context,
    recurrence_sentence,
)
from argusai.core.secrets import EMPTY_REDACTOR

RUN = RunInfo(42, 1, "CI", "b" * 40, "failure", "https://github.com/o/r/actions/runs/42")


def job(**extra: Any) -> JobAnalysis:
    return JobAnalysis(
        job_id=1,
        job_name="test",
        explanation={"root_cause": "assert 3 == 4", "suggested_fix": "Fix.", "evidence": []},
        **extra,
    )


def compared(new: list[str], how: str = "base branch") -> dict[str, Any]:
    return {
        "run_id": 7,
        "attempt": 1,
        "job_id": 70,
        "html_url": "https://github.com/o/r/actions/runs/7/job/70",
        "branch": "main",
        "how": how,
        "comparison": {
            "new_blocks": len(new),
            "known_blocks": 3,
            "new_lines": [{"line": 100 - i, "text": t} for i, t in enumerate(new)],
            "passing_lines": 900,
        },
    }


def test_the_sentence() -> None:
    r = {"name": "t", "failures": 4, "passed_on_rerun": 2, "days": 7, "branch": "main"}
    assert recurrence_sentence(r) == (
        "failed 4 times in the last 7 days on main, passed on re-run 2 times — likely flaky"
    )
    once = {**r, "failures": 2, "passed_on_rerun": 0, "branch": None}
    assert (
        recurrence_sentence(once) == "failed 2 times in the last 7 days, passed on re-run 0 times"
    )


def test_new_lines_are_shown_in_log_order_and_names_as_code() -> None:
    body = failure_comment(
        RUN,
        [
            job(
                compared_with=compared(["E   assert 3 == 4", "FAILED t.py::test_x"]),
                history=[
                    {
                        "kind": "test",
                        "name": "t.py::test_x @team",
                        "failures": 3,
                        "passed_on_rerun": 1,
                        "days": 7,
                        "branch": "main",
                    }
                ],
            )
        ],
        redactor=EMPTY_REDACTOR,
    )
    block = body.split("New since the last passing run", 1)[1]
    assert block.index("FAILED t.py::test_x") < block.index("E   assert 3 == 4")  # line 99, 100
    assert "[run 7](https://github.com/o/r/actions/runs/7/job/70) on `main`" in body
    assert (
        "- `t.py::test_x @team` failed 3 times in the last 7 days on `main`, passed on re-run "
        "once — likely flaky." in body
    )


def test_nothing_new_is_said_too() -> None:
    body = failure_comment(
        RUN, [job(compared_with=compared([], how="earlier attempt"))], redactor=EMPTY_REDACTOR
    )
    assert "Compared with the last passing run** (attempt 1 of this run): no error line is new" in (
        body
    )


def test_the_prompt_context() -> None:
    assert prompt_context(job()) is None
    text = prompt_context(
        job(
            compared_with=compared(["FAILED t.py::test_x"]),
            history=[{"name": "t.py::test_x", "failures": 2, "passed_on_rerun": 1, "days": 7}],
        )
    )
    assert text is not None
    assert "Compared with the last passing run of this job (run 7 on main)" in text
    assert "line 100: FAILED t.py::test_x" in text
    assert "- t.py::test_x: failed 2 times in the last 7 days, passed on re-run once" in text
