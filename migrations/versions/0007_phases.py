"""phases of a dataset version, frozen snapshots of closed phases, public/private results

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "phases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("dataset_version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("daily_quota", sa.Integer(), nullable=True),
        sa.Column("ladder", sa.String(length=16), nullable=True),
        sa.Column("ladder_threshold", sa.Float(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["dataset_version_id"],
            ["dataset_versions.id"],
            name=op.f("fk_phases_dataset_version_id_dataset_versions"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"],
            ["users.id"],
            name=op.f("fk_phases_closed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phases")),
        sa.UniqueConstraint("dataset_version_id", "name", name="uq_phases_name"),
    )
    op.create_index(
        op.f("ix_phases_dataset_version_id"), "phases", ["dataset_version_id"], unique=False
    )
    op.create_table(
        "phase_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phase_id", sa.Integer(), nullable=False),
        sa.Column("evaluator_version", sa.String(length=50), nullable=False),
        sa.Column("ground_truth_checksum", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["phase_id"],
            ["phases.id"],
            name=op.f("fk_phase_snapshots_phase_id_phases"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_phase_snapshots")),
        sa.UniqueConstraint("phase_id", name=op.f("uq_phase_snapshots_phase_id")),
    )
    # every version that was ever released (or holds submissions) gets a continuous phase;
    # those no longer active were closed to uploads and showed everything: closed phases
    op.execute(
        "INSERT INTO phases (dataset_version_id, name, kind, opens_at, closed_at, created_at) "
        "SELECT id, 'development', 'continuous', COALESCE(released_at, created_at), "
        "CASE WHEN is_active THEN NULL ELSE COALESCE(finished_at, created_at) END, "
        "COALESCE(released_at, created_at) FROM dataset_versions "
        "WHERE released_at IS NOT NULL OR is_active "
        "OR id IN (SELECT dataset_version_id FROM submissions)"
    )
    with op.batch_alter_table("submissions") as batch:
        batch.add_column(sa.Column("phase_id", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE submissions SET phase_id = (SELECT phases.id FROM phases "
        "WHERE phases.dataset_version_id = submissions.dataset_version_id)"
    )
    with op.batch_alter_table("submissions") as batch:
        batch.alter_column("phase_id", existing_type=sa.Integer(), nullable=False)
        batch.create_foreign_key(
            op.f("fk_submissions_phase_id_phases"),
            "phases",
            ["phase_id"],
            ["id"],
            ondelete="RESTRICT",
        )
        batch.create_index(op.f("ix_submissions_phase_id"), ["phase_id"], unique=False)
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("metrics_public", sa.JSON(), nullable=True))
        batch.add_column(sa.Column("metrics_private", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.drop_column("metrics_private")
        batch.drop_column("metrics_public")
    with op.batch_alter_table("submissions") as batch:
        batch.drop_index(op.f("ix_submissions_phase_id"))
        batch.drop_constraint(op.f("fk_submissions_phase_id_phases"), type_="foreignkey")
        batch.drop_column("phase_id")
    op.drop_table("phase_snapshots")
    op.drop_index(op.f("ix_phases_dataset_version_id"), table_name="phases")
    op.drop_table("phases")
