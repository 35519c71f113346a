"""The dashboard's POSTed forms: small URL-encoded bodies carrying the session's CSRF token.

Parsed here (``application/x-www-form-urlencoded`` only, 8 KiB at most) rather than with
python-multipart: the forms have two or three short fields and no files.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import Request

from argusai.web.dashboard.session import same_secret

MAX_FORM_BYTES = 8 * 1024
CSRF_FIELD = "csrf"


class Refused(Exception):
    """A request the dashboard will not do: answered with ``status`` and ``text``."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


async def read_form(request: Request) -> dict[str, str]:
    """The fields of a URL-encoded body (the last of repeated names); none for other bodies."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        return {}  # no form, no CSRF token: refused by checked_form
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM_BYTES:
            raise Refused(413, "The form is too large.")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise Refused(400, "The form is not UTF-8.") from None
    return dict(parse_qsl(text, keep_blank_values=True))


async def checked_form(request: Request, csrf: str) -> dict[str, str]:
    """The form's fields once its CSRF token matches the session's; else 403."""
    fields = await read_form(request)
    if not same_secret(fields.get(CSRF_FIELD), csrf):
        raise Refused(403, "The form's security token is missing or stale: reload and retry.")
    return fields
