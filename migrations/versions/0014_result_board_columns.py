"""what the leaderboard shows of each result part, kept beside its documents

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

COLUMNS = ("board_public", "board_private", "board_samples_public", "board_samples_private")
BATCH = 200  # results read at a time: each holds three documents of up to ~60 KB


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("board_public", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("board_private", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("board_samples_public", sa.LargeBinary(), nullable=True))
        batch.add_column(sa.Column("board_samples_private", sa.LargeBinary(), nullable=True))
    # fill them for the results already scored, with the very function every write uses (a
    # result left unfilled would still read right, from its documents, only slower)
    from app.services.board_figures import board_columns

    results = sa.table(
        "results",
        sa.column("id", sa.Integer()),
        sa.column("metrics", sa.JSON()),
        sa.column("metrics_public", sa.JSON()),
        sa.column("metrics_private", sa.JSON()),
        sa.column("board_public", sa.JSON()),
        sa.column("board_private", sa.JSON()),
        sa.column("board_samples_public", sa.LargeBinary()),
        sa.column("board_samples_private", sa.LargeBinary()),
    )
    bind = op.get_bind()
    ids = bind.scalars(sa.select(results.c.id).order_by(results.c.id)).all()
    for start in range(0, len(ids), BATCH):
        documents = bind.execute(
            sa.select(
                results.c.id,
                results.c.metrics,
                results.c.metrics_public,
                results.c.metrics_private,
            ).where(results.c.id.in_(ids[start : start + BATCH]))
        ).all()
        for result_id, metrics, public, private in documents:
            bind.execute(
                results.update()
                .where(results.c.id == result_id)
                .values(board_columns(metrics, public, private))
            )


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        for name in reversed(COLUMNS):
            batch.drop_column(name)
