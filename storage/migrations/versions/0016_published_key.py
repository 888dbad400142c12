"""A key on published figures (issue 11): the scheduled Board-date posts of a quarter are
recorded as published once, however many processes, ticks or retries share its channels.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 07:45:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("published_figures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("key", sa.String(length=200), nullable=True))
        batch_op.create_index("uq_published_figures_key", ["key"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("published_figures", schema=None) as batch_op:
        batch_op.drop_index("uq_published_figures_key")
        batch_op.drop_column("key")
