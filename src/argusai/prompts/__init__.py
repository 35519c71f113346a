"""Prompt templates (Jinja2) shipped with the package; bump the version when they change."""

from __future__ import annotations

import functools
from importlib import resources

import jinja2

PROMPT_VERSION = "review-v3"  # v2: walkthrough and risk; v3: the verification pass


@functools.cache
def environment() -> jinja2.Environment:
    """Every ``*.j2`` template of this package, read once on first use (plain-text prompts)."""
    package = resources.files(__name__)
    templates = {
        entry.name: entry.read_text(encoding="utf-8")
        for entry in package.iterdir()
        if entry.name.endswith(".j2")
    }
    return jinja2.Environment(
        loader=jinja2.DictLoader(templates),
        autoescape=False,  # noqa: S701 - plain-text prompts, not HTML
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
