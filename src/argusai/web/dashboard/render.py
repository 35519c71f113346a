"""Render dashboard pages: Jinja templates (autoescaped) under a CSP that allows no script.

The pages run no JavaScript at all: charts are inline SVG, actions are plain forms. So
the policy allows styles and images from this server only, forms posting back to it,
and nothing else: no script, no frame, no connection anywhere.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from argusai.web.dashboard.charts import duration, money, percent

_HERE = Path(__file__).parent
STATIC_PATH = "/dashboard/static"
CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",  # per viewer: never kept by a shared cache
    "X-Frame-Options": "DENY",
}


def when(value: datetime | None) -> str:
    """A timestamp as ``2026-01-31 14:05 UTC``."""
    if value is None:
        return "–"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def age(seconds: float | None) -> str:
    """Seconds as a short age: ``42 s``, ``5 min``, ``3 h``, ``2 d``."""
    if seconds is None:
        return "–"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


@functools.cache
def environment() -> jinja2.Environment:
    """The templates of the dashboard, loaded once."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_HERE / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(money=money, duration=duration, percent=percent, when=when, age=age)
    return env


def page(
    request: Request, template: str, context: dict[str, Any], *, status: int = 200
) -> HTMLResponse:
    """The page ``template`` with ``context`` (plus the request's root path and static base)."""
    root = request.scope.get("root_path", "")
    html = (
        environment()
        .get_template(template)
        .render(
            root=f"{root}/dashboard",
            static=f"{root}{STATIC_PATH}",
            path=request.url.path,
            **context,
        )
    )
    return HTMLResponse(html, status_code=status, headers=HEADERS)


def message(
    request: Request, title: str, text: str, *, status: int, viewer: Any = None
) -> HTMLResponse:
    """A page that only says something (an error, a refusal, signed out)."""
    return page(
        request, "message.html", {"title": title, "text": text, "viewer": viewer}, status=status
    )
