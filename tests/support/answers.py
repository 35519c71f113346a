"""What the fake LLM answers in review tests: findings in the review schema's shape."""

from __future__ import annotations

from typing import Any


def llm_finding(
    line: int,
    title: str,
    severity: str = "high",
    *,
    path: str = "app.py",
    category: str = "security",
    message: str | None = None,
    suggestion: str | None = None,
) -> dict[str, Any]:
    """One finding as the review prompt's JSON schema asks for it (single line)."""
    return {
        "path": path,
        "line": line,
        "start_line": None,
        "severity": severity,
        "category": category,
        "title": title,
        "message": message if message is not None else f"{title}: explain and fix.",
        "suggestion": suggestion,
    }
