"""An awesome-style markdown list (any repository's README) → GitHub repositories."""

from __future__ import annotations

import re

from argusai.scout.sources.base import (
    DEFAULT_LABEL,
    NotARepository,
    RepoRef,
    Skipped,
    SourceList,
    github_repo,
)
from argusai.scout.sources.labels import choose_label

#: ``[text](url)`` links, also inside list items; images (``![..](..)``) are not entries
_LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(\s*<?(https?://[^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
_BARE = re.compile(r"(?<![(<\[])\bhttps?://(?:www\.)?github\.com/[^\s)>\]]+")


def parse_markdown_list(text: str, label: str = DEFAULT_LABEL) -> SourceList:
    """GitHub repository links of a markdown list, in order, all following ``label``.

    Links to anything else on github.com (users, issues, files, sponsors) are skipped
    with a reason; links off GitHub are ignored silently (a list links to many sites).
    """
    choice = choose_label(label)
    result = SourceList()
    urls = [m.group(1) for m in _LINK.finditer(text)] + [m.group(0) for m in _BARE.finditer(text)]
    for url in urls:
        clean = url.split("#", 1)[0].split("?", 1)[0].rstrip(".,;:!")
        try:
            owner, name = github_repo(clean)
        except NotARepository as exc:
            if "not on GitHub" not in str(exc):
                result.skipped.append(Skipped(url, str(exc)))
            continue
        result.add(RepoRef(owner, name, choice.query, choice.canonical), url)
    return result
