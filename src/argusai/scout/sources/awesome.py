"""The awesome-for-beginners ``data.json`` (MunGell/awesome-for-beginners) → repositories."""

from __future__ import annotations

import json
from typing import Any

from argusai.scout.sources.base import (
    DEFAULT_LABEL,
    NotARepository,
    RepoRef,
    Skipped,
    SourceList,
    github_repo,
)
from argusai.scout.sources.labels import choose_label

AWESOME_REPO = "MunGell/awesome-for-beginners"
AWESOME_PATH = "data.json"


def parse_awesome_data(text: str, default_label: str = DEFAULT_LABEL) -> SourceList:
    """Every entry of ``data.json``: GitHub repositories kept, the rest skipped with a reason."""
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"data.json is not JSON: {exc}") from None
    entries = data.get("repositories") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ValueError("data.json has no 'repositories' list")
    result = SourceList()
    for index, entry in enumerate(entries):
        _parse_entry(result, index, entry, default_label)
    return result


def _parse_entry(result: SourceList, index: int, entry: Any, default_label: str) -> None:
    name = entry.get("name") if isinstance(entry, dict) else None
    where = f"#{index} {name!r}" if name else f"#{index}"
    link = entry.get("link") if isinstance(entry, dict) else None
    if not isinstance(link, str) or not link.strip():
        result.skipped.append(Skipped(where, "no link"))
        return
    where = f"{where} <{link.strip()}>"
    try:
        owner, repo = github_repo(link)
    except NotARepository as exc:
        result.skipped.append(Skipped(where, str(exc)))
        return
    raw_label = entry.get("label")
    choice = choose_label(raw_label if isinstance(raw_label, str) else None, default_label)
    if result.add(RepoRef(owner, repo, choice.query, choice.canonical), where) and choice.note:
        result.notes.append(Skipped(where, choice.note))
