"""Every answer ``argus stats`` shows, asked once: the report of a period (and repository)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from argusai.stats.acceptance import Acceptance, acceptance_rates
from argusai.stats.ci import (
    CIStats,
    FailureCategory,
    ci_failure_categories,
    ci_repositories,
    ci_summary,
)
from argusai.stats.period import Period
from argusai.stats.reviews import (
    CategoryCount,
    DailyMetrics,
    ReviewSummary,
    TriggerCount,
    daily_review_metrics,
    finding_categories,
    repository_summaries,
    review_summary,
    review_triggers,
)
from argusai.stats.scout import ScoutStats, scout_summary
from argusai.store.db import Database

#: categories shown per repository, repositories shown
TOP_CATEGORIES = 5
TOP_REPOSITORIES = 10


@dataclass(frozen=True)
class StatsReport:
    """Reviews, CI explanations and the scout over ``period`` (``repo``: one repository)."""

    period: Period
    repo: str | None
    reviews: ReviewSummary
    daily: list[DailyMetrics]
    repositories: list[ReviewSummary]
    triggers: list[TriggerCount]
    categories: list[CategoryCount]
    acceptance_by_repository: list[Acceptance]
    acceptance_by_model: list[Acceptance]
    acceptance_by_prompt_version: list[Acceptance]
    acceptance_by_experiment_arm: list[Acceptance]
    ci: CIStats
    ci_repositories: list[CIStats]
    ci_failure_categories: list[FailureCategory]
    scout: ScoutStats | None  # not per repository: None when one repository is asked for


def build_report(db: Database, period: Period, *, repo: str | None = None) -> StatsReport:
    """Ask every question of ``period``."""

    def accepted(by: Any) -> list[Acceptance]:
        return acceptance_rates(db, period, by=by, repo=repo)

    arms = [a for a in accepted("experiment_arm") if a.key is not None]
    return StatsReport(
        period=period,
        repo=repo,
        reviews=review_summary(db, period, repo=repo),
        daily=daily_review_metrics(db, period, repo=repo),
        repositories=repository_summaries(db, period, repo=repo, limit=TOP_REPOSITORIES),
        triggers=review_triggers(db, period, repo=repo),
        categories=finding_categories(db, period, repo=repo, per_repo=TOP_CATEGORIES),
        acceptance_by_repository=accepted("repository"),
        acceptance_by_model=accepted("model"),
        acceptance_by_prompt_version=accepted("prompt_version"),
        acceptance_by_experiment_arm=arms,
        ci=ci_summary(db, period, repo=repo),
        ci_repositories=ci_repositories(db, period, repo=repo),
        ci_failure_categories=ci_failure_categories(db, period, repo=repo),
        scout=None if repo is not None else scout_summary(db, period),
    )


#: the derived figures (properties) that JSON output carries beside the fields
_PROPERTIES = ("cache_hit_rate", "error_rate", "rate", "open", "not_modified_share")


def plain(value: Any) -> Any:
    """``value`` as JSON-ready data: dataclasses as objects (with their rates), dates as ISO."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in _PROPERTIES:
            if hasattr(type(value), name):
                out[name] = getattr(value, name)
        return out
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value
