"""What a pull request means to do, beyond its diff: the issues it closes and the
repository's contribution guide. Pure: the job fetches, this module chooses and cuts.

Closing references follow GitHub's keywords (``close(s|d)``, ``fix(es|ed)``,
``resolve(s|d)``, followed by ``#N`` or ``owner/repo#N`` of the same repository); at most
``MAX_ISSUES`` are used. The guide's excerpt prefers the sections about code style,
conventions, reviews and tests, then the guide's start, within ``MAX_GUIDANCE_CHARS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from argusai.core.tokens import count_tokens
from argusai.core.untrusted import quote_untrusted

MAX_ISSUES = 3
MAX_ISSUE_CHARS = 1_200  # per issue: title and the start of its body
MAX_GUIDANCE_CHARS = 1_600
#: where a contribution guide usually lives (checked in this order)
GUIDE_PATHS = ("CONTRIBUTING.md", ".github/CONTRIBUTING.md", "docs/CONTRIBUTING.md")

_CLOSING = re.compile(
    r"(?i)\b(?:close[sd]?|fix(?:e[sd])?|resolve[sd]?)\s*:?\s+"
    r"(?:(?P<repo>[\w.-]+/[\w.-]+))?#(?P<number>\d{1,9})\b"
)
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$", re.MULTILINE)
_USEFUL = re.compile(
    r"(?i)style|convention|coding|code|review|lint|format|test|guideline|standard|naming"
)


@dataclass(frozen=True)
class LinkedIssue:
    """An issue the pull request says it closes."""

    number: int
    title: str
    body: str


def closing_refs(body: str, repo: str) -> list[int]:
    """Issue numbers ``body`` closes in ``repo`` (``owner/name``), in order, deduplicated."""
    out: dict[int, None] = {}
    for m in _CLOSING.finditer(body or ""):
        other = m.group("repo")
        if other and other.lower() != repo.lower():
            continue
        out.setdefault(int(m.group("number")), None)
    return list(out)[:MAX_ISSUES]


def guidance_excerpt(text: str, limit: int = MAX_GUIDANCE_CHARS) -> str:
    """The parts of a contribution guide a reviewer needs, at most ``limit`` characters:
    sections whose heading is about style, conventions, reviews or tests first, then the
    guide's opening; "…" marks cuts."""
    text = text.replace("\r\n", "\n").strip()
    if len(text) <= limit:
        return text
    starts = [m.start() for m in _HEADING.finditer(text)]
    bounds = list(zip([0, *starts], [*starts, len(text)], strict=True))
    sections = [text[a:b].strip() for a, b in bounds if text[a:b].strip()]
    useful = [s for s in sections if _USEFUL.search(s.split("\n", 1)[0])]
    chosen = [*useful, *(s for s in sections if s not in useful)]
    out: list[str] = []
    used = 0
    for section in chosen:
        room = limit - used
        if room < 80:
            break
        piece = section if len(section) <= room else section[: room - 2].rstrip() + " …"
        out.append(piece)
        used += len(piece) + 2
    return "\n\n".join(out)


def render_issues(issues: list[LinkedIssue]) -> str:
    """The issues as prompt text (each cut to ``MAX_ISSUE_CHARS``), "" when there are none."""
    parts = []
    for issue in issues[:MAX_ISSUES]:
        title = " ".join(issue.title.split())
        text = f"#{issue.number} {title}\n{issue.body.strip()}".strip()
        parts.append(quote_untrusted(text, MAX_ISSUE_CHARS))
    return "\n\n".join(parts)


def intent_tokens(issues_text: str, guidance: str) -> int:
    """Tokens the two blocks add to every prompt of the review (with their delimiters)."""
    extra = 0
    if issues_text:
        extra += count_tokens(issues_text) + 40
    if guidance:
        extra += count_tokens(guidance) + 40
    return extra
