"""The contract of the LLM's scout answers: pydantic models, strict JSON schemas, tolerant parsing.

LLM output is untrusted input: the parsers accept the usual drift (code fences, a
wrapping object, synonyms for keys and difficulty levels, a list written as one
string) and then validate; every text field is cleaned so that nothing rendered later
can notify anyone (``@user``), carry HTML, or forge a hidden marker.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from argusai.core.json_answer import json_candidates
from argusai.core.sanitize import neutralise_mentions, strip_control, truncate
from argusai.errors import LLMError

REPO_SCHEMA_NAME = "argus_scout_repository"
ISSUE_SCHEMA_NAME = "argus_scout_issue"
MAX_TEXT = 1200
MAX_ITEM = 160
MAX_ITEMS = 8


class Difficulty(StrEnum):
    BEGINNER = "beginner"
    INTERMEDIATE = "intermediate"
    ADVANCED = "advanced"


DIFFICULTY_ALIASES = {
    "easy": Difficulty.BEGINNER,
    "beginner-friendly": Difficulty.BEGINNER,
    "beginner friendly": Difficulty.BEGINNER,
    "good first issue": Difficulty.BEGINNER,
    "starter": Difficulty.BEGINNER,
    "trivial": Difficulty.BEGINNER,
    "simple": Difficulty.BEGINNER,
    "novice": Difficulty.BEGINNER,
    "medium": Difficulty.INTERMEDIATE,
    "moderate": Difficulty.INTERMEDIATE,
    "normal": Difficulty.INTERMEDIATE,
    "intermediate-level": Difficulty.INTERMEDIATE,
    "hard": Difficulty.ADVANCED,
    "difficult": Difficulty.ADVANCED,
    "expert": Difficulty.ADVANCED,
    "complex": Difficulty.ADVANCED,
}

_TAG = re.compile(r"<[^<>]{0,200}>")


class ScoutOutputError(LLMError):
    """The LLM's answer holds nothing usable for a scout summary or analysis."""


def clean_text(value: str, limit: int = MAX_TEXT) -> str:
    """Plain text safe to show anywhere: no control chars, tags, markers or live @mentions."""
    text = strip_control(value)
    text = _TAG.sub("", text)
    text = text.replace("<", "‹").replace(">", "›")
    text = neutralise_mentions(text)
    text = "\n".join(" ".join(line.split()) for line in text.strip().splitlines())
    return truncate(re.sub(r"\n{3,}", "\n\n", text), limit)


def _required_text(value: str) -> str:
    text = clean_text(value)
    if not text:
        raise ValueError("empty once cleaned")
    return text


def _clean_items(values: list[str]) -> list[str]:
    items = [clean_text(v, MAX_ITEM) for v in values]
    return [i for i in items if i][:MAX_ITEMS]


class RepoSummary(BaseModel):
    """What a newcomer wants to know about a repository."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(min_length=1)
    stack: list[str] = Field(default_factory=list)
    contributing: str = ""

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str) -> str:
        return _required_text(value)

    @field_validator("contributing")
    @classmethod
    def _text(cls, value: str) -> str:
        return clean_text(value)

    @field_validator("stack")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        return _clean_items(value)


class IssueAnalysis(BaseModel):
    """A plain-language reading of an issue for a first-time contributor."""

    model_config = ConfigDict(extra="ignore")

    summary: str = Field(min_length=1)
    difficulty: Difficulty
    skills: list[str] = Field(default_factory=list)
    first_steps: list[str] = Field(default_factory=list)

    @field_validator("summary")
    @classmethod
    def _summary(cls, value: str) -> str:
        return _required_text(value)

    @field_validator("skills", "first_steps")
    @classmethod
    def _items(cls, value: list[str]) -> list[str]:
        return _clean_items(value)


def _strings(description: str) -> dict[str, Any]:
    return {"type": "array", "items": {"type": "string"}, "description": description}


def repo_json_schema() -> dict[str, Any]:
    """JSON schema of ``RepoSummary`` in OpenAI strict mode (all required, no extras)."""
    return {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "What the project is, 2-3 sentences."},
            "stack": _strings("Main languages, frameworks and tools, short names."),
            "contributing": {
                "type": "string",
                "description": "How a newcomer starts contributing, 1-3 sentences.",
            },
        },
        "required": ["summary", "stack", "contributing"],
        "additionalProperties": False,
    }


def issue_json_schema() -> dict[str, Any]:
    """JSON schema of ``IssueAnalysis`` in OpenAI strict mode (all required, no extras)."""
    return {
        "type": "object",
        "properties": {
            "summary": {
                "type": "string",
                "description": "What the issue asks for, in plain language, 1-3 sentences.",
            },
            "difficulty": {"type": "string", "enum": [d.value for d in Difficulty]},
            "skills": _strings("Skills needed, short names."),
            "first_steps": _strings("2-4 concrete first steps."),
        },
        "required": ["summary", "difficulty", "skills", "first_steps"],
        "additionalProperties": False,
    }


def _unwrap(value: Any, keys: tuple[str, ...]) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        return None
    if "summary" in value or any(k in value for k in keys):
        return value
    for inner in ("analysis", "result", "output", "data", "repository", "issue"):
        nested = _unwrap(value.get(inner), keys)
        if nested is not None:
            return nested
    return None


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        parts = re.split(r"\n|;|,(?![^()]*\))", value)
        return [re.sub(r"^\s*(?:[-*•]|\d+[.)])\s*", "", p).strip() for p in parts if p.strip()]
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v) for v in value if v is not None]
    return [str(value)]


def _first(data: dict[str, Any], *keys: str) -> Any:
    return next((data[k] for k in keys if data.get(k) not in (None, "")), None)


def parse_repo_summary(text: str) -> RepoSummary:
    """Parse a repository summary; ScoutOutputError when nothing usable is in ``text``."""
    keys = ("stack", "tech_stack", "contributing", "description", "overview")
    for candidate in json_candidates(text or ""):
        data = _unwrap(candidate, keys)
        if data is None:
            continue
        fields = {
            "summary": _first(data, "summary", "description", "what", "overview"),
            "stack": _as_list(_first(data, "stack", "tech_stack", "technologies", "languages")),
            "contributing": _first(data, "contributing", "how_to_contribute", "getting_started")
            or "",
        }
        try:
            return RepoSummary.model_validate(fields)
        except ValidationError as exc:
            raise ScoutOutputError(f"repository summary invalid: {_first_error(exc)}") from None
    raise ScoutOutputError("the answer contains no JSON object with a `summary`")


def parse_issue_analysis(text: str) -> IssueAnalysis:
    """Parse an issue analysis; ScoutOutputError when nothing usable is in ``text``."""
    keys = ("difficulty", "level", "skills", "skills_needed", "first_steps", "plain_summary")
    for candidate in json_candidates(text or ""):
        data = _unwrap(candidate, keys)
        if data is None:
            continue
        raw = _first(data, "difficulty", "level", "difficulty_level")
        difficulty = raw.strip().lower() if isinstance(raw, str) else raw
        fields = {
            "summary": _first(data, "summary", "plain_summary", "plain_language_summary"),
            "difficulty": DIFFICULTY_ALIASES.get(str(difficulty), difficulty),
            "skills": _as_list(_first(data, "skills", "skills_needed", "required_skills")),
            "first_steps": _as_list(_first(data, "first_steps", "steps", "next_steps")),
        }
        try:
            return IssueAnalysis.model_validate(fields)
        except ValidationError as exc:
            raise ScoutOutputError(f"issue analysis invalid: {_first_error(exc)}") from None
    raise ScoutOutputError("the answer contains no JSON object with `summary` and `difficulty`")


def _first_error(exc: ValidationError) -> str:
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg', 'invalid')}"[:200]
