"""Projects beside measures (issue 14): a measure row's kind and milestones, a submission's
reported milestone states, and the council's project RAGG rule (working days late for Amber).

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 03:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=10), nullable=False, server_default="measure")
        )
        batch_op.add_column(sa.Column("milestones", sa.JSON(), nullable=True))
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("milestones", sa.JSON(), nullable=True))
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("project_amber_days", sa.Integer(), nullable=False, server_default="10")
        )


def downgrade() -> None:
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.drop_column("project_amber_days")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("milestones")
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_column("milestones")
        batch_op.drop_column("kind")
