"""The reminder table becomes the outbox for everything the bot sends after a change.

Review cards, card updates, notices, home-page refreshes, closed reminders and summary
corrections are written to it in the same transaction as the change that needs them
(issue 11: commit first, then acknowledge), beside the planned reminders. Rows that may be
refreshed again (a card, a home page) are coalesced by key with a generation counter.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_status_due")
    op.rename_table("reminder", "outbox")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.alter_column("recipient_id", existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=32), type_=sa.String(length=200)
        )
        batch_op.alter_column(
            "message_ts", existing_type=sa.String(length=32), type_=sa.String(length=100)
        )
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("generation", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column("uncertain", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("surface", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_outbox_status_due", ["status", "urgent", "due_at"])

    with op.batch_alter_table("message_ref", schema=None) as batch_op:
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=40), type_=sa.String(length=200)
        )
        batch_op.alter_column("ts", existing_type=sa.String(length=40), type_=sa.String(length=100))
        batch_op.add_column(
            sa.Column("surface", sa.String(length=10), nullable=False, server_default="slack")
        )

    with op.batch_alter_table("summary_post", schema=None) as batch_op:
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=40), type_=sa.String(length=200)
        )
        batch_op.alter_column(
            "message_ts", existing_type=sa.String(length=40), type_=sa.String(length=100)
        )
        batch_op.add_column(
            sa.Column("surface", sa.String(length=10), nullable=False, server_default="slack")
        )

    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("slack_dm_channel", sa.String(length=40), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("slack_dm_channel")
    with op.batch_alter_table("summary_post", schema=None) as batch_op:
        batch_op.drop_column("surface")
        batch_op.alter_column(
            "message_ts", existing_type=sa.String(length=100), type_=sa.String(length=40)
        )
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=200), type_=sa.String(length=40)
        )
    with op.batch_alter_table("message_ref", schema=None) as batch_op:
        batch_op.drop_column("surface")
        batch_op.alter_column("ts", existing_type=sa.String(length=100), type_=sa.String(length=40))
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=200), type_=sa.String(length=40)
        )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_status_due")
        batch_op.drop_column("surface")
        batch_op.drop_column("urgent")
        batch_op.drop_column("uncertain")
        batch_op.drop_column("generation")
        batch_op.drop_column("payload")
        batch_op.alter_column(
            "message_ts", existing_type=sa.String(length=100), type_=sa.String(length=32)
        )
        batch_op.alter_column(
            "channel", existing_type=sa.String(length=200), type_=sa.String(length=32)
        )
        batch_op.alter_column("recipient_id", existing_type=sa.Integer(), nullable=False)
    op.rename_table("outbox", "reminder")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_status_due", ["status", "due_at"])
