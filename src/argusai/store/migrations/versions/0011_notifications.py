"""notifications as work items (issue 12)

Routes (per installation, repository, tenant or global; URL and signing secret
encrypted), one work item per message to a channel, the events each message holds
(unique per channel and event key: the dedup memory), and the dead-letter scan's mark.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07

"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _when(name: str, nullable: bool = False) -> sa.Column[Any]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "notify_routes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("scope_key", sa.String(length=255), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("channel_key", sa.String(length=32), nullable=False),
        sa.Column("url_encrypted", sa.LargeBinary(), nullable=False),
        sa.Column("url_display", sa.String(length=512), nullable=False),
        sa.Column("secret_encrypted", sa.LargeBinary(), nullable=True),
        sa.Column("events", sa.String(length=512), nullable=False),
        _when("created_at"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("scope", "scope_key", "channel_key", name="uq_notify_routes_channel"),
    )
    with op.batch_alter_table("notify_routes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_notify_routes_channel_key"), ["channel_key"], unique=False
        )

    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel_key", sa.String(length=32), nullable=False),
        sa.Column("channel_display", sa.String(length=512), nullable=False),
        sa.Column("event_kind", sa.String(length=32), nullable=False),
        sa.Column("events_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _when("next_attempt_at"),
        _when("dispatched_at", True),
        _when("lease_expires_at", True),
        sa.Column("lease_owner", sa.String(length=64), nullable=True),
        sa.Column("error_message", sa.Text(), nullable=True),
        _when("created_at"),
        _when("started_at", True),
        _when("completed_at", True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.create_index(
            "idx_notifications_status", ["status", "next_attempt_at"], unique=False
        )
        batch_op.create_index(
            "idx_notifications_channel", ["channel_key", "event_kind", "created_at"], unique=False
        )

    op.create_table(
        "notify_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=False),
        sa.Column("channel_key", sa.String(length=32), nullable=False),
        sa.Column("event_key", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=1024), nullable=True),
        sa.Column("installation_id", sa.BigInteger(), nullable=True),
        sa.Column("repo_name", sa.String(length=255), nullable=True),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("data", sa.JSON(), nullable=True),
        _when("created_at"),
        sa.ForeignKeyConstraint(["notification_id"], ["notifications.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("channel_key", "event_key", name="uq_notify_events_key"),
    )
    with op.batch_alter_table("notify_events", schema=None) as batch_op:
        batch_op.create_index("idx_notify_events_notification", ["notification_id"], unique=False)

    op.create_table(
        "notify_marks",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("notify_marks")
    with op.batch_alter_table("notify_events", schema=None) as batch_op:
        batch_op.drop_index("idx_notify_events_notification")
    op.drop_table("notify_events")
    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("idx_notifications_channel")
        batch_op.drop_index("idx_notifications_status")
    op.drop_table("notifications")
    with op.batch_alter_table("notify_routes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_notify_routes_channel_key"))
    op.drop_table("notify_routes")
