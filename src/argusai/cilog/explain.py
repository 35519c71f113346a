"""Ask the LLM why a CI job failed, from a reduced log: root cause, step, evidence, fix.

The log is untrusted: it is quoted inside ``<untrusted_…>`` delimiters, the answer is
parsed tolerantly (one repair call when it is unusable), evidence lines are kept only when
they really appear in the excerpt, and every text is sanitised before anyone shows it.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from argusai.cilog.reduce import Reduction
from argusai.core.json_answer import json_candidates
from argusai.core.sanitize import sanitize_code, sanitize_inline, sanitize_markdown
from argusai.core.secrets import Redactor
from argusai.core.untrusted import quote_untrusted
from argusai.errors import LLMError
from argusai.llm.port import Completion, LLMClient
from argusai.prompts import environment

PROMPT_VERSION = "ci-explain-v2"
SCHEMA_NAME = "argus_ci_explanation"
MAX_EXCERPT_CHARS = 80_000
MAX_CONTEXT_CHARS = 6_000
MAX_EVIDENCE = 8
_MIN_PARTIAL = 12  # a quoted fragment shorter than this could match almost any line
_CONFIDENCE = ("low", "medium", "high")
_CONFIDENCE_ALIASES = {"certain": "high", "likely": "medium", "moderate": "medium", "unsure": "low"}
_LINE_NUMBER = re.compile(r"^\s*(?:L?\d{1,7}\s*[:|]\s+)")
_REPAIR = (
    "\n\nYour previous answer could not be used ({error}). Answer again with one JSON "
    "object only, exactly matching the schema. Previous answer:\n<untrusted_previous>\n"
    "{previous}\n</untrusted_previous>"
)

Confidence = Literal["low", "medium", "high"]


class ExplainOutputError(LLMError):
    """The LLM's answer held no usable explanation, even after one repair call."""


class ExplanationUsage(BaseModel):
    """What the explanation cost."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    model: str = ""
    calls: int = 0


class Explanation(BaseModel):
    """Why a CI job failed, safe to show (sanitised, evidence checked against the log)."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "root_cause": "test_total fails: assert 3 == 4 in tests/test_cart.py.",
                    "failing_step": "Run pytest -q",
                    "evidence": ["E   assert 3 == 4"],
                    "suggested_fix": "Fix `Cart.total()` to include the shipping line.",
                    "confidence": "high",
                    "usage": {
                        "prompt_tokens": 812,
                        "completion_tokens": 96,
                        "cost_usd": 0.00018,
                        "model": "gpt-4o-mini",
                        "calls": 1,
                    },
                    "prompt_version": PROMPT_VERSION,
                }
            ]
        }
    )

    root_cause: str
    failing_step: str | None = None
    evidence: list[str] = Field(default_factory=list)
    suggested_fix: str
    confidence: Confidence = "low"
    usage: ExplanationUsage = Field(default_factory=ExplanationUsage)
    prompt_version: str = PROMPT_VERSION


class _Answer(BaseModel):
    """The LLM's raw answer, before checking and sanitising."""

    model_config = ConfigDict(extra="ignore")

    root_cause: str = Field(min_length=1)
    failing_step: str | None = None
    evidence: list[str] = Field(default_factory=list)
    suggested_fix: str = ""
    confidence: Confidence = "low"


def explanation_json_schema() -> dict[str, Any]:
    """The answer's JSON schema in OpenAI strict mode (all required, no extra keys)."""
    return {
        "type": "object",
        "properties": {
            "root_cause": {"type": "string", "description": "Why the job failed, 1-3 sentences."},
            "failing_step": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "evidence": {
                "type": "array",
                "items": {"type": "string", "description": "A log line copied verbatim."},
            },
            "suggested_fix": {"type": "string", "description": "What to change; markdown."},
            "confidence": {"type": "string", "enum": list(_CONFIDENCE)},
        },
        "required": ["root_cause", "failing_step", "evidence", "suggested_fix", "confidence"],
        "additionalProperties": False,
    }


def render_prompts(
    reduction: Reduction,
    *,
    workflow_name: str | None = None,
    job_name: str | None = None,
    context: str | None = None,
) -> tuple[str, str]:
    """System and user prompt for one reduced log (``context``: what is known beyond the
    log — what is new since the last passing run, the failing tests' history)."""
    env = environment()
    user = env.get_template("ci_explain_user.j2").render(
        workflow_name=quote_untrusted(" ".join(workflow_name.split()), 200)
        if workflow_name
        else "",
        job_name=quote_untrusted(" ".join(job_name.split()), 200) if job_name else "",
        failing_step=quote_untrusted(reduction.failing_step, 300) if reduction.failing_step else "",
        exit_code=reduction.exit_code,
        excerpt=quote_untrusted(reduction.excerpt.rstrip("\n"), MAX_EXCERPT_CHARS),
        context=quote_untrusted(context.strip(), MAX_CONTEXT_CHARS) if context else "",
    )
    return env.get_template("ci_explain_system.j2").render(), user


def _answer_object(value: Any) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    if any(k in value for k in ("root_cause", "rootCause", "cause")):
        return value
    for inner in ("explanation", "analysis", "result", "output", "data"):
        nested = _answer_object(value.get(inner))
        if nested is not None:
            return nested
    return None


def parse_answer(text: str) -> _Answer:
    """Read an answer tolerantly (aliases, nesting, fences); ExplainOutputError if unusable."""
    for candidate in json_candidates(text or ""):
        found = _answer_object(candidate)
        if found is None:
            continue
        data = dict(found)
        data["root_cause"] = data.get("root_cause") or data.get("rootCause") or data.get("cause")
        fix = data.get("suggested_fix") or data.get("suggestedFix") or data.get("fix") or ""
        data["suggested_fix"] = fix if isinstance(fix, str) else str(fix)
        step = data.get("failing_step", data.get("failingStep"))
        data["failing_step"] = step if isinstance(step, str) and step.strip() else None
        evidence = data.get("evidence") or []
        if isinstance(evidence, str):
            evidence = evidence.splitlines()
        data["evidence"] = (
            [e for e in evidence if isinstance(e, str)] if isinstance(evidence, list) else []
        )
        conf = str(data.get("confidence") or "low").strip().lower()
        conf = _CONFIDENCE_ALIASES.get(conf, conf)
        data["confidence"] = conf if conf in _CONFIDENCE else "low"
        if not isinstance(data["root_cause"], str) or not data["root_cause"].strip():
            raise ExplainOutputError("`root_cause` is missing or empty")
        try:
            return _Answer.model_validate(data)
        except ValidationError as exc:
            raise ExplainOutputError(str(exc).splitlines()[0][:200]) from None
    raise ExplainOutputError("the answer contains no JSON object with `root_cause`")


def _norm(line: str) -> str:
    return " ".join(line.split())


def checked_evidence(evidence: list[str], excerpt: str, limit: int = MAX_EVIDENCE) -> list[str]:
    """The evidence lines that really are in the excerpt (the excerpt's own text, deduped)."""
    lines = [
        ln for ln in excerpt.splitlines() if ln.strip() and not ln.startswith(("[argus:", "[… "))
    ]
    exact = {_norm(ln): ln for ln in lines}
    kept: list[str] = []
    for item in evidence:
        for quoted in item.splitlines() or [item]:
            wanted = _norm(_LINE_NUMBER.sub("", quoted))
            if not wanted:
                continue
            line = exact.get(wanted)
            if line is None and len(wanted) >= _MIN_PARTIAL:
                line = next((ln for ln in lines if wanted in _norm(ln)), None)
            if line is not None and line not in kept:
                kept.append(line)
            if len(kept) >= limit:
                return kept
    return kept


def _finish(
    answer: _Answer, reduction: Reduction, done: list[Completion], redactor: Redactor
) -> Explanation:
    step = answer.failing_step or reduction.failing_step
    evidence = checked_evidence(answer.evidence, reduction.excerpt)
    return Explanation(
        root_cause=sanitize_markdown(answer.root_cause.strip(), 2000, redactor=redactor),
        failing_step=sanitize_inline(step, 200, redactor=redactor) if step else None,
        evidence=[sanitize_code(ln, 500, redactor=redactor) for ln in evidence],
        suggested_fix=sanitize_markdown(answer.suggested_fix.strip(), 4000, redactor=redactor),
        confidence=answer.confidence,
        usage=ExplanationUsage(
            prompt_tokens=sum(c.prompt_tokens for c in done),
            completion_tokens=sum(c.completion_tokens for c in done),
            cost_usd=round(sum(c.cost_usd for c in done), 6),
            model=done[-1].model,
            calls=len(done),
        ),
    )


def explain(
    llm: LLMClient,
    reduction: Reduction,
    *,
    workflow_name: str | None = None,
    job_name: str | None = None,
    context: str | None = None,
    redactor: Redactor,
) -> Explanation:
    """Explain a reduced CI log; LLM errors propagate, ExplainOutputError after one repair.

    ``context`` is what is known beyond the log (see :func:`render_prompts`). Every text of
    the explanation is sanitised, its secrets redacted by ``redactor``."""
    system, user = render_prompts(
        reduction, workflow_name=workflow_name, job_name=job_name, context=context
    )
    schema = explanation_json_schema()
    done = [llm.complete_json(system=system, user=user, schema=schema, schema_name=SCHEMA_NAME)]
    try:
        answer = parse_answer(done[0].text)
    except ExplainOutputError as err:
        repair = user + _REPAIR.format(error=err, previous=quote_untrusted(done[0].text, 1500))
        done.append(
            llm.complete_json(system=system, user=repair, schema=schema, schema_name=SCHEMA_NAME)
        )
        try:
            answer = parse_answer(done[1].text)
        except ExplainOutputError as again:
            raise ExplainOutputError(f"unusable LLM answer after one repair: {again}") from None
    return _finish(answer, reduction, done, redactor)
