"""Microsoft Teams (issue 12): a person's Teams user id and chosen surface, and the stored
conversation references the bot writes to proactively.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 23:50:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("teams_user_id", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("surface", sa.String(length=10), nullable=True))
        batch_op.create_index("ix_person_teams_user_id", ["teams_user_id"], unique=False)
    op.create_table(
        "teams_conversation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.String(length=200), nullable=False),
        sa.Column("service_url", sa.String(length=300), nullable=False),
        sa.Column("tenant_id", sa.String(length=64), nullable=True),
        sa.Column("user_id", sa.String(length=200), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("teams_conversation", schema=None) as batch_op:
        batch_op.create_index(
            "ix_teams_conversation_conversation_id", ["conversation_id"], unique=True
        )
        batch_op.create_index("ix_teams_conversation_user_id", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_table("teams_conversation")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index("ix_person_teams_user_id")
        batch_op.drop_column("surface")
        batch_op.drop_column("teams_user_id")
