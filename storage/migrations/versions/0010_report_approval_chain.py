"""The report's approval chain after the Heads of Service: the council's directorates,
Leadership Team and agenda deadline (a JSON column), and each Executive Director's and the
Leadership Team's decisions (seed 002 §10.2–10.3, §11.2–11.3).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 23:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.add_column(sa.Column("chain", sa.JSON(), nullable=True))
    op.create_table(
        "report_approval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=12), nullable=False),
        sa.Column("scope", sa.String(length=100), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("report_approval", schema=None) as batch_op:
        batch_op.create_index("ix_report_approval_quarter", ["quarter", "scope"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("report_approval", schema=None) as batch_op:
        batch_op.drop_index("ix_report_approval_quarter")
    op.drop_table("report_approval")
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.drop_column("chain")
