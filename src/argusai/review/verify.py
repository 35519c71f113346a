"""The verification pass: a second call per chunk that must confirm each candidate finding.

False positives are what makes teams mute review bots; a second, cheaper pass that checks
every candidate against the code (BitsAI-CR's ReviewFilter) is what raises precision. Per
chunk, the LLM's findings at or above the repository's severity floor are sent in batches
of ``BATCH`` with the chunk's diff and code context; each needs a verdict that confirms it
*and* cites at least one line of its file shown in the chunk. Confirmed findings keep the
cited lines as evidence; the others are returned with the verifier's reason, to be listed
(not posted) in the summary. A finding without a verdict is not confirmed.

A verification call that fails (provider error, garbage twice) never costs the review: that
batch's findings stay, marked unverified, with a note. Deterministic findings never come
here (they are the plan's, not the LLM's). Pure: the LLM is handed in through the port.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from argusai.core.json_answer import json_candidates
from argusai.core.untrusted import quote_untrusted
from argusai.errors import LLMError, LLMTransientError
from argusai.llm.port import Completion, LLMClient
from argusai.prompts import environment
from argusai.review.models import Finding, NotPosted, Usage

SCHEMA_NAME = "argus_verify"
BATCH = 15  # candidates per call: the answer stays short, one bad batch loses little
MAX_EVIDENCE = 5
_MESSAGE_CHARS = 1200
_SUGGESTION_CHARS = 800
_REASON_CHARS = 300
_REPAIR = (
    "\n\nYour previous answer could not be used: {error}. Answer again with exactly one "
    'JSON object {{"verdicts": [...]}} matching the schema, nothing else.'
)


class LLMVerdict(BaseModel):
    """One verdict exactly as the model must write it."""

    model_config = ConfigDict(extra="ignore")

    id: int
    confirmed: bool
    evidence_lines: list[int] = Field(default_factory=list)
    reason: str = ""


class LLMVerification(BaseModel):
    model_config = ConfigDict(extra="ignore")

    verdicts: list[LLMVerdict]


def verify_json_schema() -> dict[str, Any]:
    """The answer's JSON schema, in OpenAI strict mode's shape."""
    verdict = {
        "type": "object",
        "properties": {
            "id": {"type": "integer", "description": "The candidate's id."},
            "confirmed": {"type": "boolean"},
            "evidence_lines": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "New-file line numbers of the candidate's file that show it.",
            },
            "reason": {"type": "string", "description": "One short sentence."},
        },
        "required": ["id", "confirmed", "evidence_lines", "reason"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {"verdicts": {"type": "array", "items": verdict}},
        "required": ["verdicts"],
        "additionalProperties": False,
    }


@dataclass
class Verified:
    """What the pass made of one chunk's candidates."""

    confirmed: list[Finding] = field(default_factory=list)
    rejected: list[NotPosted] = field(default_factory=list)
    unverified: list[Finding] = field(default_factory=list)  # the call failed: posted as is
    notes: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)


def _usage(completion: Completion) -> Usage:
    return Usage(
        prompt_tokens=completion.prompt_tokens,
        completion_tokens=completion.completion_tokens,
        cost_usd=completion.cost_usd,
        calls=1,
        models=[completion.model],
    )


def parse_verdicts(text: str) -> dict[int, LLMVerdict]:
    """Verdicts by candidate id (the first one wins); ValueError when there is no usable
    ``{"verdicts": [...]}`` object. A malformed verdict is skipped, not fatal."""
    for value in json_candidates(text):
        if not isinstance(value, dict) or not isinstance(value.get("verdicts"), list):
            continue
        out: dict[int, LLMVerdict] = {}
        for raw in value["verdicts"]:
            try:
                verdict = LLMVerdict.model_validate(raw)
            except ValidationError:
                continue
            out.setdefault(verdict.id, verdict)
        return out
    raise ValueError("no JSON object with a list of verdicts")


def _lines(f: Finding) -> str:
    return f"{f.start_line}-{f.line}" if f.start_line and f.start_line != f.line else str(f.line)


def render_prompts(
    *,
    language: str,
    repo: str,
    number: int,
    diff: str,
    context: str,
    candidates: list[Finding],
) -> tuple[str, str]:
    """(system, user) prompts asking for one verdict per candidate (ids = list positions)."""
    env = environment()
    system = env.get_template("review_verify_system.j2").render(language=language)
    user = env.get_template("review_verify_user.j2").render(
        repo=repo,
        number=number,
        candidates=[
            {
                "id": i,
                "path": quote_untrusted(f.path, 500),
                "lines": _lines(f),
                "severity": f.severity.value,
                "category": f.category.value,
                "title": quote_untrusted(" ".join(f.title.split()), 300),
                "message": quote_untrusted(f.message.strip(), _MESSAGE_CHARS),
                "suggestion": quote_untrusted(f.suggestion, _SUGGESTION_CHARS)
                if f.suggestion
                else "",
            }
            for i, f in enumerate(candidates)
        ],
        diff=diff,
        context=context,
    )
    return system, user


def _ask(llm: LLMClient, system: str, user: str, usage: Usage) -> dict[int, LLMVerdict]:
    schema = verify_json_schema()
    completion = llm.complete_json(system=system, user=user, schema=schema, schema_name=SCHEMA_NAME)
    usage.add(_usage(completion))
    try:
        return parse_verdicts(completion.text)
    except ValueError as err:
        completion = llm.complete_json(
            system=system,
            user=user + _REPAIR.format(error=err),
            schema=schema,
            schema_name=SCHEMA_NAME,
        )
        usage.add(_usage(completion))
        try:
            return parse_verdicts(completion.text)
        except ValueError as again:
            raise LLMError(f"unusable verification answer: {again}") from again


def verify_chunk(
    llm: LLMClient,
    *,
    candidates: list[Finding],
    shown_lines: dict[str, set[int]],
    language: str,
    repo: str,
    number: int,
    diff: str,
    context: str,
    part: int,
) -> Verified:
    """Check ``candidates`` of one chunk (part number ``part``, 1-based, for notes).

    ``shown_lines`` maps each file of the chunk to the new-file lines its diff shows: a
    confirmation must cite one of them for the finding's file to count."""
    out = Verified()
    for start in range(0, len(candidates), BATCH):
        batch = candidates[start : start + BATCH]
        system, user = render_prompts(
            language=language,
            repo=repo,
            number=number,
            diff=diff,
            context=context,
            candidates=batch,
        )
        try:
            verdicts = _ask(llm, system, user, out.usage)
        except (LLMError, LLMTransientError) as err:
            out.unverified.extend(batch)
            out.notes.append(
                f"part {part}: verification failed ({str(err)[:200]}); "
                f"{len(batch)} finding(s) posted unverified"
            )
            continue
        for i, finding in enumerate(batch):
            _judge(finding, verdicts.get(i), shown_lines.get(finding.path, set()), out)
    return out


def _judge(finding: Finding, verdict: LLMVerdict | None, shown: set[int], out: Verified) -> None:
    if verdict is None:
        out.rejected.append(NotPosted(finding, "not confirmed: the verifier gave no verdict"))
        return
    reason = " ".join(verdict.reason.split())[:_REASON_CHARS]
    if not verdict.confirmed:
        out.rejected.append(NotPosted(finding, f"not confirmed: {reason or 'no reason given'}"))
        return
    evidence = sorted({n for n in verdict.evidence_lines if n in shown})[:MAX_EVIDENCE]
    if not evidence:
        out.rejected.append(
            NotPosted(finding, "not confirmed: the verifier cited no line of the diff")
        )
        return
    out.confirmed.append(replace(finding, evidence=tuple(evidence)))
