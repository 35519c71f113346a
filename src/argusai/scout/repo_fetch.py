"""One repository's requests: its metadata and its open issues carrying the label (I/O only)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from argusai.scout.fetch import Fetcher
from argusai.scout.sources.base import RepoRef

PER_PAGE = 100


@dataclass(frozen=True)
class Known:
    """What the catalogue already holds of a repository (for conditional requests)."""

    etag: str | None = None
    issues_etag: str | None = None
    archived: bool = False


@dataclass
class RepoFetch:
    """What the requests for one repository brought back."""

    ref: RepoRef
    start_page: int  # 0: from the metadata; n ≥ 1: resumed at issues page n
    meta_status: int = 0  # 0 = not asked (resumed), 200, 304, 404
    meta: dict[str, Any] | None = None
    meta_etag: str | None = None
    issues_not_modified: bool = False
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    first_page_etag: str | None = None  # ETag of issues page 1 when it was fetched now
    complete: bool = False
    next_page: int = 0  # when incomplete: the page to resume at

    @property
    def missing(self) -> bool:
        """The repository is gone (404 / 410 / 451)."""
        return self.meta_status in (404, 410, 451)


def requests_to_start(start_page: int) -> int:
    """Requests reserved before starting a repository (metadata + first issues page)."""
    return 1 if start_page >= 1 else 2


def fetch_repo(fetcher: Fetcher, ref: RepoRef, known: Known, start_page: int) -> RepoFetch:
    """Fetch from ``start_page``; holds ``requests_to_start`` reserved requests on entry."""
    result = RepoFetch(ref, start_page)
    reserved = requests_to_start(start_page)
    inst = ref.installation_id
    archived = known.archived
    if start_page == 0:
        reserved -= 1
        answer = fetcher.get(f"/repos/{ref.owner}/{ref.name}", etag=known.etag,
                             installation_id=inst)
        result.meta_status, result.meta, result.meta_etag = answer.status, answer.data, answer.etag
        if answer.data is not None:
            archived = bool(answer.data.get("archived"))
        if result.missing or archived:
            fetcher.budget.release(reserved)
            result.complete = True
            return result
    page = max(1, start_page)
    while True:
        if reserved:
            reserved -= 1
        elif not fetcher.budget.acquire(1):
            result.next_page = page
            return result
        params = {"state": "open", "labels": ref.label, "sort": "updated",
                  "direction": "desc", "per_page": PER_PAGE, "page": page}
        answer = fetcher.get(f"/repos/{ref.owner}/{ref.name}/issues", params=params,
                             etag=known.issues_etag if page == 1 else None,
                             installation_id=inst)
        if answer.not_modified:
            result.issues_not_modified = True
            result.complete = True
            return result
        if page == 1:
            result.first_page_etag = answer.etag
        result.pages.append(list(answer.data or []))
        if not answer.next_url or not answer.data:
            result.complete = True
            return result
        page += 1
