"""Markdown ArgusAI posts: inline comments, the summary comment, the short review body.

Everything from the LLM passes through ``sanitize`` with the redactor handed in (the
runtime's: it knows the settings' secrets); every body stays under GitHub's
65,536-character limit (long lists end with "… and N more").
"""

from __future__ import annotations

from dataclasses import dataclass, field

from argusai.core.sanitize import (
    code_span,
    fence_for,
    sanitize_code,
    sanitize_inline,
    sanitize_markdown,
    truncate,
)
from argusai.core.secrets import Redactor
from argusai.review.fingerprint import marker
from argusai.review.models import ChunkFailure, Finding, NotPosted, Severity, SkippedFile, Usage

SUMMARY_MARKER = "<!-- argus:summary -->"
GITHUB_BODY_LIMIT = 65_536
_SAFE_LIMIT = 64_000
HEADER = "🤖 **ArgusAI Review**"
CHECK_MARK = "**Source:** deterministic check (no LLM)"
SEVERITY_EMOJI = {
    Severity.CRITICAL: "🔴",
    Severity.HIGH: "🟠",
    Severity.MEDIUM: "🟡",
    Severity.LOW: "🔵",
    Severity.INFO: "⚪",
}


def format_comment(finding: Finding, fp: str, *, redactor: Redactor) -> str:
    """The body of one inline review comment, ending with its hidden fingerprint."""
    emoji = SEVERITY_EMOJI[finding.severity]
    parts = [
        f"{HEADER} · {emoji} **{sanitize_inline(finding.title, redactor=redactor)}**",
        sanitize_markdown(finding.message, 4000, redactor=redactor),
        f"**Severity:** {finding.severity.value} · **Category:** {finding.category.value}"
        + (f" · {CHECK_MARK}" if finding.source == "check" else "")
        + (f" · {_evidence(finding.evidence)}" if finding.evidence else ""),
    ]
    if finding.suggestion:
        code = sanitize_code(finding.suggestion, redactor=redactor).rstrip("\n")
        fence = fence_for(code)
        parts.append(f"{fence}suggestion\n{code}\n{fence}")
    parts.append(marker(fp))
    return "\n\n".join(parts)


def _evidence(lines: tuple[int, ...]) -> str:
    cited = ", ".join(str(n) for n in lines)
    return f"✔️ verified (line{'s' if len(lines) > 1 else ''} {cited})"


def severity_counts_line(counts: dict[Severity, int]) -> str:
    """``🔴 1 critical · 🟠 2 high`` (severities with zero findings are left out)."""
    shown = [f"{SEVERITY_EMOJI[s]} {counts[s]} {s.value}" for s in Severity if counts.get(s)]
    return " · ".join(shown) if shown else "no findings"


def format_review_body(inline_count: int, counts: dict[Severity, int]) -> str:
    """The short body of the review that carries the inline comments."""
    plural = "s" if inline_count != 1 else ""
    return (
        f"{HEADER}: {inline_count} comment{plural} ({severity_counts_line(counts)}). "
        "The summary comment on this pull request has the details."
    )


def bounded_list(items: list[str], limit: int) -> list[str]:
    """As many items as fit in ``limit`` characters, then ``… and N more``."""
    out: list[str] = []
    used = 0
    for i, item in enumerate(items):
        if used + len(item) + 1 > limit and out:
            out.append(f"- … and {len(items) - i} more")
            break
        out.append(truncate(item, limit))
        used += len(item) + 1
    return out


@dataclass
class SummaryData:
    """Everything the summary comment reports."""

    head_sha: str
    overview: list[str] = field(default_factory=list)
    counts: dict[Severity, int] = field(default_factory=dict)
    inline_count: int = 0
    not_posted: list[NotPosted] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    failed: list[ChunkFailure] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    config_error: str | None = None
    base_sha: str | None = None
    incremental_base: str | None = None
    already_posted: int = 0
    suppressed: int = 0  # findings kept out by suppression rules (``ignore``)
    chunk_count: int = 0
    prompt_version: str = ""
    context_used: list[str] = field(default_factory=list)  # "scope path:12 name", …
    context_left_out: list[str] = field(default_factory=list)
    context_notes: list[str] = field(default_factory=list)  # plain text, from the fetch side
    walkthrough: list[tuple[str, str]] = field(default_factory=list)  # (path, change), LLM text
    risk: str | None = None  # "low" | "medium" | "high"
    risk_reason: str = ""  # LLM text
    verified: bool = False  # the verification pass ran
    rejected: list[NotPosted] = field(default_factory=list)  # findings it did not confirm
    verify_usage: Usage = field(default_factory=Usage)
    verify_notes: list[str] = field(default_factory=list)


RISK_EMOJI = {"low": "🟢", "medium": "🟡", "high": "🔴"}
# Past this many files the walkthrough is folded; past the budget its lines are dropped.
WALKTHROUGH_OPEN_MAX = 10
WALKTHROUGH_BUDGET = 15_000


def _risk_line(data: SummaryData, redactor: Redactor) -> list[str]:
    if data.risk not in RISK_EMOJI:
        return []
    line = f"**Risk:** {RISK_EMOJI[data.risk]} {data.risk}"
    reason = sanitize_inline(data.risk_reason, 300, redactor=redactor)
    return [line + (f" — {reason}" if reason else ""), ""]


def _walkthrough_section(data: SummaryData, redactor: Redactor) -> list[str]:
    """One line per described file (path → change); folded when long, cut to the budget."""
    if not data.walkthrough:
        return []
    lines: list[str] = []
    used = 0
    for i, (path, change) in enumerate(data.walkthrough):
        item = (
            f"- {code_span(path, 200, redactor=redactor)} — "
            f"{sanitize_inline(change, 300, redactor=redactor)}"
        )
        if used + len(item) + 1 > WALKTHROUGH_BUDGET:
            lines.append(f"- … {len(data.walkthrough) - i} more files")
            break
        lines.append(item)
        used += len(item) + 1
    count = len(data.walkthrough)
    if count <= WALKTHROUGH_OPEN_MAX:
        return ["### Walkthrough", "", *lines, ""]
    head = f"Walkthrough ({count} files)"
    return ["<details>", f"<summary>{head}</summary>", "", *lines, "", "</details>", ""]


def _not_posted_line(item: NotPosted, redactor: Redactor) -> str:
    f = item.finding
    where = f"{f.path}:{f.start_line}-{f.line}" if f.start_line else f"{f.path}:{f.line}"
    emoji = SEVERITY_EMOJI[f.severity]
    title = sanitize_inline(f.title, 160, redactor=redactor)
    message = sanitize_inline(f.message, 300, redactor=redactor)
    where_span = code_span(where, redactor=redactor)
    check = " · deterministic check" if f.source == "check" else ""
    return f"- {emoji} {where_span} **{title}** — {message} _({item.reason}{check})_"


def _context_item(label: str, redactor: Redactor) -> str:
    kind, _, rest = label.partition(" ")
    where, _, name = rest.partition(" ")
    shortened = name.endswith(" (shortened)")
    name = name.removesuffix(" (shortened)")
    text = f"- {kind} {code_span(name or where, 200, redactor=redactor)}"
    text += f" ({code_span(where, 300, redactor=redactor)})" if name else ""
    return text + (" — signature only" if shortened else "")


def _context_section(data: SummaryData, redactor: Redactor) -> list[str]:
    """One collapsed section: the code the prompts quoted, what the budget left out, notes."""
    if not (data.context_used or data.context_left_out or data.context_notes):
        return []
    files = {u.partition(" ")[2].partition(" ")[0].rsplit(":", 1)[0] for u in data.context_used}
    head = (
        f"Code context: {len(data.context_used)} block(s) from {len(files)} file(s)"
        f"; {len(data.context_left_out)} left out for the token budget"
    )
    if data.context_notes:
        head += f"; {len(data.context_notes)} note(s)"
    out = ["<details>", f"<summary>{head}</summary>", ""]
    if data.context_notes:
        notes = [f"- {sanitize_inline(n, 400, redactor=redactor)}" for n in data.context_notes]
        out += ["**Notes**", "", *bounded_list(notes, 3000), ""]
    if data.context_used:
        used = [_context_item(u, redactor) for u in data.context_used]
        out += ["**Used**", "", *bounded_list(used, 6000), ""]
    if data.context_left_out:
        left = [_context_item(x, redactor) for x in data.context_left_out]
        out += ["**Left out for the budget**", "", *bounded_list(left, 3000), ""]
    return [*out, "</details>", ""]


def _rejected_section(data: SummaryData, redactor: Redactor) -> list[str]:
    """Collapsed: the findings the verification pass did not confirm, and its notes."""
    if not (data.rejected or data.verify_notes):
        return []
    head = f"Not posted: {len(data.rejected)} finding(s) not confirmed by verification"
    out = ["<details>", f"<summary>{head}</summary>", ""]
    if data.verify_notes:
        notes = [f"- {sanitize_inline(n, 400, redactor=redactor)}" for n in data.verify_notes]
        out += [*bounded_list(notes, 3000), ""]
    if data.rejected:
        lines = [_not_posted_line(n, redactor) for n in data.rejected]
        out += [*bounded_list(lines, 12000), ""]
    return [*out, "</details>", ""]


def _footer(data: SummaryData, redactor: Redactor) -> str:
    sha = sanitize_code(data.head_sha[:12], 40, redactor=redactor)
    if data.incremental_base:
        scope = f"new commits `{data.incremental_base[:12]}..{sha}`"
    else:
        scope = f"`{sha}`"
    u = data.usage
    models = ", ".join(sanitize_inline(m, 80, redactor=redactor) for m in u.models)
    models = models or "no model called"
    verify = ""
    if data.verified:
        v = data.verify_usage
        verify = (
            f" · verification: {v.calls} call(s), "
            f"{v.prompt_tokens + v.completion_tokens:,} tokens, ≈ ${v.cost_usd:.4f}"
        )
    return (
        f"<sub>Reviewed {scope} · {models} · {u.calls} call(s), "
        f"{u.prompt_tokens:,} prompt + {u.completion_tokens:,} completion tokens · "
        f"≈ ${u.cost_usd:.4f}{verify} · prompt {data.prompt_version}</sub>"
    )


def format_summary(data: SummaryData, *, redactor: Redactor) -> str:
    """The summary comment (updated in place; found again by ``SUMMARY_MARKER``)."""
    out = [SUMMARY_MARKER, "## 🤖 ArgusAI Review", ""]
    if data.config_error:
        out += [f"> ⚠️ {sanitize_inline(data.config_error, 1500, redactor=redactor)}", ""]
    out += _risk_line(data, redactor)
    overview = list(
        dict.fromkeys(
            sanitize_markdown(s, 1500, redactor=redactor) for s in data.overview if s.strip()
        )
    )
    if len(overview) == 1:
        out += [overview[0], ""]
    elif overview:
        out += [*bounded_list([f"- {s}" for s in overview], 12000), ""]
    found = sum(data.counts.values())
    line = f"**Findings:** {severity_counts_line(data.counts)}"
    if found:
        line += f" — {data.inline_count} posted inline"
    if data.already_posted:
        line += f"; {data.already_posted} already reported earlier, not repeated"
    if data.suppressed:
        line += f"; {data.suppressed} suppressed by this repository's rules (`/argus config`)"
    out += [line, ""]
    out += _walkthrough_section(data, redactor)
    if data.not_posted:
        out += ["### Findings not posted inline", ""]
        out += [*bounded_list([_not_posted_line(n, redactor) for n in data.not_posted], 25000), ""]
    if data.failed:
        out += ["### Parts not reviewed", ""]
        failed = [
            f"- part {c.index + 1}: "
            f"{', '.join(code_span(p, 200, redactor=redactor) for p in c.files[:10])}"
            f"{' …' if len(c.files) > 10 else ''} — "
            f"{sanitize_inline(c.reason, 300, redactor=redactor)}"
            for c in data.failed
        ]
        out += [*bounded_list(failed, 6000), ""]
    if data.skipped:
        out += [f"### Files not reviewed ({len(data.skipped)})", ""]
        skipped = [f"- {code_span(s.path, redactor=redactor)} — {s.reason}" for s in data.skipped]
        out += [*bounded_list(skipped, 15000), ""]
    out += _rejected_section(data, redactor)
    out += _context_section(data, redactor)
    out.append(_footer(data, redactor))
    return truncate("\n".join(out), _SAFE_LIMIT)
