"""Render the review prompts from the package's Jinja2 templates (pure functions); the user
prompt from the repository's own template when its config carries one (``prompt_template``)."""

from __future__ import annotations

from typing import Any

import structlog

from argusai.core.tokens import count_tokens
from argusai.core.untrusted import quote_untrusted
from argusai.prompts import PROMPT_VERSION as TEMPLATES_VERSION
from argusai.prompts import environment
from argusai.review.chunk import Chunk
from argusai.review.globs import matches
from argusai.review.prompt_template import TemplateError, render_template
from argusai.review.repo_config import PathInstruction, RepoConfig

__all__ = ["PROMPT_VERSION", "prompt_overhead", "prompt_version", "render_system", "render_user"]

# Bump when what the context engine (``review.context``) puts in a prompt changes: the
# version is part of the review cache key, so a cached review never outlives its rules.
CONTEXT_RULES_VERSION = "context-v1"
PROMPT_VERSION = f"{TEMPLATES_VERSION}+{CONTEXT_RULES_VERSION}"

MAX_TITLE_CHARS = 300
MAX_BODY_CHARS = 4000
# and in tokens: 4,000 characters of Chinese or digits are far more than 1,000 tokens
MAX_TITLE_TOKENS = 100
MAX_BODY_TOKENS = 1_100

log = structlog.get_logger(__name__)


def cut_to_tokens(text: str, max_tokens: int) -> str:
    """``text`` shortened (with a marker) until it counts at most ``max_tokens`` tokens."""
    tokens = count_tokens(text)
    if tokens <= max_tokens:
        return text
    original = len(text)
    while tokens > max_tokens and text:
        text = text[: int(len(text) * max_tokens / tokens * 0.9)]
        tokens = count_tokens(text)
    return f"{text}\n[… {original - len(text)} more characters cut]"


def prompt_version(config: RepoConfig) -> str:
    """``PROMPT_VERSION``, plus the repository's own template when it has one
    (``review-v3+context-v1+tpl-1a2b3c4d``): what the summary and the review row show."""
    if config.template is None:
        return PROMPT_VERSION
    return f"{PROMPT_VERSION}+tpl-{config.template.sha[:8]}"


def render_system(language: str) -> str:
    """The system prompt, asking for comments in ``language``."""
    return environment().get_template("review_system.j2").render(language=language)


def instructions_for(paths: list[str], config: RepoConfig) -> list[PathInstruction]:
    """The ``path_instructions`` whose glob matches a file of the chunk."""
    return [pi for pi in config.path_instructions if any(matches(p, [pi.path]) for p in paths)]


# Upper bound for the PR title + description once cut to MAX_TITLE/BODY_CHARS, plus the
# template's own text (prose averages ~4 characters per token; this leaves margin).
_CONTEXT_RESERVE = 1_600


def prompt_overhead(config: RepoConfig) -> int:
    """Tokens a prompt needs besides the diff (system prompt, PR text, instructions)."""
    extra = config.instructions + "".join(
        pi.path + pi.instructions for pi in config.path_instructions
    )
    # a custom template's own text, on top of the reserve the package's template fits in
    own = count_tokens(config.template.source) if config.template else 0
    return (
        count_tokens(render_system(config.language)) + count_tokens(extra) + own + _CONTEXT_RESERVE
    )


def render_user(
    *,
    repo: str,
    number: int,
    title: str,
    body: str,
    chunk: Chunk,
    part_count: int,
    config: RepoConfig,
    context: str = "",
    linked_issues: str = "",
    guidance: str = "",
) -> str:
    """The user prompt for one chunk: PR context, maintainers' instructions, the diff, then
    the code context (enclosing scopes, definitions used) when there is any."""
    notes = []
    if chunk.has_split_hunk:
        notes.append(
            "A hunk too large for one request was split at line boundaries; "
            "this part shows only some of its lines."
        )
    if any(p.truncated_lines for p in chunk.pieces):
        notes.append("Some very long lines were cut; '[… chars cut]' marks where.")
    slots: dict[str, Any] = {
        "repo": repo,
        "number": number,
        "part": chunk.index + 1,
        "part_count": part_count,
        "title": cut_to_tokens(
            quote_untrusted(" ".join(title.split()), MAX_TITLE_CHARS), MAX_TITLE_TOKENS
        ),
        "body": cut_to_tokens(quote_untrusted(body.strip(), MAX_BODY_CHARS), MAX_BODY_TOKENS),
        "instructions": quote_untrusted(config.instructions.strip()),
        "path_instructions": [
            PathInstruction(path=pi.path, instructions=quote_untrusted(pi.instructions))
            for pi in instructions_for(chunk.files, config)
        ],
        "notes": notes,
        "diff": quote_untrusted(chunk.render()),
        "context": quote_untrusted(context.strip()),
        "linked_issues": quote_untrusted(linked_issues.strip()),
        "guidance": quote_untrusted(guidance.strip()),
    }
    if config.template is not None:
        custom = dict(slots)
        custom["path_instructions"] = [pi.model_dump() for pi in slots["path_instructions"]]
        try:
            return render_template(config.template, custom)
        except TemplateError as exc:
            # it passed the same checks on a sample when loaded: this diff is what differs
            log.warning(
                "prompt template failed; the default used for this part",
                template=config.template.origin,
                error=str(exc)[:300],
            )
    return environment().get_template("review_user.j2").render(**slots)
