"""Asynchronous analyses of the API as a kind of work: reduce, explain, store, call back.

An analysis has ``ARGUS_CI_ANALYSIS_TIMEOUT_SECONDS`` (5 minutes) for reduce and explain
together: past it, it is failed with ``AnalysisTimeout`` (not retried). A provider failing
over and over makes it a dead letter after its retries, like every kind on the one queue
(``argus jobs dead`` / ``argus jobs retry analysis <id>``: its log is kept for that).
"""

from __future__ import annotations

import functools
import gzip
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from argusai.ciapi import analyses
from argusai.ciapi.deadline import within
from argusai.ciapi.models import AnalysisLog
from argusai.cilog.models import Analysis
from argusai.errors import PermanentError
from argusai.runtime import Runtime
from argusai.workq.kinds import Claimed, WorkKind
from argusai.workq.table import PROCESSING_WORDS, WorkTable

ANALYSIS = "analysis"
#: a synchronous analysis is run by its HTTP request: a worker never takes its lease over
ANALYSES = WorkTable(
    Analysis,
    words=PROCESSING_WORDS,
    takeover=lambda: Analysis.mode == "async",
    error_limit=analyses.MAX_ERROR_CHARS,
)


def analysis_kind(
    get_runtime: Callable[[], Runtime], call_back: Callable[[str], object]
) -> WorkKind:
    """The ``analysis`` kind; ``call_back(analysis_id)`` queues the callback once it is closed."""

    def handle(item: Claimed) -> None:
        rt = get_runtime()
        with rt.db.session() as s:
            blob = s.scalar(select(AnalysisLog.data_gzip).where(AnalysisLog.analysis_id == item.id))
        if blob is None:
            raise PermanentError("the stored log is gone")
        try:
            data = gzip.decompress(blob)
        except (OSError, EOFError, ValueError) as exc:
            raise PermanentError(f"the stored log is unreadable: {type(exc).__name__}") from None
        done = within(
            rt.settings.ci_analysis_timeout_seconds,
            functools.partial(analyses.analyse, redactor=rt.redactor),
            rt.llm,
            rt.settings,
            data,
            item.row.workflow_name,
        )
        analyses.complete(rt.db, item.id, done, item.owner)

    def closed(analysis_id: str, outcome: str) -> None:
        # a dead letter keeps its log: `argus jobs retry` analyses it again
        analyses.closed(get_runtime().db, analysis_id, keep_log=outcome == "dead")
        call_back(analysis_id)

    return WorkKind(
        name=ANALYSIS,
        table=ANALYSES,
        handle=handle,
        describe=_describe,
        context=_context,
        closed=closed,
        public_error=analyses.tenant_error,
        parse_id=str,
    )


def _describe(row: Analysis) -> str:
    return f"analysis {row.id} of tenant {row.tenant_id} ({row.logs_size_bytes} bytes)"


def _context(row: Analysis) -> dict[str, Any]:
    return {"analysis_id": row.id, "tenant_id": row.tenant_id}
