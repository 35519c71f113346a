"""What a finished crawl tells the notification channels (when its chain of runs ended)."""

from __future__ import annotations

from argusai.notify import events
from argusai.notify.emit import emit
from argusai.runtime import Runtime
from argusai.scout.crawl import CrawlReport


def notify_finished(rt: Runtime, report: CrawlReport) -> None:
    """Emit ``scout_finished`` unless the run continues (its budget ran out mid-way)."""
    if report.continued:
        return
    emit(
        rt,
        events.scout_finished(
            run_id=report.run_id,
            outcome=report.outcome,
            requests=report.requests,
            not_modified=report.not_modified,
            queued=report.queued,
            skipped=len(report.skipped),
        ),
    )
