"""review history, daily rollups and the audit log (issue 12)

Per review: what it covered, its timings, where its findings went, its experiment arm;
per finding: its source (LLM or deterministic check); the daily ``review_metrics`` rollup
(seed 002) and the operator audit log.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: counters added to ``reviews``: NOT NULL, existing rows start at 0
_REVIEW_COUNTERS = (
    "files_reviewed",
    "files_skipped",
    "lines_reviewed",
    "lines_skipped",
    "context_tokens",
    "findings_llm",
    "findings_check",
    "summarised_count",
    "rejected_count",
)
_REVIEW_TIMINGS = ("llm_ms", "queue_wait_ms", "total_ms")


def _count(name: str, kind: Any = None) -> sa.Column[Any]:
    return sa.Column(name, kind or sa.Integer(), nullable=False, server_default=sa.text("0"))


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.add_column(sa.Column("experiment_arm", sa.String(length=64), nullable=True))
        for name in _REVIEW_COUNTERS:
            batch_op.add_column(_count(name))
        batch_op.add_column(
            sa.Column("cache_hit", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        for name in _REVIEW_TIMINGS:
            batch_op.add_column(sa.Column(name, sa.Integer(), nullable=True))
        batch_op.create_index("idx_reviews_completed", ["completed_at"], unique=False)

    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "source", sa.String(length=16), nullable=False, server_default=sa.text("'llm'")
            )
        )

    op.create_table(
        "review_metrics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        _count("total_reviews"),
        _count("failed_reviews"),
        _count("cache_hits"),
        _count("comments_count"),
        _count("summarised_count"),
        _count("severity_critical"),
        _count("severity_high"),
        _count("severity_medium"),
        _count("severity_low"),
        _count("findings_llm"),
        _count("findings_check"),
        _count("rejected_count"),
        _count("prompt_tokens", sa.BigInteger()),
        _count("completion_tokens", sa.BigInteger()),
        sa.Column("cost_usd", sa.Float(), nullable=False, server_default=sa.text("0")),
        _count("review_time_ms_total", sa.BigInteger()),
        _count("timed_reviews"),
        _count("accepted"),
        _count("dismissed"),
        sa.Column("avg_review_time_ms", sa.Integer(), nullable=True),
        sa.Column("cache_hit_rate", sa.Float(), nullable=True),
        sa.Column("error_rate", sa.Float(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repo_name", "date", name="uq_review_metrics_repo_date"),
    )

    op.create_table(
        "operator_audit",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("target", sa.String(length=255), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("operator_audit", schema=None) as batch_op:
        batch_op.create_index("idx_operator_audit_created", ["created_at"], unique=False)


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("operator_audit", schema=None) as batch_op:
        batch_op.drop_index("idx_operator_audit_created")
    op.drop_table("operator_audit")
    op.drop_table("review_metrics")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("source")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index("idx_reviews_completed")
        for name in reversed(_REVIEW_TIMINGS):
            batch_op.drop_column(name)
        batch_op.drop_column("cache_hit")
        for name in reversed(_REVIEW_COUNTERS):
            batch_op.drop_column(name)
        batch_op.drop_column("experiment_arm")
