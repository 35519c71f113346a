"""Untrusted text (a diff, a PR body, a CI log) quoted inside a prompt's delimiters."""

from __future__ import annotations

import re

_DELIMITER = re.compile(r"<(/?)(untrusted_)", re.IGNORECASE)


def quote_untrusted(text: str, limit: int | None = None) -> str:
    """Bound untrusted text and stop it from closing our ``<untrusted_…>`` delimiters."""
    text = text.replace("\r\n", "\n")
    if limit is not None and len(text) > limit:
        text = text[:limit] + f"\n[… {len(text) - limit} more characters cut]"
    return _DELIMITER.sub(lambda m: f"<{m.group(1)}\u200d{m.group(2)}", text)
