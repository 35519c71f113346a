"""What a comment asks of ArgusAI: ``@<slug> <command>``, ``/argus <command>``, or a reply in
a thread on one of its comments (a question). Pure: text in, a :class:`Parsed` out.

The address must open a line; quoted lines (``> …``) and fenced code are never read, so
quoting an earlier command runs nothing. A command word followed by more text is a
question (``@argus review the locking here?``), except ``ignore everywhere <glob>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_TEXT = 4000  # characters of a question kept


class Name(StrEnum):
    """The commands; ``ask`` is a free-text question."""

    REVIEW = "review"
    FULL_REVIEW = "full-review"
    PAUSE = "pause"
    RESUME = "resume"
    HELP = "help"
    CONFIG = "config"
    EXPLAIN = "explain"
    IGNORE = "ignore"
    IGNORE_EVERYWHERE = "ignore-everywhere"
    ASK = "ask"


#: commands anyone who can comment may run (they spend no tokens and change nothing)
OPEN_TO_ALL = frozenset({Name.HELP, Name.CONFIG})
#: commands that call the LLM
SPENDS_TOKENS = frozenset({Name.REVIEW, Name.FULL_REVIEW, Name.EXPLAIN, Name.ASK})
#: commands about one finding: only in a thread on one of ArgusAI's inline comments
ON_A_FINDING = frozenset({Name.EXPLAIN, Name.IGNORE, Name.IGNORE_EVERYWHERE})

_WORDS: dict[str, Name] = {
    "review": Name.REVIEW,
    "full review": Name.FULL_REVIEW,
    "full-review": Name.FULL_REVIEW,
    "pause": Name.PAUSE,
    "resume": Name.RESUME,
    "help": Name.HELP,
    "config": Name.CONFIG,
    "configuration": Name.CONFIG,
    "explain": Name.EXPLAIN,
    "ignore": Name.IGNORE,
    "ignore everywhere": Name.IGNORE_EVERYWHERE,
    "ignore-everywhere": Name.IGNORE_EVERYWHERE,
}
_SLASH = re.compile(r"^/argus(?=\s|$)", re.IGNORECASE)
_MENTION = re.compile(r"^@([A-Za-z0-9](?:[A-Za-z0-9-]{0,37}[A-Za-z0-9])?)(?:\[bot\])?(?=[\s,:]|$)")
_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_EVERYWHERE = re.compile(r"^ignore[ -]everywhere\s+(\S+)$", re.IGNORECASE)


@dataclass(frozen=True)
class Parsed:
    """A command (or question) and how it was addressed: ``slash``, ``mention:<name>``
    (the name to check against the App's slug when it was not known) or ``thread``."""

    name: Name
    text: str
    addressed: str

    @property
    def mention(self) -> str | None:
        """The name after ``@`` when the comment was addressed by a mention."""
        prefix = "mention:"
        return self.addressed.removeprefix(prefix) if self.addressed.startswith(prefix) else None


def _readable_lines(body: str) -> list[str]:
    """The comment's lines outside fenced code and quotes (those quote; they ask nothing)."""
    out: list[str] = []
    fence: str | None = None
    for line in body.replace("\r\n", "\n").split("\n"):
        opening = _FENCE.match(line)
        if fence is not None:
            if opening and opening.group(1)[0] == fence[0] and len(opening.group(1)) >= len(fence):
                fence = None
            continue
        if opening:
            fence = opening.group(1)
            continue
        if line.lstrip().startswith(">"):
            continue
        out.append(line)
    return out


def _command(rest: str, addressed: str) -> Parsed:
    """The command in what follows the address (nothing at all: ``help``)."""
    rest = rest.strip()
    first, _, more = rest.partition("\n")
    head = " ".join(first.split()).rstrip(".!:,;").strip()
    if not rest:
        return Parsed(Name.HELP, "", addressed)
    name = _WORDS.get(head.lower())
    if name is not None and not more.strip():
        return Parsed(name, "", addressed)
    glob = _EVERYWHERE.match(head)
    if glob is not None and not more.strip():
        return Parsed(Name.IGNORE_EVERYWHERE, glob.group(1).strip("`'\""), addressed)
    return Parsed(Name.ASK, rest[:MAX_TEXT], addressed)


def parse_comment(body: str, *, slug: str | None, in_thread: bool) -> Parsed | None:
    """What ``body`` asks of ArgusAI, or None when it asks nothing.

    ``slug``: the App's slug when known (a mention of anyone else is then not for us);
    None: any opening mention is a candidate, to be checked once the slug is known.
    ``in_thread``: the comment replies in a review thread, which may be on ArgusAI's comment:
    then a reply addressed to no one is a question.
    """
    lines = _readable_lines(body)
    for i, line in enumerate(lines):
        text = line.strip()
        slash = _SLASH.match(text)
        if slash is not None:
            rest = "\n".join([text[slash.end() :], *lines[i + 1 :]])
            return _command(rest, "slash")
        mention = _MENTION.match(text)
        if mention is None:
            continue
        name = mention.group(1)
        if slug is not None and name.lower() != slug.lower():
            continue
        rest = "\n".join([text[mention.end() :].lstrip(" ,:"), *lines[i + 1 :]])
        return _command(rest, f"mention:{name.lower()}")
    if not in_thread:
        return None
    question = "\n".join(lines).strip()
    if not question or _MENTION.match(question):
        return None  # empty, or addressed to someone (we would have matched our own name)
    return Parsed(Name.ASK, question[:MAX_TEXT], "thread")
