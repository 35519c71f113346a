"""CI agent v2: the history of failing tests and steps (flaky on re-run), runs by commit (issue 14)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-14

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_index("idx_ci_runs_commit", "ci_runs", ["repo_name", "head_sha"])
    op.create_table(
        "ci_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ci_run_id", sa.Integer(), nullable=False),
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("workflow_name", sa.String(length=255), nullable=True),
        sa.Column("job_name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("runner", sa.String(length=16), nullable=True),
        sa.Column("name", sa.String(length=500), nullable=False),
        sa.Column("head_sha", sa.String(length=64), nullable=False),
        sa.Column("run_id", sa.BigInteger(), nullable=False),
        sa.Column("run_attempt", sa.Integer(), nullable=False),
        sa.Column("failed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("passed_on_rerun_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("passed_run_id", sa.BigInteger(), nullable=True),
        sa.Column("passed_run_attempt", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["ci_run_id"], ["ci_runs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("ci_run_id", "job_name", "kind", "name", name="uq_ci_failure"),
    )
    op.create_index("idx_ci_failures_name", "ci_failures", ["repo_name", "name", "failed_at"])
    op.create_index("idx_ci_failures_commit", "ci_failures", ["repo_name", "head_sha"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("idx_ci_failures_commit", table_name="ci_failures")
    op.drop_index("idx_ci_failures_name", table_name="ci_failures")
    op.drop_table("ci_failures")
    op.drop_index("idx_ci_runs_commit", table_name="ci_runs")
