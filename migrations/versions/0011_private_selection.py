"""a submission selected by its team (or user) for the private board of its phase

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # existing rows: nobody chose yet, so every entry has its default (its best public one)
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(
            sa.Column("selected", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("selected", existing_type=sa.Boolean(), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("submissions") as batch:
        batch.drop_column("selected")
