"""a dataset version's scoring profile and its list of hidden test tomograms

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        # every version before this one was scored with the evaluator's native profile
        batch.add_column(
            sa.Column("profile", sa.String(length=32), nullable=False, server_default="native")
        )
        batch.add_column(
            sa.Column("test_tomograms", sa.JSON(), nullable=False, server_default="[]")
        )
    # before this column a version had exactly one test tomogram (none until it was ready)
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, test_tomogram FROM dataset_versions")).all()
    for version_id, name in rows:
        bind.execute(
            sa.text("UPDATE dataset_versions SET test_tomograms = :names WHERE id = :id"),
            {"names": json.dumps([name] if name else []), "id": version_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_column("test_tomograms")
        batch.drop_column("profile")
