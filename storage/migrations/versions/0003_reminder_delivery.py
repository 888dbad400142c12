"""Reminder delivery: claims, deadlines and cover on the outbox; the reminder policy.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 12:49:37.870925
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders", sa.JSON(), nullable=True))

    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deadline", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("working_days_before", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("claimed_by", sa.String(length=80), nullable=True))
        batch_op.add_column(
            sa.Column("claimed_at", storage.types.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")
        batch_op.drop_column("claimed_by")
        batch_op.drop_column("on_behalf_of")
        batch_op.drop_column("version")
        batch_op.drop_column("working_days_before")
        batch_op.drop_column("deadline")

    with op.batch_alter_table("council", schema=None) as batch_op:
        batch_op.drop_column("reminders")
