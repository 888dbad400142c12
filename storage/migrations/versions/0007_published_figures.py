"""Published figures (snapshots of a quarter as posted or signed off), the exception-report
setting on the council, and the singular of a measure's units.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 19:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "published_figures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=12), nullable=False),
        sa.Column("published_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=254), nullable=False),
        sa.Column("occasion", sa.String(length=300), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("published_figures", schema=None) as batch_op:
        batch_op.create_index(
            "ix_published_figures_quarter", ["quarter", "published_at"], unique=False
        )
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.add_column(sa.Column("exception_reports", sa.JSON(), nullable=True))
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("units_one", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_column("units_one")
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.drop_column("exception_reports")
    with op.batch_alter_table("published_figures", schema=None) as batch_op:
        batch_op.drop_index("ix_published_figures_quarter")
    op.drop_table("published_figures")
