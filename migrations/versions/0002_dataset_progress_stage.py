"""dataset generation stage, one generation at a time

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# the same filter as app.models.GENERATING_WHERE, frozen here as migrations must be
GENERATING_WHERE = "status = 'generating'"


def upgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.add_column(
            sa.Column("stage", sa.String(length=100), nullable=False, server_default="")
        )
    with op.batch_alter_table("dataset_versions") as batch:
        batch.alter_column("stage", server_default=None)
    op.create_index(
        "uq_dataset_versions_one_generating",
        "dataset_versions",
        ["status"],
        unique=True,
        postgresql_where=sa.text(GENERATING_WHERE),
        sqlite_where=sa.text(GENERATING_WHERE),
    )


def downgrade() -> None:
    op.drop_index(
        "uq_dataset_versions_one_generating",
        table_name="dataset_versions",
        postgresql_where=sa.text(GENERATING_WHERE),
        sqlite_where=sa.text(GENERATING_WHERE),
    )
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_column("stage")
