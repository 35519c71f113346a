"""The repository's ``.argus.yml``: what to review and how, never raising on bad input."""

from __future__ import annotations

from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from argusai.review.models import Severity

CONFIG_PATH = ".argus.yml"
_MAX_CONFIG_BYTES = 64 * 1024


class PathInstruction(BaseModel):
    """Extra instructions for files matching a glob."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, max_length=500)
    instructions: str = Field(min_length=1, max_length=4000)


class ChecksConfig(BaseModel):
    """The deterministic checks (no tokens) and their settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    secrets: bool = True
    conflict_markers: bool = True
    large_files: bool = True
    #: an added file over this many bytes (or any binary file) is reported
    max_file_bytes: int = Field(default=1_000_000, ge=1)
    #: detect-secrets ``hashed_secret`` values never to report (SHA-1 hex)
    secrets_allowlist: list[str] = Field(default_factory=list, max_length=10_000)
    #: a detect-secrets baseline in the repository whose secrets are never reported
    secrets_baseline: str | None = Field(default=".secrets.baseline", max_length=500)

    @field_validator("secrets_allowlist")
    @classmethod
    def _sha1(cls, value: list[str]) -> list[str]:
        out = [h.strip().lower() for h in value]
        bad = [h for h in out if len(h) != 40 or any(c not in "0123456789abcdef" for c in h)]
        if bad:
            raise ValueError(f"not a SHA-1 hex value: {bad[0][:50]!r}")
        return out


class RepoConfig(BaseModel):
    """Per-repository review settings read from ``.argus.yml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    include: list[str] = Field(default_factory=list)  # empty = every file
    exclude: list[str] = Field(default_factory=list)
    path_instructions: list[PathInstruction] = Field(default_factory=list)
    instructions: str = Field(default="", max_length=8000)
    severity_threshold: Severity = Severity.LOW
    max_comments: int | None = Field(default=None, ge=0, le=200)
    language: str = Field(default="English", min_length=1, max_length=40)
    review_drafts: bool | None = None
    #: the "ArgusAI review" check run fails when a finding reaches this (none: neutral)
    fail_on: Severity | None = None
    #: the verification pass before posting (None: the server's ARGUS_LLM_VERIFY)
    verify: bool | None = None
    checks: ChecksConfig = Field(default_factory=ChecksConfig)

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _one_glob_is_a_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        return [] if value is None else value

    @field_validator("include", "exclude")
    @classmethod
    def _clean_globs(cls, value: list[str]) -> list[str]:
        return [g.strip() for g in value if g and g.strip()]

    @field_validator("severity_threshold", mode="before")
    @classmethod
    def _severity_any_case(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("fail_on", mode="before")
    @classmethod
    def _fail_on_any_case(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().lower()
            return None if value in {"", "none", "never", "off"} else value
        return None if value is False else value

    @field_validator("language")
    @classmethod
    def _plain_language(cls, value: str) -> str:
        value = " ".join(value.split())
        if not all(ch.isalpha() or ch in " -()" for ch in value):
            raise ValueError("a language name such as 'English' or 'Português'")
        return value


def _describe(err: ValidationError) -> list[str]:
    out = []
    for item in err.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        out.append(f"`{where}`: {item['msg']}")
    return out


def parse_repo_config(text: str | None) -> tuple[RepoConfig, str | None]:
    """Parse ``.argus.yml``; on any problem keep defaults for the bad parts and say why."""
    if text is None or not text.strip():
        return RepoConfig(), None
    if len(text.encode("utf-8", errors="replace")) > _MAX_CONFIG_BYTES:
        return RepoConfig(), f"{CONFIG_PATH} is larger than 64 KB; using defaults."
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return RepoConfig(), f"{CONFIG_PATH} is not valid YAML{where}; using defaults."
    except (RecursionError, ValueError) as exc:
        return RepoConfig(), f"{CONFIG_PATH} could not be read ({exc}); using defaults."
    if data is None:
        return RepoConfig(), None
    if not isinstance(data, dict):
        return RepoConfig(), f"{CONFIG_PATH} must be a mapping of keys; using defaults."
    data = {str(k): v for k, v in data.items()}
    problems: list[str] = []
    for _ in range(len(data) + 1):
        try:
            config = RepoConfig.model_validate(data)
        except ValidationError as exc:
            problems.extend(_describe(exc))
            bad = {str(item["loc"][0]) for item in exc.errors() if item["loc"]}
            if not bad & data.keys():
                return RepoConfig(), _message(problems)
            data = {k: v for k, v in data.items() if k not in bad}
            continue
        return config, _message(problems) if problems else None
    return RepoConfig(), _message(problems)


def _message(problems: list[str]) -> str:
    shown = "; ".join(problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return f"{CONFIG_PATH} has invalid settings, defaults used for them: {shown}{more}."
