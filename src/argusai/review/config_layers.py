"""The effective review configuration: layers merged key by key (pure).

From the bottom: the defaults, the server's settings (``ARGUS_*``), the operator's
configuration in the database (global, then per installation, then per repository), the
organisation's ``.github`` repository's ``.argus.yml``, the repository's ``.argus.yml``.
A layer sets some keys; a key it does not set comes from the layers below. ``checks`` is
merged key by key too (``checks.secrets`` from one layer, ``checks.max_file_bytes`` from
another); every other key, lists included, is replaced whole by the highest layer that
sets it (a repository's ``exclude`` replaces the organisation's, it does not add to it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from argusai.review.repo_config import CHECK_KEYS, CONFIG_PATH, KEYS, RepoConfig
from argusai.settings import Settings

DEFAULT = "default"
SERVER = "server"


def operator_source(scope: str, target: str = "") -> str:
    """The label of an operator layer: ``operator (global)``, ``operator (repository o/r)``."""
    return f"operator ({scope}{' ' + target if target else ''})"


def organisation_source(owner: str) -> str:
    """The label of the organisation's layer."""
    return f"organisation ({owner}/.github {CONFIG_PATH})"


REPOSITORY = f"repository ({CONFIG_PATH})"


@dataclass(frozen=True)
class Layer:
    """The keys one source sets (validated, canonical names; ``checks`` a partial mapping)."""

    source: str
    values: dict[str, Any] = field(default_factory=dict)


def server_layer(settings: Settings) -> Layer:
    """The server's settings that a repository may override."""
    return Layer(
        SERVER,
        {
            "max_files": settings.max_files_per_review,
            "max_comments": settings.max_comments_per_review,
            "review_drafts": settings.review_drafts,
            "verify": settings.llm_verify,
        },
    )


def source_keys() -> list[str]:
    """Every key a source is recorded for (``checks`` as ``checks.<name>``)."""
    out: list[str] = []
    for key in KEYS:
        if key == "checks":
            out.extend(f"checks.{c}" for c in CHECK_KEYS)
        else:
            out.append(key)
    return out


def merge_layers(layers: Sequence[Layer]) -> tuple[RepoConfig, dict[str, str], list[str]]:
    """The config the layers make (later layers win, key by key), the layer each key came
    from (``source_keys``) and problems (a combination that does not validate falls back
    to the defaults for the keys concerned)."""
    merged: dict[str, Any] = {}
    sources = dict.fromkeys(source_keys(), DEFAULT)
    for layer in layers:
        for key, value in layer.values.items():
            if key == "checks" and isinstance(value, dict):
                merged.setdefault("checks", {}).update(value)
                sources.update({f"checks.{sub}": layer.source for sub in value})
            else:
                merged[key] = value
                sources[key] = layer.source
    try:
        return RepoConfig.model_validate(merged), sources, []
    except ValidationError as exc:  # each layer was valid alone: not expected
        bad = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        kept = {k: v for k, v in merged.items() if k not in bad}
        for key in sources:
            if key.split(".", 1)[0] in bad:
                sources[key] = DEFAULT
        problems = [f"`{key}`: the layers together are invalid (default used)" for key in bad]
        return RepoConfig.model_validate(kept), sources, problems


def _value(config: RepoConfig, key: str) -> Any:
    if key.startswith("checks."):
        return getattr(config.checks, key.removeprefix("checks."))
    value = getattr(config, key)
    if key == "path_instructions":
        return [pi.model_dump() for pi in value]
    return value


def value_text(value: Any, width: int = 80) -> str:
    """A value as JSON (which YAML reads too), cut to ``width`` characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def config_rows(
    config: RepoConfig, sources: dict[str, str], *, width: int = 80
) -> list[tuple[str, str, str]]:
    """(key, value, source) for every key, in the model's order: what ``argus config show``
    and ``@argus config`` print."""
    return [
        (key, value_text(_value(config, key), width), sources.get(key, DEFAULT))
        for key in source_keys()
    ]
