"""a secret per dataset version for its hidden test tomograms; versions made before it are
marked compromised (their test tomogram could be rebuilt from the public seed)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# frozen here as migrations must be; the same text as app.services.hidden_test.PUBLIC_SEED_TEST
COMPROMISED = (
    "its hidden test tomogram was simulated from the public seed, so anyone could rebuild "
    "the ground truth; its leaderboard is not a fair ranking. Generate a new version."
)


def upgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.add_column(sa.Column("test_secret", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("compromised", sa.Text(), nullable=True))
    versions = sa.table(
        "dataset_versions",
        sa.column("id", sa.Integer()),
        sa.column("test_secret", sa.String()),
        sa.column("compromised", sa.Text()),
    )
    connection = op.get_bind()
    for (version_id,) in connection.execute(sa.select(versions.c.id)).all():
        connection.execute(
            versions.update()
            .where(versions.c.id == version_id)
            .values(test_secret=secrets.token_hex(32), compromised=COMPROMISED)
        )
    with op.batch_alter_table("dataset_versions") as batch:
        batch.alter_column("test_secret", existing_type=sa.String(length=64), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions") as batch:
        batch.drop_column("compromised")
        batch.drop_column("test_secret")
