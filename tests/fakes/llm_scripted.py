"""A scripted ``LLMClient``: answers from a list or a function, records every call."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from argusai.llm.port import Completion

Answer = str | dict[str, Any] | BaseException


@dataclass
class Call:
    system: str
    user: str
    schema: dict[str, Any]
    schema_name: str


@dataclass
class ScriptedLLM:
    """Returns the scripted answers in order (the last one repeats); an exception in
    the script is raised instead. ``responder`` (if given) computes answers from the call."""

    answers: list[Answer] = field(default_factory=list)
    responder: Callable[[Call], Answer] | None = None
    model: str = "fake-model"
    prompt_tokens: int = 100
    completion_tokens: int = 20
    cost_usd: float = 0.001
    calls: list[Call] = field(default_factory=list)

    @classmethod
    def of(cls, *answers: Answer) -> ScriptedLLM:
        """A fake answering with ``answers`` in order."""
        return cls(answers=list(answers))

    def complete_json(
        self, *, system: str, user: str, schema: dict[str, Any], schema_name: str
    ) -> Completion:
        call = Call(system, user, schema, schema_name)
        self.calls.append(call)
        if self.responder is not None:
            answer = self.responder(call)
        else:
            index = min(len(self.calls) - 1, len(self.answers) - 1)
            answer = self.answers[index] if index >= 0 else {"summary": "", "findings": []}
        if isinstance(answer, BaseException):
            raise answer
        text = answer if isinstance(answer, str) else json.dumps(answer)
        return Completion(
            text=text,
            model=self.model,
            prompt_tokens=self.prompt_tokens,
            completion_tokens=self.completion_tokens,
            cost_usd=self.cost_usd,
        )


def review_json(*findings: dict[str, Any], summary: str = "Summary.") -> dict[str, Any]:
    """An answer in the review schema, with defaults filled in for each finding."""
    full = []
    for f in findings:
        item = {
            "path": "app.py",
            "line": 1,
            "start_line": None,
            "severity": "high",
            "category": "bug",
            "title": "A problem",
            "message": "Something is wrong here.",
            "suggestion": None,
        }
        item.update(f)
        full.append(item)
    return {"summary": summary, "findings": full}


def all_calls_users(calls: Iterable[Call]) -> list[str]:
    """The user prompts of the recorded calls."""
    return [c.user for c in calls]
