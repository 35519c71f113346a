"""Find the JSON objects in an LLM's answer: plain, fenced (```json), or inside prose."""

from __future__ import annotations

import json
import re
from typing import Any

_FENCE = re.compile(r"```(?:json|JSON)?[ \t]*\n(.*?)```", re.DOTALL)


def json_candidates(text: str, limit: int = 5) -> list[Any]:
    """Values parsed from ``text``: the whole answer, each fenced block, then each ``{…}``."""
    found: list[Any] = []
    for block in [text.strip(), *(m.group(1) for m in _FENCE.finditer(text))]:
        try:
            found.append(json.loads(block))
        except ValueError:
            continue
    decoder = json.JSONDecoder()
    pos = text.find("{")
    while pos != -1 and len(found) < limit:
        try:
            value, end = decoder.raw_decode(text, pos)
        except ValueError:
            pos = text.find("{", pos + 1)
            continue
        found.append(value)
        pos = text.find("{", end)
    return found
