"""reviews.lease_owner: who holds a running review's lease

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the lease owner column."""
    with op.batch_alter_table("reviews") as batch:
        batch.add_column(sa.Column("lease_owner", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop the lease owner column."""
    with op.batch_alter_table("reviews") as batch:
        batch.drop_column("lease_owner")
