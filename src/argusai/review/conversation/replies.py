"""What ArgusAI says in the conversation: help, acknowledgements, refusals, answers, the
effective configuration. Pure text; every reply ends with a hidden marker naming its
command, so a retry finds the reply it already posted instead of posting it again."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from argusai.core.sanitize import (
    code_span,
    fence_for,
    sanitize_code,
    sanitize_inline,
    sanitize_markdown,
    truncate,
)
from argusai.core.secrets import Redactor
from argusai.review.conversation.commands import Name
from argusai.review.conversation.suppressions import StoredRule

HEADER = "🤖 **ArgusAI**"
_REPLY_MARKER = re.compile(r"<!-- argus:reply:(\d+) -->")
_ANY_MARKER = re.compile(r"<!-- argus:[^>]*-->")
MAX_REPLY = 60_000

#: (command as typed, what it does) for ``help``
COMMANDS: tuple[tuple[str, str], ...] = (
    ("review", "review the new commits now, as a push would"),
    ("full review", "review the whole pull request again, ignoring the cache"),
    ("pause", "no automatic reviews on this pull request until `resume`"),
    ("resume", "automatic reviews again"),
    ("config", "the effective configuration for this repository, and where each value came from"),
    ("help", "this list"),
    ("<question>", "an answer from the pull request's changes"),
)
THREAD_COMMANDS: tuple[tuple[str, str], ...] = (
    ("explain", "a longer explanation of the finding, with the code around it"),
    ("ignore", "never raise this finding again on this pull request"),
    (
        "ignore everywhere [glob]",
        "never raise it again in this repository (on this file, or the files the glob "
        "matches); `argus suppressions list|remove` shows and removes such rules",
    ),
    ("<question>", "any reply in the thread is answered there, with the hunk and the file"),
)


def reply_marker(command_id: int) -> str:
    """The hidden marker that ties a reply to its command."""
    return f"<!-- argus:reply:{int(command_id)} -->"


def replied_commands(bodies: Iterable[str]) -> set[int]:
    """The command ids whose replies are among ``bodies``."""
    found: set[int] = set()
    for body in bodies:
        found.update(int(m) for m in _REPLY_MARKER.findall(body or ""))
    return found


def without_markers(body: str) -> str:
    """A comment of ours without its hidden markers (to quote it to the LLM)."""
    return _ANY_MARKER.sub("", body).strip()


def finish(text: str, command_id: int) -> str:
    """A reply: bounded, with its marker last."""
    return f"{truncate(text.strip(), MAX_REPLY)}\n\n{reply_marker(command_id)}"


def help_text(slug: str) -> str:
    """The ``help`` reply."""
    rows = [f"| `@{slug} {cmd}` | {what} |" for cmd, what in COMMANDS]
    thread = [f"| `@{slug} {cmd}` | {what} |" for cmd, what in THREAD_COMMANDS]
    return "\n".join(
        [
            f"{HEADER} — commands (also as `/argus <command>`):",
            "",
            "| in the conversation | |",
            "|---|---|",
            *rows,
            "",
            "| in a reply to one of my inline comments | |",
            "|---|---|",
            *thread,
            "",
            "Commands that spend tokens or change what I do need write access to the "
            "repository; `help` and `config` are open to everyone.",
        ]
    )


def refusal(user: str, name: Name) -> str:
    """One short, polite refusal (given once per person and pull request)."""
    what = "asking me" if name is Name.ASK else f"`{name.value.replace('-', ' ')}`"
    return (
        f"{HEADER}: sorry @{user}, {what} needs write access to this repository, so I will "
        "leave it to a maintainer. (I say this once per pull request; further commands from "
        "you here are ignored quietly.)"
    )


def limit_notice(user: str, over: str, wait_minutes: int) -> str:
    """A limit was reached (``over``: which, in words)."""
    return (
        f"{HEADER}: @{user}, that is {over}; please try again in about "
        f"{max(1, wait_minutes)} minute(s)."
    )


def not_on_a_finding(name: Name) -> str:
    """``explain`` / ``ignore`` outside a thread on one of our findings."""
    return (
        f"{HEADER}: `{name.value.replace('-', ' ')}` works in a reply to one of my inline "
        "comments (it acts on that finding)."
    )


def review_queued(sha: str, *, full: bool) -> str:
    """``review`` / ``full review`` accepted."""
    what = "A full review" if full else "A review"
    return f"{HEADER}: {what} of `{sha[:12]}` is queued; the summary comment will show it."


def review_running(sha: str) -> str:
    """A review of this head is queued or running already."""
    return f"{HEADER}: a review of `{sha[:12]}` is already queued or running."


def paused_text(changed: bool) -> str:
    """``pause`` done."""
    if not changed:
        return f"{HEADER}: automatic reviews were already paused on this pull request."
    return (
        f"{HEADER}: automatic reviews are paused on this pull request; `resume` turns them "
        "back on (`review` still works meanwhile)."
    )


def resumed_text(changed: bool) -> str:
    """``resume`` done."""
    if not changed:
        return f"{HEADER}: automatic reviews were not paused here; nothing to resume."
    return f"{HEADER}: automatic reviews are on again for this pull request (from the next push)."


def ignored_text(title: str, redactor: Redactor) -> str:
    """``ignore`` done."""
    shown = sanitize_inline(title, 160, redactor=redactor)
    return f"{HEADER}: understood — I will not raise “{shown}” again on this pull request."


def ignored_everywhere_text(title: str, glob: str, rule_id: int, redactor: Redactor) -> str:
    """``ignore everywhere`` done: the rule, and how to remove it."""
    shown = sanitize_inline(title, 160, redactor=redactor)
    return (
        f"{HEADER}: understood — I will not raise “{shown}” again in this repository on "
        f"{code_span(glob, 300, redactor=redactor)} (suppression rule #{rule_id}). "
        f"`argus suppressions remove --repo <owner/repo> {rule_id}` removes the rule."
    )


def answer_text(
    answer: str, redactor: Redactor, *, question: str | None = None, asker: str | None = None
) -> str:
    """An LLM answer, sanitised; a conversation answer quotes the start of its question."""
    parts = [HEADER]
    if question and asker:
        quoted = sanitize_inline(question, 200, redactor=redactor)
        parts[0] = f"{HEADER} — replying to @{asker}:\n\n> {quoted}"
    parts.append(sanitize_markdown(answer, 20_000, redactor=redactor))
    return "\n\n".join(parts)


def llm_failed_text() -> str:
    """The LLM could not answer (after the queue's retries)."""
    return f"{HEADER}: sorry, I could not get an answer from the language model this time."


def config_text(
    rows: Sequence[tuple[str, str, str]],
    *,
    problems: Sequence[str],
    rules: Sequence[StoredRule],
    paused: bool,
    redactor: Redactor,
) -> str:
    """The effective configuration: ``(key, value as JSON, the layer it came from)`` per
    key, as YAML with the source in a comment; the problems found reading the layers; the
    suppression rules; whether automatic reviews are paused on this pull request."""
    lines = [f"{key}: {value}  # {source}" for key, value, source in rows]
    code = sanitize_code("\n".join(lines), 30_000, redactor=redactor)
    fence = fence_for(code)
    out = [f"{HEADER} — effective configuration for this repository:", ""]
    for problem in problems[:10]:
        out += [f"> ⚠️ {sanitize_inline(problem, 600, redactor=redactor)}", ""]
    out += [f"{fence}yaml", code, fence, ""]
    out.append(
        "Automatic reviews are **paused** on this pull request."
        if paused
        else "Automatic reviews are on for this pull request."
    )
    out += ["", f"**Suppression rules ({len(rules)})**", ""]
    if not rules:
        out.append("None: `ignore everywhere` in a thread on a finding makes one.")
    for rule in rules[:50]:
        where = code_span(rule.path_glob or "any path", 200, redactor=redactor)
        title = sanitize_inline(rule.title, 160, redactor=redactor) or "(by fingerprint)"
        out.append(
            f"- #{rule.id} ({rule.scope}) “{title}” on {where} — {rule.hits} hit(s), "
            f"by {sanitize_inline(rule.created_by, 60, redactor=redactor)}"
        )
    if len(rules) > 50:
        out.append(f"- … and {len(rules) - 50} more (`argus suppressions list`)")
    return "\n".join(out)
