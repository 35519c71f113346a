"""The repository's ``.argus.yml``: what to review and how, never raising on bad input.

A file is read as a *layer*: the keys it sets, validated, under their canonical names
(the seeds' names are aliases). ``review.config_layers`` merges the layers key by key;
``parse_repo_config`` reads one file over the defaults.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    computed_field,
    field_validator,
)

from argusai.review.globs import expand_braces
from argusai.review.models import Severity
from argusai.review.prompt_template import PromptTemplate

CONFIG_PATH = ".argus.yml"
_MAX_CONFIG_BYTES = 64 * 1024
#: the seeds' key names (camelCase, as in their KV example) → ours
ALIASES = {
    "maxFilesPerPR": "max_files",
    "maxLinesPerFile": "max_lines_per_file",
    "filePatterns": "include",
    "ignorePatterns": "exclude",
    "reviewPromptTemplate": "prompt_template",
}


def _check_globs(globs: list[str]) -> list[str]:
    for glob in globs:
        expand_braces(glob)  # ValueError past the limit
    return globs


class PathInstruction(BaseModel):
    """Extra instructions for files matching a glob."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1, max_length=500)
    instructions: str = Field(min_length=1, max_length=4000)

    @field_validator("path")
    @classmethod
    def _braces(cls, value: str) -> str:
        return _check_globs([value])[0]


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
    """The review settings of a repository (``.argus.yml`` over the layers below it).

    The prompt template a review uses travels with it (``with_template``): not a setting
    of its own, but ``prompt_template_sha`` is dumped, so it is part of the review cache key.
    """

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
    #: files reviewed by the LLM at most (None: the server's ARGUS_MAX_FILES_PER_REVIEW)
    max_files: int | None = Field(default=None, ge=1, le=3000)
    #: a file whose diff adds and removes more lines than this is not reviewed (None: any)
    max_lines_per_file: int | None = Field(default=None, ge=1, le=1_000_000)
    #: ``.argus/prompts/<name>.j2`` of the repository or the organisation's ``.github``
    prompt_template: str | None = Field(
        default=None, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
    )

    _template: PromptTemplate | None = PrivateAttr(default=None)

    @computed_field  # type: ignore[prop-decorator]  # pydantic's documented pattern
    @property
    def prompt_template_sha(self) -> str | None:
        """The hash of the custom template the review uses (None: the package's)."""
        return self._template.sha if self._template else None

    @property
    def template(self) -> PromptTemplate | None:
        """The custom user-prompt template, once ``config_sources`` has found and checked it."""
        return self._template

    def with_template(self, template: PromptTemplate | None) -> RepoConfig:
        """This config with ``template`` as its user-prompt template."""
        out = self.model_copy()
        out._template = template
        return out

    @field_validator("prompt_template", mode="before")
    @classmethod
    def _template_name(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip().removesuffix(".j2")
            return value or None
        return value

    @field_validator("include", "exclude", mode="before")
    @classmethod
    def _one_glob_is_a_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [value]
        return [] if value is None else value

    @field_validator("include", "exclude")
    @classmethod
    def _clean_globs(cls, value: list[str]) -> list[str]:
        return _check_globs([g.strip() for g in value if g and g.strip()])

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


#: the settings a file may give (the computed hash is not one of them)
KEYS = tuple(RepoConfig.model_fields)
CHECK_KEYS = tuple(ChecksConfig.model_fields)


def _describe(err: ValidationError) -> list[str]:
    out = []
    for item in err.errors():
        where = ".".join(str(p) for p in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            out.append(f"unknown key `{where}` (ignored)")
        else:
            out.append(f"`{where}`: {item['msg']} (ignored)")
    return out


def _drop(data: dict[str, Any], loc: tuple[int | str, ...]) -> bool:
    """Remove what ``loc`` points at, or the nearest container of it that exists (a missing
    required field drops its item); False when nothing could be removed."""
    node: Any = data
    parent: Any = None
    key: int | str | None = None
    for part in loc:
        present = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        )
        if not present:
            break
        parent, key, node = node, part, node[part]
    if parent is None or key is None:
        return False
    del parent[key]
    return True


def canonical_keys(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """``data`` with the seeds' key names (``maxFilesPerPR`` …) under ours; a key given
    under both names keeps ours, with a problem saying so."""
    out = {str(k): v for k, v in data.items() if str(k) not in ALIASES}
    problems = []
    for alias, name in ALIASES.items():
        if alias not in data:
            continue
        if name in out:
            problems.append(f"`{alias}` and `{name}` both set; `{name}` used")
        else:
            out[name] = data[alias]
    return out, problems


def validate_layer(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The keys ``data`` sets that are valid (canonical names, JSON values; ``checks`` only
    with the keys it sets) and a problem for each one dropped."""
    work, problems = canonical_keys(data)
    work = copy.deepcopy(work)
    for _ in range(200):  # each round drops at least one thing; bounded all the same
        try:
            config = RepoConfig.model_validate(work)
        except ValidationError as exc:
            found = _describe(exc)
            dropped = [_drop(work, tuple(item["loc"])) for item in exc.errors()]
            problems.extend(found)
            if not any(dropped):
                return {}, problems
            continue
        layer = config.model_dump(mode="json", include=set(config.model_fields_set))
        if "checks" in layer:
            layer["checks"] = config.checks.model_dump(
                mode="json", include=set(config.checks.model_fields_set)
            )
        return layer, problems
    return {}, [*problems, "too many invalid settings (ignored)"]


def read_layer(text: str | None) -> tuple[dict[str, Any], list[str]]:
    """The settings a YAML config file gives (see ``validate_layer``) and its problems; a
    file that cannot be read at all gives none."""
    if text is None or not text.strip():
        return {}, []
    if len(text.encode("utf-8", errors="replace")) > _MAX_CONFIG_BYTES:
        return {}, ["larger than 64 KB (ignored)"]
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return {}, [f"not valid YAML{where} (ignored)"]
    except (RecursionError, ValueError) as exc:
        return {}, [f"could not be read ({exc}) (ignored)"]
    if data is None:
        return {}, []
    if not isinstance(data, dict):
        return {}, ["must be a mapping of keys (ignored)"]
    return validate_layer(data)


def problem_message(source: str, problems: list[str]) -> str | None:
    """``source: problem; problem.`` (the first ten), or None without problems."""
    if not problems:
        return None
    shown = "; ".join(problems[:10])
    more = f" (and {len(problems) - 10} more)" if len(problems) > 10 else ""
    return f"{source}: {shown}{more}."


def parse_repo_config(text: str | None) -> tuple[RepoConfig, str | None]:
    """Parse ``.argus.yml`` over the defaults; bad parts are left out, and said why."""
    layer, problems = read_layer(text)
    try:
        config = RepoConfig.model_validate(layer)
    except ValidationError:  # each key was valid alone: never expected
        return RepoConfig(), problem_message(CONFIG_PATH, [*problems, "invalid (ignored)"])
    return config, problem_message(CONFIG_PATH, problems)
