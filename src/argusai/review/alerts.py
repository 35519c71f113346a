"""What a finished review tells the notification channels: that it failed, or that it
posted critical findings (the new ones of this review; a dead letter is notified as such).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from argusai.notify import events
from argusai.notify.emit import emit
from argusai.review.models import Severity
from argusai.runtime import Runtime
from argusai.store.models import FindingRecord, Review


def review_closed(get_runtime: Callable[[], Runtime]) -> Callable[[Any, str], None]:
    """The review kind's ``closed`` hook: emit ``review_failed`` / ``critical_findings``."""

    def closed(review_id: Any, outcome: str) -> None:
        if outcome not in ("failed", "done"):
            return
        rt = get_runtime()
        event = _event(rt, int(review_id), outcome)
        if event is not None:
            emit(rt, event)

    return closed


def _event(rt: Runtime, review_id: int, outcome: str) -> events.Event | None:
    web_url = events.github_web_url(rt.settings.github_api_url)
    with rt.db.session() as s:
        row = s.get(Review, review_id)
        if row is None:
            return None
        if outcome == "failed":
            return events.review_failed(
                web_url=web_url,
                repo=row.repo_name,
                pr=row.pr_number,
                sha=row.sha,
                review_id=row.id,
                reason=row.error_message or "failed",
                installation_id=row.installation_id,
            )
        critical = s.execute(
            select(FindingRecord.path, FindingRecord.line, FindingRecord.title)
            .where(
                FindingRecord.review_id == review_id,
                FindingRecord.severity == Severity.CRITICAL.value,
            )
            .order_by(FindingRecord.id)
        ).all()
        if not critical:
            return None
        return events.critical_findings(
            web_url=web_url,
            repo=row.repo_name,
            pr=row.pr_number,
            sha=row.sha,
            findings=[(path, line, title) for path, line, title in critical],
            installation_id=row.installation_id,
        )
