"""when a dataset version was first activated (released to participants)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    # before this column, a version had been released if it is active or has submissions
    op.execute(
        "UPDATE dataset_versions SET released_at = finished_at WHERE status = 'ready' AND "
        "(is_active OR id IN (SELECT dataset_version_id FROM submissions))"
    )


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_column("released_at")
