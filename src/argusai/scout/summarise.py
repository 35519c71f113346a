"""Ask the LLM for a repository summary or an issue analysis (prompts are package files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from pydantic import BaseModel

from argusai.core.untrusted import quote_untrusted
from argusai.llm.port import Completion, LLMClient
from argusai.prompts import environment
from argusai.scout.summary_schema import (
    ISSUE_SCHEMA_NAME,
    REPO_SCHEMA_NAME,
    IssueAnalysis,
    RepoSummary,
    ScoutOutputError,
    issue_json_schema,
    parse_issue_analysis,
    parse_repo_summary,
    repo_json_schema,
)

SCOUT_PROMPT_VERSION = "scout-v1"
MAX_BODY_CHARS = 6000
MAX_FIELD_CHARS = 600
_REPAIR = (
    "\n\nYour previous answer could not be used ({error}). Answer again with one JSON "
    "object only, exactly matching the schema. Previous answer:\n<untrusted_previous>\n"
    "{previous}\n</untrusted_previous>"
)
M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class RepoFacts:
    """What the prompt says about a repository."""

    full_name: str
    description: str
    languages: dict[str, int]
    topics: list[str]
    stars: int
    label: str | None


@dataclass(frozen=True)
class IssueFacts:
    """What the prompt says about an issue (and its repository)."""

    full_name: str
    number: int
    title: str
    body: str
    labels: list[str]
    comments: int
    languages: dict[str, int]
    repo_summary: str


@dataclass(frozen=True)
class Answer:
    """A validated answer and what it cost (one or two calls)."""

    value: BaseModel
    model: str
    calls: int
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float


def _languages(languages: dict[str, int]) -> str:
    ranked = sorted(languages.items(), key=lambda kv: -kv[1])[:10]
    return ", ".join(f"{quote_untrusted(k, 40)} {v}" for k, v in ranked) or "unknown"


def render_repo(facts: RepoFacts) -> tuple[str, str]:
    """System and user prompt for a repository summary."""
    env = environment()
    user = env.get_template("scout_repo_user.j2").render(
        full_name=quote_untrusted(facts.full_name, 200),
        stars=facts.stars,
        label=quote_untrusted(facts.label, 100) if facts.label else None,
        languages=_languages(facts.languages),
        description=quote_untrusted(facts.description.strip(), MAX_FIELD_CHARS),
        topics=quote_untrusted(", ".join(facts.topics[:20]), MAX_FIELD_CHARS),
    )
    return env.get_template("scout_repo_system.j2").render(), user


def render_issue(facts: IssueFacts) -> tuple[str, str]:
    """System and user prompt for an issue analysis."""
    env = environment()
    user = env.get_template("scout_issue_user.j2").render(
        full_name=quote_untrusted(facts.full_name, 200),
        languages=_languages(facts.languages),
        number=facts.number,
        comments=facts.comments,
        repo_summary=quote_untrusted(facts.repo_summary, MAX_FIELD_CHARS),
        title=quote_untrusted(" ".join(facts.title.split()), 300),
        labels=quote_untrusted(", ".join(facts.labels[:20]), 400),
        body=quote_untrusted(facts.body.strip() or "(no description)", MAX_BODY_CHARS),
    )
    return env.get_template("scout_issue_system.j2").render(), user


def _ask(
    llm: LLMClient,
    prompts: tuple[str, str],
    schema: dict[str, Any],
    name: str,
    parse: Callable[[str], M],
) -> Answer:
    """One call, and one repair call when the answer is unusable; ScoutOutputError after."""
    system, user = prompts
    done: list[Completion] = [
        llm.complete_json(system=system, user=user, schema=schema, schema_name=name)
    ]
    try:
        value: BaseModel = parse(done[0].text)
    except ScoutOutputError as err:
        repair = user + _REPAIR.format(error=err, previous=quote_untrusted(done[0].text, 1500))
        done.append(llm.complete_json(system=system, user=repair, schema=schema, schema_name=name))
        try:
            value = parse(done[1].text)
        except ScoutOutputError as again:
            raise ScoutOutputError(f"unusable LLM answer after one repair: {again}") from None
    return Answer(
        value=value,
        model=done[-1].model,
        calls=len(done),
        prompt_tokens=sum(c.prompt_tokens for c in done),
        completion_tokens=sum(c.completion_tokens for c in done),
        cost_usd=sum(c.cost_usd for c in done),
    )


def summarise_repository(llm: LLMClient, facts: RepoFacts) -> Answer:
    """The LLM's summary of a repository (``Answer.value`` is a RepoSummary)."""
    return _ask(llm, render_repo(facts), repo_json_schema(), REPO_SCHEMA_NAME, parse_repo_summary)


def analyse_issue(llm: LLMClient, facts: IssueFacts) -> Answer:
    """The LLM's analysis of an issue (``Answer.value`` is an IssueAnalysis)."""
    return _ask(
        llm, render_issue(facts), issue_json_schema(), ISSUE_SCHEMA_NAME, parse_issue_analysis
    )


def stored(answer: Answer, metadata_hash: str | None) -> dict[str, Any]:
    """The JSON kept on the row: the answer plus the hash it was made for and its cost."""
    data: dict[str, Any] = json.loads(answer.value.model_dump_json())
    data.update(
        metadata_hash=metadata_hash,
        prompt_version=SCOUT_PROMPT_VERSION,
        model=answer.model,
        llm_calls=answer.calls,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        cost_usd=round(answer.cost_usd, 6),
    )
    return data


__all__ = [
    "SCOUT_PROMPT_VERSION",
    "Answer",
    "IssueAnalysis",
    "IssueFacts",
    "RepoFacts",
    "RepoSummary",
    "analyse_issue",
    "render_issue",
    "render_repo",
    "stored",
    "summarise_repository",
]
