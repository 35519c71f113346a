"""The secret parts of a channel URL (Slack/Discord tokens, an SMTP password, a query key).

A notification channel's URL is a credential as a whole and in pieces: logs and stored
errors must show none of them. Pure: no I/O.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote, urlsplit

#: shorter pieces are ordinary words (``services``, ``api``), not secrets
MIN_PART = 6
#: schemes whose host part is a token, not a server
TOKEN_HOSTS = frozenset({"slack", "discord"})


def url_secret_parts(url: str) -> list[str]:
    """The URL itself, its password, and every path segment and query value of 6+ chars."""
    parts = [url.strip()]
    try:
        split = urlsplit(url.strip())
        password = split.password
    except ValueError:
        return parts
    if password:
        parts.append(unquote(password))
    if split.username and split.password is None:  # discord://id/token?… or a bare token
        parts.append(unquote(split.username))
    parts.extend(unquote(seg) for seg in split.path.split("/") if len(seg) >= MIN_PART)
    if split.scheme in TOKEN_HOSTS:
        # slack://TOKEN_A/…, discord://WEBHOOK_ID/…: the "host" is a token (case kept)
        parts.append(unquote(split.netloc.rpartition("@")[2]))
    parts.extend(value for _key, value in parse_qsl(split.query) if len(value) >= MIN_PART)
    return [p for p in dict.fromkeys(parts) if len(p) >= MIN_PART]
