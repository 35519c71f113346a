"""Where a cut-off crawl resumes within a source, down to each repository's next request.

The cursor (stored with every write, so a killed run resumes from its last one)::

    {"source": s, "position": p, "full_name": names[p],
     "partial": [{"full_name", "page", "seen", "issues_etag"}, ...], "skipped": [...]}

Every repository listed before ``position`` is done, except those in ``partial``: each
resumes at its issues ``page`` (0: at its metadata), with the issue numbers its earlier
pages listed (``seen``, so the issues no longer listed can be told at the end) and the
ETag of its first page. Repositories fetched beyond a cut-off are never fetched again.
``full_name`` finds the position again when the list changed meanwhile. ``skipped``
(repositories that failed in this chain of runs) is the crawl's (see ``crawl``).

An older cursor ``{"position", "page", "full_name", "seen", "issues_etag"}`` reads as
one partial repository.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Step:
    """One repository to crawl: its place in the list and where to start."""

    position: int
    full_name: str  # as the source lists it
    page: int = 0  # 0: from the metadata; n ≥ 1: issues page n
    seen: tuple[int, ...] = ()
    issues_etag: str | None = None
    resumed: bool = False  # carried over from a cut-off run (not part of the list's tail)

    def to_json(self) -> dict[str, Any]:
        """The cursor's ``partial`` entry."""
        return {
            "full_name": self.full_name,
            "page": self.page,
            "seen": list(self.seen),
            "issues_etag": self.issues_etag,
        }


def steps_from(cursor: dict[str, Any], names: list[str]) -> list[Step]:
    """What is left of the list ``names``: the cut-off repositories, then the rest in order."""
    position = int(cursor.get("position") or 0)
    name = cursor.get("full_name")
    partial = list(cursor.get("partial") or [])
    if "partial" not in cursor and int(cursor.get("page") or 0) > 0 and name:
        partial = [
            {
                "full_name": name,
                "page": cursor["page"],
                "seen": cursor.get("seen"),
                "issues_etag": cursor.get("issues_etag"),
            }
        ]
        position, name = (names.index(name) if name in names else position) + 1, None
    index = {n: i for i, n in enumerate(names)}
    if name and not (position < len(names) and names[position] == name):
        position = index.get(name, min(position, len(names)))
    resumed = sorted(
        (
            Step(
                index[p["full_name"]],
                p["full_name"],
                int(p.get("page") or 0),
                tuple(int(n) for n in p.get("seen") or ()),
                p.get("issues_etag"),
                resumed=True,
            )
            for p in partial
            if p.get("full_name") in index
        ),
        key=lambda s: s.position,
    )
    taken = {s.position for s in resumed}
    rest = [Step(i, names[i]) for i in range(position, len(names)) if i not in taken]
    return [*resumed, *rest]


def cursor_at(
    source: str,
    names: list[str],
    steps: list[Step],
    applied: int,
    cut: list[Step],
    skipped: list[dict[str, Any]],
) -> dict[str, Any]:
    """The cursor once ``steps[:applied]`` are written, ``cut`` of them cut off midway."""
    rest = steps[applied:]
    tail = [s for s in rest if not s.resumed]
    position = tail[0].position if tail else len(names)
    return {
        "source": source,
        "position": position,
        "full_name": names[position] if position < len(names) else None,
        "partial": [s.to_json() for s in (*cut, *(s for s in rest if s.resumed))],
        "skipped": skipped,
    }
