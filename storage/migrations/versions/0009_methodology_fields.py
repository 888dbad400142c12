"""The rest of the methodology statement: purpose, worked example, quality assurance and the
strategic lead (seed 002 Appendix 2), all optional.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 23:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.add_column(sa.Column("purpose", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("worked_example", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("quality_assurance", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("strategic_lead_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_measure_strategic_lead_id_person", "person", ["strategic_lead_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_constraint("fk_measure_strategic_lead_id_person", type_="foreignkey")
        batch_op.drop_column("strategic_lead_id")
        batch_op.drop_column("quality_assurance")
        batch_op.drop_column("worked_example")
        batch_op.drop_column("purpose")
