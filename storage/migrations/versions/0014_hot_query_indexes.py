"""Indexes for the hot queries, found with EXPLAIN on SQLite and PostgreSQL (issue 11): a
person's recent decisions (review.decided_by, decided_at; submission.submitted_by), the review
queue (period_value.state), the leave a person covers (leave.cover_id) and the outbox rows
still to send (a partial index, so the claim never walks the rows already sent).

Revision ID: 0014
Revises: 0012
Create Date: 2026-11-29 03:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0012"
branch_labels = None
depends_on = None

OPEN = "status IN ('pending', 'sending')"


def upgrade() -> None:
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index("ix_review_decided_by_at", ["decided_by", "decided_at"], unique=False)
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index("ix_submission_submitted_by", ["submitted_by"], unique=False)
    with op.batch_alter_table("period_value", schema=None) as batch_op:
        batch_op.create_index("ix_period_value_state", ["state"], unique=False)
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leave_cover_id"), ["cover_id"], unique=False)
    op.create_index(
        "ix_outbox_open",
        "outbox",
        ["urgent", "due_at"],
        unique=False,
        postgresql_where=sa.text(OPEN),
        sqlite_where=sa.text(OPEN),
    )


def downgrade() -> None:
    op.drop_index("ix_outbox_open", table_name="outbox")
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leave_cover_id"))
    with op.batch_alter_table("period_value", schema=None) as batch_op:
        batch_op.drop_index("ix_period_value_state")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index("ix_submission_submitted_by")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index("ix_review_decided_by_at")
