"""baseline runs: one status row per reference picker run on a dataset version

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# the same filter as app.models.PENDING_RUN_WHERE, frozen here as migrations must be
PENDING_RUN_WHERE = "status IN ('queued', 'training', 'predicting')"


def upgrade() -> None:
    op.create_table(
        "baseline_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("config", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_baseline_runs_dataset_version_id_dataset_versions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submissions.id"],
            name=op.f("fk_baseline_runs_submission_id_submissions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_baseline_runs_requested_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_baseline_runs")),
    )
    op.create_index(
        op.f("ix_baseline_runs_dataset_version_id"), "baseline_runs", ["dataset_version_id"]
    )
    op.create_index(
        "uq_baseline_runs_one_pending",
        "baseline_runs",
        ["dataset_version_id", "name"],
        unique=True,
        postgresql_where=sa.text(PENDING_RUN_WHERE),
        sqlite_where=sa.text(PENDING_RUN_WHERE),
    )


def downgrade() -> None:
    op.drop_index("uq_baseline_runs_one_pending", table_name="baseline_runs")
    op.drop_index(op.f("ix_baseline_runs_dataset_version_id"), table_name="baseline_runs")
    op.drop_table("baseline_runs")
