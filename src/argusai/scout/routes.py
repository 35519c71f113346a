"""The scout catalogue over HTTP: JSON API (``/v1/scout/…``) and the ``/scout`` page.

Everything shown comes from GitHub or an LLM and is untrusted: templates autoescape,
links are only ever https://github.com URLs, and the page's Content-Security-Policy
allows scripts and styles from this server only (no CDN; the JS is a vendored file).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

import jinja2
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from argusai.scout.catalogue import Filters, Page, known_languages, list_issues, list_repositories
from argusai.scout.summary_schema import Difficulty
from argusai.store.db import Database

_HERE = Path(__file__).parent
PAGE_SIZE = 20
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)

router = APIRouter()
router.mount(
    "/scout/static", StaticFiles(directory=_HERE / "static", check_dir=False), name="scout_static"
)

Text = Annotated[str | None, Query(max_length=200)]
Limit = Annotated[int, Query(ge=1, le=100)]
# bounded: an offset past the database's integer range was a 500; no catalogue is this big
MAX_OFFSET = 1_000_000
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET)]


@functools.cache
def _templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def _db(request: Request) -> Database:
    db: Database = request.app.state.argus.runtime.db
    return db


def _filters(
    language: str | None, difficulty: str | None, label: str | None, q: str | None
) -> Filters:
    def clean(value: str | None) -> str | None:
        return value.strip() or None if value else None

    return Filters(language=clean(language), difficulty=difficulty, label=clean(label), q=clean(q))


@dataclass(frozen=True)
class _Listing:
    """The query both JSON listings take: filters and one page."""

    filters: Filters
    limit: int
    offset: int


def _listing(
    language: Text = None,
    difficulty: Difficulty | None = None,
    label: Text = None,
    q: Text = None,
    limit: Limit = PAGE_SIZE,
    offset: Offset = 0,
) -> _Listing:
    filters = _filters(language, difficulty.value if difficulty else None, label, q)
    return _Listing(filters, limit, offset)


Listing = Annotated[_Listing, Depends(_listing)]


@router.get("/v1/scout/issues", tags=["scout"])
def api_issues(request: Request, query: Listing) -> dict[str, Any]:
    """Open issues with their analysis; filters: language, difficulty, label, text."""
    page = list_issues(_db(request), query.filters, limit=query.limit, offset=query.offset)
    return page.to_json()


@router.get("/v1/scout/repositories", tags=["scout"])
def api_repositories(request: Request, query: Listing) -> dict[str, Any]:
    """Repositories with their summary; ``difficulty``: has an open issue of that level."""
    page = list_repositories(_db(request), query.filters, limit=query.limit, offset=query.offset)
    return page.to_json()


def _page_url(path: str, filters: Filters, offset: int) -> str:
    params = {
        k: v
        for k, v in (
            ("q", filters.q),
            ("language", filters.language),
            ("difficulty", filters.difficulty),
            ("label", filters.label),
        )
        if v
    }
    if offset:
        params["offset"] = str(offset)
    return f"{path}?{urlencode(params)}" if params else path


@router.get("/scout", response_class=HTMLResponse, include_in_schema=False)
def scout_page(
    request: Request,
    q: Text = None,
    language: Text = None,
    difficulty: Text = None,
    label: Text = None,
    offset: Offset = 0,
) -> HTMLResponse:
    """The catalogue page: search and filter open issues by language and difficulty."""
    levels = [d.value for d in Difficulty]
    level = difficulty if difficulty in levels else None
    filters = _filters(language, level, label, q)
    db = _db(request)
    page: Page = list_issues(db, filters, limit=PAGE_SIZE, offset=offset)
    path = request.url.path
    context = {
        "filters": filters,
        "languages": known_languages(db),
        "difficulties": levels,
        "page": page,
        "page_path": path,
        "static_base": request.url_for("scout_static", path="").path.rstrip("/"),
        "prev_url": _page_url(path, filters, max(0, offset - PAGE_SIZE)) if offset else None,
        "next_url": (
            _page_url(path, filters, page.next_offset) if page.next_offset is not None else None
        ),
    }
    response = _templates().TemplateResponse(request, "scout.html", context)
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
