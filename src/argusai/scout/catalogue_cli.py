"""``argus scout list``: the catalogue as a table in the terminal."""

from __future__ import annotations

from typing import Any, Literal

from rich.console import Console
from rich.table import Table
from rich.text import Text

from argusai.scout.catalogue import Filters, Page, list_issues, list_repositories
from argusai.scout.summary_schema import clean_text
from argusai.store.db import Database

Kind = Literal["issues", "repositories"]


def _cell(value: Any, limit: int = 80) -> Text:
    # Text (not markup): a title such as "[red]x" must print as it is written
    return Text(clean_text(str(value), limit) if value not in (None, "") else "-")


def _issue_table(page: Page) -> Table:
    table = Table("repository", "#", "title", "language", "difficulty", "summary", "url")
    for item in page.items:
        table.add_row(
            _cell(item["repository"], 40),
            _cell(item["number"]),
            _cell(item["title"], 60),
            _cell(", ".join(item["languages"][:2]), 24),
            _cell(item["difficulty"]),
            _cell(item["summary"], 100),
            _cell(item["url"], 120),
        )
    return table


def _repo_table(page: Page) -> Table:
    table = Table("repository", "stars", "languages", "label", "summary", "url")
    for item in page.items:
        table.add_row(
            _cell(item["full_name"], 40),
            _cell(item["stars"]),
            _cell(", ".join(item["languages"][:3]), 30),
            _cell(item["label"], 30),
            _cell(item["summary"], 100),
            _cell(item["url"], 120),
        )
    return table


def scout_list(
    db: Database,
    *,
    kind: Kind = "issues",
    language: str | None = None,
    difficulty: str | None = None,
    label: str | None = None,
    q: str | None = None,
    limit: int = 20,
    offset: int = 0,
    console: Console | None = None,
) -> Page:
    """Print one page of issues (or repositories) matching the filters; returns it."""
    filters = Filters(language=language, difficulty=difficulty, label=label, q=q)
    if kind == "repositories":
        page = list_repositories(db, filters, limit=limit, offset=offset)
        table = _repo_table(page)
    else:
        page = list_issues(db, filters, limit=limit, offset=offset)
        table = _issue_table(page)
    out = console or Console(markup=False, emoji=False, highlight=False)
    if not page.items:
        out.print(f"no {kind} match", markup=False, highlight=False)
        return page
    out.print(table)
    shown = f"{page.offset + 1}-{page.offset + len(page.items)} of {page.total} {kind}"
    hint = f"; next page: --offset {page.next_offset}" if page.next_offset is not None else ""
    out.print(shown + hint, markup=False, highlight=False)
    return page
