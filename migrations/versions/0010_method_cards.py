"""method cards: who made a method and how (Markdown description, code, paper, data, compute)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "method_cards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_key", sa.String(length=32), nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=100), nullable=False),
        sa.Column("authors", sa.Text(), nullable=False),
        sa.Column("affiliation", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("code_url", sa.String(length=500), nullable=False),
        sa.Column("paper", sa.String(length=500), nullable=False),
        sa.Column("training_data", sa.Text(), nullable=False),
        sa.Column("compute_hardware", sa.String(length=300), nullable=False),
        sa.Column("compute_time", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["team_id"],
            ["teams.id"],
            name=op.f("fk_method_cards_team_id_teams"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_method_cards_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_method_cards_updated_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_method_cards")),
        sa.UniqueConstraint("owner_key", "method", name="uq_method_cards_owner_method"),
    )
    op.create_index(op.f("ix_method_cards_team_id"), "method_cards", ["team_id"], unique=False)
    op.create_index(op.f("ix_method_cards_user_id"), "method_cards", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_method_cards_user_id"), table_name="method_cards")
    op.drop_index(op.f("ix_method_cards_team_id"), table_name="method_cards")
    op.drop_table("method_cards")
