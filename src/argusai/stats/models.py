"""The daily rollup of reviews (seed 002 ``review_metrics``): one row per repository and day.

Counts and sums are stored, not only the seed's averages and rates, so that days and
repositories add up exactly (an average of averages would not); the seed's
``avg_review_time_ms``, ``cache_hit_rate`` and ``error_rate`` are kept beside them for
its queries. A row outlives the reviews it was made from (retention prunes raw rows).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from argusai.store.models import Base, utcnow


class ReviewMetrics(Base):
    """What the reviews that finished on ``date`` (UTC) in ``repo_name`` add up to."""

    __tablename__ = "review_metrics"
    __table_args__ = (UniqueConstraint("repo_name", "date", name="uq_review_metrics_repo_date"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    repo_name: Mapped[str] = mapped_column(String(255))
    date: Mapped[date] = mapped_column(Date)
    total_reviews: Mapped[int] = mapped_column(Integer, default=0)  # done, skipped ones not
    failed_reviews: Mapped[int] = mapped_column(Integer, default=0)  # retries ran out
    handed_off_reviews: Mapped[int] = mapped_column(  # made by the repository's workflow
        Integer, default=0, server_default="0"
    )
    cache_hits: Mapped[int] = mapped_column(Integer, default=0)
    comments_count: Mapped[int] = mapped_column(Integer, default=0)  # posted inline
    summarised_count: Mapped[int] = mapped_column(Integer, default=0)  # in the summary only
    severity_critical: Mapped[int] = mapped_column(Integer, default=0)
    severity_high: Mapped[int] = mapped_column(Integer, default=0)
    severity_medium: Mapped[int] = mapped_column(Integer, default=0)
    severity_low: Mapped[int] = mapped_column(Integer, default=0)
    findings_llm: Mapped[int] = mapped_column(Integer, default=0)
    findings_check: Mapped[int] = mapped_column(Integer, default=0)
    rejected_count: Mapped[int] = mapped_column(Integer, default=0)
    prompt_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    completion_tokens: Mapped[int] = mapped_column(BigInteger, default=0)
    cost_usd: Mapped[float] = mapped_column(Float, default=0.0)
    review_time_ms_total: Mapped[int] = mapped_column(BigInteger, default=0)
    timed_reviews: Mapped[int] = mapped_column(Integer, default=0)  # reviews with a total_ms
    accepted: Mapped[int] = mapped_column(Integer, default=0)  # of the findings posted that day
    dismissed: Mapped[int] = mapped_column(Integer, default=0)
    avg_review_time_ms: Mapped[int | None] = mapped_column(Integer)
    cache_hit_rate: Mapped[float | None] = mapped_column(Float)
    error_rate: Mapped[float | None] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
