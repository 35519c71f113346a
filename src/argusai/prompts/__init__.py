"""Prompt templates (Jinja2) shipped with the package; bump the version when they change."""

PROMPT_VERSION = "review-v1"
