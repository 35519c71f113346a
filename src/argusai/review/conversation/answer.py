"""Answers in the conversation: the prompt (the question with the hunk, the file, the PR and
the thread), one LLM call for a JSON ``{"answer": …}``, one repair. No I/O but the LLM port.

Every piece of context is quoted as untrusted and cut to its share of the token budget, so
a long file or thread never pushes the question out of the prompt.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from argusai.core.json_answer import json_candidates
from argusai.core.tokens import count_tokens
from argusai.core.untrusted import quote_untrusted
from argusai.errors import LLMError
from argusai.llm.port import Completion, LLMClient
from argusai.prompts import environment
from argusai.review.chunk import render_line
from argusai.review.diff import parse_hunks
from argusai.review.models import Usage
from argusai.review.prompt import cut_to_tokens

SCHEMA_NAME = "argus_answer"
#: bump when the conversation templates change (stored with each answer's command row)
ANSWER_PROMPT_VERSION = "answer-v1"
EXCERPT_RADIUS = 40  # lines of the file shown on each side of the commented line
_REPAIR = (
    "\n\nYour previous answer could not be used: {error}. Answer again with exactly one JSON "
    'object {{"answer": "<markdown>"}}, nothing else.'
)

TASK_EXPLAIN = (
    "Explain your earlier comment in more depth, using the code above: what exactly is wrong, "
    "in which situation it goes wrong, why it matters, and how to fix it (with code when it "
    "helps). The reader's words, if any:"
)
TASK_ASK = "Answer this question from {asker}:"


def answer_schema() -> dict[str, Any]:
    """The JSON schema of an answer (OpenAI strict mode)."""
    return {
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": False,
    }


@dataclass(frozen=True)
class Question:
    """A question (or ``explain``) with everything it is answered from."""

    repo: str
    number: int
    question: str
    asker: str
    explain: bool = False
    in_thread: bool = False
    title: str = ""
    body: str = ""
    language: str = "English"
    path: str = ""
    line: int | None = None
    finding: str = ""  # our earlier comment, markers removed
    patch: str = ""  # the file's patch in the PR: the hunk around ``line`` is quoted
    file_text: str | None = None  # the file at the head commit
    diff: str = ""  # the PR's diff (conversation questions, no file in focus)
    diff_note: str = ""
    thread: str = ""  # "@user: text" lines, oldest first


@dataclass(frozen=True)
class Answer:
    """The answer's markdown (untrusted: sanitise before posting) and its cost."""

    text: str
    usage: Usage


def hunk_around(patch: str, line: int | None) -> str:
    """The hunk of ``patch`` holding new-file ``line`` (the first hunk when unknown),
    numbered as the review prompt numbers it."""
    hunks = parse_hunks(patch)
    if not hunks:
        return ""
    chosen = hunks[0]
    if line is not None:
        for hunk in hunks:
            if any(ln.new_no == line for ln in hunk.lines):
                chosen = hunk
                break
    return "\n".join([chosen.header, *(render_line(ln)[0] for ln in chosen.lines)])


def excerpt(text: str, line: int | None, radius: int = EXCERPT_RADIUS) -> tuple[str, int, int]:
    """Numbered lines of ``text`` around ``line`` (the start of the file when None)."""
    lines = text.split("\n")
    centre = line if line is not None else 1
    start = max(1, centre - radius)
    end = min(len(lines), centre + radius)
    shown = [f"{n:>6} {lines[n - 1]}" for n in range(start, end + 1)]
    return "\n".join(shown), start, end


def _fit(text: str, tokens: int) -> str:
    return cut_to_tokens(quote_untrusted(text.strip()), max(tokens, 50)) if text.strip() else ""


def render(q: Question, budget: int) -> tuple[str, str]:
    """(system, user) prompts for ``q`` within about ``budget`` tokens."""
    env = environment()
    system = env.get_template("conversation_system.j2").render(
        in_thread=q.in_thread, language=q.language
    )
    room = max(budget - count_tokens(system) - 400, 1000)
    excerpt_text, first, last = ("", 0, 0)
    if q.file_text:
        excerpt_text, first, last = excerpt(q.file_text, q.line)
    hunk = hunk_around(q.patch, q.line) if q.patch else ""
    task = TASK_EXPLAIN if q.explain else TASK_ASK.format(asker=q.asker)
    user = env.get_template("conversation_user.j2").render(
        repo=q.repo,
        number=q.number,
        title=_fit(" ".join(q.title.split()), 100),
        body=_fit(q.body, room // 8),
        path=q.path,
        line=q.line,
        finding=_fit(q.finding, room // 8),
        hunk=_fit(hunk, room // 5),
        excerpt=_fit(excerpt_text, room // 4),
        excerpt_start=first,
        excerpt_end=last,
        diff=_fit(q.diff, room // 2),
        diff_note=q.diff_note,
        thread=_fit(q.thread, room // 8),
        task=task,
        question=_fit(q.question, room // 8) or "(no further words)",
    )
    return system, user


def parse_answer(text: str) -> str:
    """The ``answer`` of the model's JSON; LLMError when there is none."""
    for value in json_candidates(text):
        answer = value.get("answer") if isinstance(value, dict) else None
        if isinstance(answer, str) and answer.strip():
            return answer.strip()
    raise LLMError("the answer is not a JSON object with a non-empty `answer`")


def _usage(c: Completion) -> Usage:
    return Usage(c.prompt_tokens, c.completion_tokens, c.cost_usd, 1, [c.model])


def ask(llm: LLMClient, q: Question, budget: int) -> Answer:
    """Ask the LLM; one repair when the answer is not usable (then LLMError)."""
    system, user = render(q, budget)
    schema = answer_schema()
    usage = Usage()
    completion = llm.complete_json(system=system, user=user, schema=schema, schema_name=SCHEMA_NAME)
    usage.add(_usage(completion))
    try:
        return Answer(parse_answer(completion.text), usage)
    except LLMError as err:
        repair = user + _REPAIR.format(error=err)
        completion = llm.complete_json(
            system=system, user=repair, schema=schema, schema_name=SCHEMA_NAME
        )
        usage.add(_usage(completion))
        return Answer(parse_answer(completion.text), usage)
