"""commands, suppressions and finding outcomes (issue 11)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "pr_commands",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=True),
        sa.Column("dedup_key", sa.String(length=160), nullable=False),
        sa.Column("installation_id", sa.BigInteger(), nullable=False),
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("addressed", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("in_reply_to_id", sa.BigInteger(), nullable=True),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("dispatched_at", True),
        _when("lease_expires_at", True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("result", sa.String(length=200), nullable=True),
        sa.Column("reply_id", sa.BigInteger(), nullable=True),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        sa.Column("cost_usd", sa.Float(), nullable=False),
        sa.Column("error_message", sa.Text(), nullable=True),
        _when("created_at"),
        _when("started_at", True),
        _when("completed_at", True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("dedup_key", name="uq_pr_commands_dedup"),
    )
    with op.batch_alter_table("pr_commands", schema=None) as batch_op:
        batch_op.create_index("idx_pr_commands_repo_pr", ["repo_name", "pr_number"], unique=False)
        batch_op.create_index("idx_pr_commands_status", ["status", "next_attempt_at"], unique=False)

    op.create_table(
        "pr_states",
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("changed_by", sa.String(length=255), nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("repo_name", "pr_number"),
    )
    op.create_table(
        "command_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repo_name", "pr_number", "user", "kind", name="uq_command_notices"),
    )
    op.create_table(
        "suppressions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=True),
        sa.Column("fingerprint", sa.String(length=64), nullable=True),
        sa.Column("title_key", sa.Text(), nullable=True),
        sa.Column("path_glob", sa.String(length=1024), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("created_by", sa.String(length=255), nullable=False),
        sa.Column("source_comment_id", sa.BigInteger(), nullable=True),
        sa.Column("hits", sa.Integer(), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.create_index("idx_suppressions_repo", ["repo_name", "pr_number"], unique=False)

    op.create_table(
        "finding_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repo_name", sa.String(length=255), nullable=False),
        sa.Column("pr_number", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("comment_id", sa.BigInteger(), nullable=True),
        sa.Column("path", sa.String(length=1024), nullable=False),
        sa.Column("line", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("ignored", sa.Boolean(), nullable=False),
        sa.Column("thread_state", sa.String(length=16), nullable=True),
        sa.Column("lines_changed", sa.Boolean(), nullable=True),
        sa.Column("thumbs_up", sa.Integer(), nullable=False),
        sa.Column("thumbs_down", sa.Integer(), nullable=False),
        sa.Column("suggestion_applied", sa.Boolean(), nullable=False),
        _when("created_at"),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repo_name", "pr_number", "fingerprint", name="uq_finding_outcomes"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("finding_outcomes")
    with op.batch_alter_table("suppressions", schema=None) as batch_op:
        batch_op.drop_index("idx_suppressions_repo")
    op.drop_table("suppressions")
    op.drop_table("command_notices")
    op.drop_table("pr_states")
    with op.batch_alter_table("pr_commands", schema=None) as batch_op:
        batch_op.drop_index("idx_pr_commands_status")
        batch_op.drop_index("idx_pr_commands_repo_pr")
    op.drop_table("pr_commands")
