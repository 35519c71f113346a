"""one work queue: the same work-item columns on every work table; dead letters of any id

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07

"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from argusai.store.models import UTCDateTime, utcnow

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOUT_TABLES = ("scout_repositories", "scout_issues")


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("ci_runs") as batch:
        batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("analyses") as batch:
        batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
    for name in SCOUT_TABLES:
        with op.batch_alter_table(name) as batch:
            batch.add_column(
                sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True)
            )
            batch.add_column(sa.Column("dispatched_at", sa.DateTime(timezone=True), nullable=True))
            batch.add_column(
                sa.Column("lease_expires_at", sa.DateTime(timezone=True), nullable=True)
            )
            batch.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))
            batch.add_column(sa.Column("started_at", sa.DateTime(timezone=True), nullable=True))
        table = sa.table(name, sa.column("next_attempt_at", UTCDateTime()))
        op.execute(table.update().values(next_attempt_at=utcnow()))
        with op.batch_alter_table(name) as batch:
            batch.alter_column(
                "next_attempt_at", existing_type=sa.DateTime(timezone=True), nullable=False
            )
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column(
            "item_id",
            existing_type=sa.Integer(),
            type_=sa.String(length=64),
            existing_nullable=False,
            postgresql_using="item_id::text",
        )


def downgrade() -> None:
    """Downgrade schema (dead letters of analyses, whose ids are not numbers, are dropped)."""
    op.execute("DELETE FROM dead_letters WHERE kind = 'analysis'")
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column(
            "item_id",
            existing_type=sa.String(length=64),
            type_=sa.Integer(),
            existing_nullable=False,
            postgresql_using="item_id::integer",
        )
    for name in SCOUT_TABLES:
        with op.batch_alter_table(name) as batch:
            for column in (
                "started_at",
                "lease_owner",
                "lease_expires_at",
                "dispatched_at",
                "next_attempt_at",
            ):
                batch.drop_column(column)
    with op.batch_alter_table("analyses") as batch:
        batch.drop_column("dispatched_at")
    with op.batch_alter_table("ci_runs") as batch:
        batch.drop_column("started_at")
