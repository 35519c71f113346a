"""Make LLM text safe to post: no notifications, no raw HTML, no forged markers, bounded.

Prose and code are treated differently: in prose ``<tag`` becomes ``&lt;tag``, ``&…;``
entities are shown as typed (so they cannot spell a tag or a scheme), ``@user`` /
``@org/team`` get a zero-width joiner after the ``@`` (GitHub then does not notify),
``javascript:``-like schemes are broken, and fenced ``suggestion`` blocks become plain
code (only ArgusAI's own suggestion may carry GitHub's "commit suggestion" button); inside
code spans and fences nothing renders or notifies, so code keeps its text, except that
``<!--`` is broken everywhere so nobody can forge our hidden markers, and an unclosed
fence is closed so it cannot swallow what ArgusAI appends.

Secrets are redacted everywhere by the :class:`~argusai.core.secrets.Redactor` passed in:
token-shaped strings (GitHub, OpenAI, Anthropic, AWS, Slack), PEM private keys, the values
of secret-looking variables of the process environment, and the secrets it was built with
(the runtime's redactor holds the settings' secrets; the empty one holds none).
"""

from __future__ import annotations

import re

from argusai.core.secrets import EMPTY_REDACTOR, Redactor

ZWJ = "\u200d"
_MENTION = re.compile(r"(?<![\w`/.@+-])@(?=[A-Za-z0-9][A-Za-z0-9-]*(?:/[\w.-]+)?)")
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_COMMENT_OPEN = re.compile(r"<!--|<!-")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u202a-\u202e\u2066-\u2069]")
_CODE = re.compile(
    r"(?P<fence>^[ \t]*(?P<ticks>`{3,}|~{3,})[^\n]*\n.*?(?:^[ \t]*(?P=ticks)[ \t]*$|\Z))"
    r"|(?P<span>(?P<bt>`+)(?!`).+?(?<!`)(?P=bt)(?!`))",
    re.DOTALL | re.MULTILINE,
)


_ENTITY = re.compile(r"&(?=#|[A-Za-z][A-Za-z0-9]*;)")
_SCHEME = re.compile(r"\b(javascript|vbscript|livescript|data|file)(\s*):", re.IGNORECASE)
_SUGGESTION_FENCE = re.compile(r"^([ \t]*(?:`{3,}|~{3,})[ \t]*)suggestion\b", re.IGNORECASE)


def strip_control(text: str) -> str:
    """Drop control and bidi-override characters (keeps newline and tab)."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def break_markers(text: str) -> str:
    """Break every ``<!--`` so hidden markers can only come from ArgusAI itself."""
    return _COMMENT_OPEN.sub(lambda m: "<" + ZWJ + m.group(0)[1:], text)


def neutralise_mentions(text: str) -> str:
    """``@user`` → ``@\\u200duser`` (emails such as ``a@b.com`` are left alone)."""
    return _MENTION.sub("@" + ZWJ, text)


def _prose(text: str) -> str:
    text = _ENTITY.sub("&amp;", text)
    text = _TAG.sub("&lt;", text)
    text = _SCHEME.sub(lambda m: f"{m.group(1)}{m.group(2)}{ZWJ}:", text)
    return neutralise_mentions(text)


def _code(block: str) -> str:
    """A code span or fence: markers broken, a fence closed, no foreign suggestion block."""
    block = break_markers(block)
    lines = block.split("\n")
    opening = re.match(r"[ \t]*(`{3,}|~{3,})", lines[0])
    if opening is None:
        return block
    lines[0] = _SUGGESTION_FENCE.sub(r"\1text", lines[0])
    ticks = opening.group(1)
    closed = (
        len(lines) > 1
        and lines[-1].strip().startswith(ticks)
        and not lines[-1].strip(ticks[0]).strip()
    )
    block = "\n".join(lines)
    return block if closed else block.rstrip("\n") + "\n" + ticks


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def sanitize_markdown(text: str, limit: int = 4000, *, redactor: Redactor = EMPTY_REDACTOR) -> str:
    """Sanitise LLM markdown for a GitHub comment (prose escaped, code kept)."""
    text = redactor.redact(strip_control(text))
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(text):
        out.append(_prose(text[pos : match.start()]))
        out.append(_code(match.group(0)))
        pos = match.end()
    out.append(_prose(text[pos:]))
    return truncate("".join(out), limit)


def sanitize_inline(text: str, limit: int = 200, *, redactor: Redactor = EMPTY_REDACTOR) -> str:
    """Sanitise a one-line text (a title): one line, escaped, bounded."""
    one_line = " ".join(strip_control(text).split())
    return sanitize_markdown(one_line, limit, redactor=redactor)


def sanitize_code(text: str, limit: int = 8000, *, redactor: Redactor = EMPTY_REDACTOR) -> str:
    """Sanitise code placed inside a fence: only control characters and markers."""
    code = text.replace("\r\n", "\n").replace("\r", "\n")
    code = redactor.redact(_CONTROL.sub("", code))
    return truncate(break_markers(code), limit)


def fence_for(code: str, minimum: int = 3) -> str:
    """A backtick fence longer than any backtick run inside ``code``."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(minimum, longest + 1)


def code_span(text: str, limit: int = 300, *, redactor: Redactor = EMPTY_REDACTOR) -> str:
    """Inline code for untrusted text (a path): backticks and newlines cannot escape it."""
    clean = " ".join(sanitize_code(text, limit, redactor=redactor).replace("`", "'").split("\n"))
    return f"`{clean}`"
