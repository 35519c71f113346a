"""One repository's requests: its metadata and its open issues carrying the label (I/O only).

``fetch_repo`` never raises for what GitHub answers. The result says how far it got:
``complete``; or cut off (rate limit, budget) with ``next_page`` to resume at — 0 for the
metadata, n ≥ 1 for issues page n, so metadata already fetched is not asked for again;
or ``failed`` with the reason, and then nothing it brought back may be applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from argusai.errors import ArgusError, GitHubRateLimited
from argusai.scout.budget import BudgetSpent
from argusai.scout.fetch import Answer, Fetcher
from argusai.scout.sources.base import RepoRef

PER_PAGE = 100
#: wait this long after a rate limit that named no time
RATE_LIMIT_PAUSE = 60.0


@dataclass(frozen=True)
class Known:
    """What the catalogue already holds of a repository (for conditional requests)."""

    etag: str | None = None
    issues_etag: str | None = None
    archived: bool = False


@dataclass
class RepoFetch:
    """What the requests for one repository brought back."""

    ref: RepoRef  # the repository asked for
    start_page: int  # 0: from the metadata; n ≥ 1: resumed at issues page n
    meta_status: int = 0  # 0 = not asked (resumed), 200, 304, 404
    meta: dict[str, Any] | None = None
    meta_etag: str | None = None
    issues_not_modified: bool = False
    pages: list[list[dict[str, Any]]] = field(default_factory=list)
    first_page_etag: str | None = None  # ETag of issues page 1 when it was fetched now
    complete: bool = False
    next_page: int = 0  # when incomplete: the step to resume at (0: the metadata)
    moved_to: str | None = None  # GitHub redirected to this owner/name (renamed, transferred)
    failed: str | None = None  # why the repository could not be read
    retry_after: float | None = None  # rate limited: seconds to wait before resuming

    @property
    def missing(self) -> bool:
        """The repository is gone (404 / 410 / 451)."""
        return self.meta_status in (404, 410, 451)

    @property
    def full_name(self) -> str:
        """The repository's name now (its new one when it moved)."""
        return self.moved_to or self.ref.full_name


def requests_to_start(start_page: int) -> int:
    """Requests reserved before starting a repository (metadata + first issues page)."""
    return 1 if start_page >= 1 else 2


def fetch_repo(fetcher: Fetcher, ref: RepoRef, known: Known, start_page: int) -> RepoFetch:
    """Fetch from ``start_page``; holds ``requests_to_start`` reserved requests on entry."""
    result = RepoFetch(ref, start_page, next_page=start_page)
    reserved = requests_to_start(start_page)
    try:
        target = ref
        if start_page == 0:
            reserved -= 1
            answer = fetcher.get(
                f"/repos/{ref.owner}/{ref.name}",
                etag=known.etag,
                installation_id=ref.installation_id,
            )
            result.meta_status, result.meta = answer.status, answer.data
            result.meta_etag = answer.etag
            result.moved_to = _moved_to(ref, answer)
            if result.moved_to is not None:
                owner, name = result.moved_to.split("/", 1)
                target = replace(ref, owner=owner, name=name)
            archived = bool(answer.data.get("archived")) if answer.data else known.archived
            if result.missing or archived:
                result.complete = True
                return result
            result.next_page = 1
        page = max(1, start_page)
        while True:
            if reserved:
                reserved -= 1
            elif not fetcher.budget.acquire(1):
                return result
            answer = fetcher.get(
                f"/repos/{target.owner}/{target.name}/issues",
                params={
                    "state": "open",
                    "labels": ref.label,
                    "sort": "updated",
                    "direction": "desc",
                    "per_page": PER_PAGE,
                    "page": page,
                },
                etag=known.issues_etag if page == 1 else None,
                installation_id=ref.installation_id,
            )
            if answer.not_modified:
                result.issues_not_modified = result.complete = True
                return result
            if page == 1:
                result.first_page_etag = answer.etag
            result.pages.append(list(answer.data or []))
            if not answer.next_url or not answer.data:
                result.complete = True
                return result
            page += 1
            result.next_page = page
    except GitHubRateLimited as exc:
        result.retry_after = exc.retry_after or RATE_LIMIT_PAUSE
    except BudgetSpent:
        pass  # a redirect found no request left: resume at this step
    except ArgusError as exc:
        result.failed = str(exc)[:300] or type(exc).__name__
    finally:
        if reserved:
            fetcher.budget.release(reserved)
    return result


def _moved_to(ref: RepoRef, answer: Answer) -> str | None:
    """The new ``owner/name`` when GitHub redirected the metadata request to another name."""
    if not answer.redirected or not isinstance(answer.data, dict):
        return None
    name = answer.data.get("full_name")
    if not isinstance(name, str) or name.count("/") != 1:
        return None
    return name if name.lower() != ref.full_name.lower() else None
