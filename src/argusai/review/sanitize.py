"""Make LLM text safe to post: no notifications, no raw HTML, no forged markers, bounded.

Prose and code are treated differently: in prose ``<tag`` becomes ``&lt;tag`` and
``@user`` / ``@org/team`` get a zero-width joiner after the ``@`` (GitHub then does not
notify); inside code spans and fences nothing renders or notifies, so code keeps its
text, except that ``<!--`` is broken everywhere so nobody can forge our hidden markers.
"""

from __future__ import annotations

import re

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
    text = _TAG.sub("&lt;", text)
    return neutralise_mentions(text)


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to at most ``limit`` characters, marking the cut."""
    if len(text) <= limit:
        return text
    return text[: max(limit - 1, 0)].rstrip() + "…"


def sanitize_markdown(text: str, limit: int = 4000) -> str:
    """Sanitise LLM markdown for a GitHub comment (prose escaped, code kept)."""
    text = strip_control(text)
    out: list[str] = []
    pos = 0
    for match in _CODE.finditer(text):
        out.append(_prose(text[pos : match.start()]))
        out.append(break_markers(match.group(0)))
        pos = match.end()
    out.append(_prose(text[pos:]))
    return truncate("".join(out), limit)


def sanitize_inline(text: str, limit: int = 200) -> str:
    """Sanitise a one-line text (a title): one line, escaped, bounded."""
    one_line = " ".join(strip_control(text).split())
    return sanitize_markdown(one_line, limit)


def sanitize_code(text: str, limit: int = 8000) -> str:
    """Sanitise code placed inside a fence: only control characters and markers."""
    code = text.replace("\r\n", "\n").replace("\r", "\n")
    code = _CONTROL.sub("", code)
    return truncate(break_markers(code), limit)


def fence_for(code: str, minimum: int = 3) -> str:
    """A backtick fence longer than any backtick run inside ``code``."""
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    return "`" * max(minimum, longest + 1)


def code_span(text: str, limit: int = 300) -> str:
    """Inline code for untrusted text (a path): backticks and newlines cannot escape it."""
    clean = " ".join(sanitize_code(text, limit).replace("`", "'").split("\n"))
    return f"`{clean}`"
