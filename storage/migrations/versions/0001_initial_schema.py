"""Initial schema: register, values and reviews, leave, reminder outbox, audit trail.

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-23 12:19:01.168142
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import storage.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(length=254), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("entity_key", sa.String(length=120), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # The chain's genesis: appending locks this row, so it must exist before the first event.
    op.bulk_insert(audit_head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table(
        "council",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region", sa.String(length=3), nullable=False),
        sa.Column("performance_board_weeks", sa.Integer(), nullable=False),
        sa.Column("closure_days", sa.JSON(), nullable=False),
        sa.Column("committee_dates", sa.JSON(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("manager_email", sa.String(length=254), nullable=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("slack_user_id", sa.String(length=32), nullable=True),
        sa.Column("slack_checked_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_email"), ["email"], unique=True)
        batch_op.create_index(
            batch_op.f("ix_person_slack_user_id"), ["slack_user_id"], unique=False
        )

    op.create_table(
        "priority",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("priority", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_priority_code"), ["code"], unique=True)

    op.create_table(
        "aim",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("priority_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["priority_id"],
            ["priority.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("aim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_aim_code"), ["code"], unique=True)
        batch_op.create_index(batch_op.f("ix_aim_priority_id"), ["priority_id"], unique=False)

    op.create_table(
        "leave",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("starts", sa.Date(), nullable=False),
        sa.Column("ends", sa.Date(), nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=True),
        sa.Column("created_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cover_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["person_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_leave_person_id"), ["person_id"], unique=False)

    op.create_table(
        "measure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=20), nullable=False),
        sa.Column("aim_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("definition", sa.Text(), nullable=False),
        sa.Column("interval", sa.String(length=10), nullable=False),
        sa.Column("reporting_lag", sa.Integer(), nullable=False),
        sa.Column("format", sa.String(length=10), nullable=False),
        sa.Column("decimals", sa.Integer(), nullable=False),
        sa.Column("polarity", sa.String(length=6), nullable=False),
        sa.Column("cumulative", sa.Boolean(), nullable=False),
        sa.Column("monitoring_only", sa.Boolean(), nullable=False),
        sa.Column("tolerance", storage.types.ExactDecimal(length=48), nullable=False),
        sa.Column("tolerance_abs", storage.types.ExactDecimal(length=48), nullable=True),
        sa.Column("committee", sa.String(length=50), nullable=True),
        sa.Column("confidence", sa.String(length=5), nullable=True),
        sa.Column("data_source", sa.Text(), nullable=True),
        sa.Column("baseline_period", sa.String(length=12), nullable=True),
        sa.Column("baseline_value", storage.types.ExactDecimal(length=48), nullable=True),
        sa.Column("units", sa.String(length=40), nullable=True),
        sa.Column("benchmarking", sa.Text(), nullable=True),
        sa.Column("collector_id", sa.Integer(), nullable=False),
        sa.Column("cover_id", sa.Integer(), nullable=True),
        sa.Column("reviewer_id", sa.Integer(), nullable=False),
        sa.Column("head_of_service_id", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["aim_id"],
            ["aim.id"],
        ),
        sa.ForeignKeyConstraint(
            ["collector_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["cover_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["head_of_service_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["reviewer_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measure_aim_id"), ["aim_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_measure_collector_id"), ["collector_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_measure_head_of_service_id"), ["head_of_service_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_measure_ref"), ["ref"], unique=True)
        batch_op.create_index(batch_op.f("ix_measure_reviewer_id"), ["reviewer_id"], unique=False)

    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=15), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=True),
        sa.Column("period", sa.String(length=12), nullable=True),
        sa.Column("recipient_id", sa.Integer(), nullable=False),
        sa.Column("due_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=True),
        sa.Column("message_ts", sa.String(length=32), nullable=True),
        sa.Column("sent_at", storage.types.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measure.id"],
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key"),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_status_due", ["status", "due_at"], unique=False)

    op.create_table(
        "submission",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("value", storage.types.ExactDecimal(length=48), nullable=False),
        sa.Column("overview", sa.Text(), nullable=False),
        sa.Column("actions", sa.Text(), nullable=True),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("submitted_by_id", sa.Integer(), nullable=True),
        sa.Column("submitted_by", sa.String(length=254), nullable=False),
        sa.Column("on_behalf_of", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submitted_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.Column("request_key", sa.String(length=120), nullable=True),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measure.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by_id"],
            ["person.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "period", "version", name="uq_submission_version"),
        sa.UniqueConstraint("request_key"),
    )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_submission_measure_id"), ["measure_id"], unique=False)

    op.create_table(
        "target",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("low", storage.types.ExactDecimal(length=48), nullable=False),
        sa.Column("high", storage.types.ExactDecimal(length=48), nullable=True),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "period", name="uq_target_measure_period"),
    )
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_target_measure_id"), ["measure_id"], unique=False)

    op.create_table(
        "period_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=12), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("approved_value", storage.types.ExactDecimal(length=48), nullable=True),
        sa.Column("approved_submission_id", sa.Integer(), nullable=True),
        sa.Column("latest_submission_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["approved_submission_id"],
            ["submission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["latest_submission_id"],
            ["submission.id"],
        ),
        sa.ForeignKeyConstraint(
            ["measure_id"],
            ["measure.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("measure_id", "period", name="uq_period_value_measure_period"),
    )
    with op.batch_alter_table("period_value", schema=None) as batch_op:
        batch_op.create_index("ix_period_value_period", ["period"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_period_value_measure_id"), ["measure_id"], unique=False
        )

    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=254), nullable=False),
        sa.Column("decided_at", storage.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["person.id"],
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("submission_id"),
    )


def downgrade() -> None:
    op.drop_table("review")
    with op.batch_alter_table("period_value", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_period_value_measure_id"))
        batch_op.drop_index("ix_period_value_period")

    op.drop_table("period_value")
    with op.batch_alter_table("target", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_target_measure_id"))

    op.drop_table("target")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_submission_measure_id"))

    op.drop_table("submission")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_status_due")

    op.drop_table("reminder")
    with op.batch_alter_table("measure", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measure_reviewer_id"))
        batch_op.drop_index(batch_op.f("ix_measure_ref"))
        batch_op.drop_index(batch_op.f("ix_measure_head_of_service_id"))
        batch_op.drop_index(batch_op.f("ix_measure_collector_id"))
        batch_op.drop_index(batch_op.f("ix_measure_aim_id"))

    op.drop_table("measure")
    with op.batch_alter_table("leave", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_leave_person_id"))

    op.drop_table("leave")
    with op.batch_alter_table("aim", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_aim_priority_id"))
        batch_op.drop_index(batch_op.f("ix_aim_code"))

    op.drop_table("aim")
    with op.batch_alter_table("priority", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_priority_code"))

    op.drop_table("priority")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_slack_user_id"))
        batch_op.drop_index(batch_op.f("ix_person_email"))

    op.drop_table("person")
    op.drop_table("council")
    op.drop_table("audit_head")
    op.drop_table("audit_event")
