"""The tables (PRODUCT §1–6). Every change to them goes through an Alembic migration.

The register's shape: council → priorities → aims → measures, with people named by e-mail.
Values: a `Submission` per version (nothing is overwritten, PRODUCT §5), at most one `Review`
per submission, and `PeriodValue` holding each (measure, period)'s current state and approved
figure so that status queries read one row per measure.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, Index, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from storage.types import ExactDecimal, UTCDateTime


def _decimal(nullable: bool = True) -> Any:
    return Field(default=None, sa_column=Column(ExactDecimal(), nullable=nullable))


def _when(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable))


class Council(SQLModel, table=True):
    """The one council this database serves, with its calendar settings."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    region: str = Field(default="ENG", max_length=3)
    performance_board_weeks: int = 3
    closure_days: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    committee_dates: dict[str, list[str]] = Field(
        default_factory=dict, sa_column=Column(JSON, nullable=False)
    )
    channels: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    reminders: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=True))
    # Statuses that need an exception report ("red", "amber"); None means Red only.
    exception_reports: list[str] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    register_version: int = 0  # +1 whenever a register import changes anything
    # The report's approval chain after the Heads of Service: directorates with their Executive
    # Directors, the Leadership Team's approvers, the agenda deadline (working days).
    chain: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    # A project's RAGG rule (issue 14): up to this many working days late is Amber, then Red.
    project_amber_days: int = 10
    updated_at: datetime = _when()


class ActionItem(SQLModel, table=True):
    """One action to improve performance from an approved exception report (seed 002 §6.1.8,
    Appendix 1), tracked with an owner, a due date and its progress until done or dropped."""

    __tablename__ = "action_item"
    __table_args__ = (Index("ix_action_item_measure_period", "measure_id", "period"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id")
    period: str = Field(max_length=12)  # the period whose exception report set it
    submission_id: int = Field(foreign_key="submission.id")
    position: int = 0
    text: str = Field(sa_column=Column(Text, nullable=False))
    owner_id: int = Field(foreign_key="person.id", index=True)
    due: date
    progress: str = Field(default="not_started", max_length=12)
    note: str | None = Field(default=None, sa_column=Column(Text))
    updated_at: datetime = _when()
    updated_by_id: int | None = Field(default=None, foreign_key="person.id")


class ReportApproval(SQLModel, table=True):
    """An Executive Director's or the Leadership Team's decision on a quarter's report.

    `scope` is the directorate's name, or "leadership"; the latest decision per (quarter,
    scope) stands. A refusal carries its reason; an approval may follow once fixed."""

    __tablename__ = "report_approval"
    __table_args__ = (Index("ix_report_approval_quarter", "quarter", "scope"),)

    id: int | None = Field(default=None, primary_key=True)
    quarter: str = Field(max_length=12)
    scope: str = Field(max_length=100)
    person_id: int = Field(foreign_key="person.id")
    decision: str = Field(max_length=10)  # approved / refused
    reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_at: datetime = _when()


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    manager_email: str | None = Field(default=None, max_length=254)
    is_admin: bool = False
    slack_user_id: str | None = Field(default=None, max_length=32, index=True)
    slack_checked_at: datetime | None = _when(nullable=True)
    slack_dm_channel: str | None = Field(default=None, max_length=40)
    # Microsoft Teams (PRODUCT §10): the person's Teams user id for this bot ("29:…"), matched
    # by e-mail through the Bot Connector; `surface` is the chat they last used ("slack",
    # "teams"), where their reminders and cards go when both can reach them.
    teams_user_id: str | None = Field(default=None, max_length=200, index=True)
    surface: str | None = Field(default=None, max_length=10)


class Priority(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    name: str = Field(max_length=300)
    position: int = 0


class Aim(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=20, unique=True, index=True)
    title: str = Field(sa_column=Column(Text, nullable=False))
    priority_id: int = Field(foreign_key="priority.id", index=True)
    position: int = 0


class Measure(SQLModel, table=True):
    """A methodology statement (seed 002 Appendix 2): every field of PRODUCT §3."""

    id: int | None = Field(default=None, primary_key=True)
    ref: str = Field(max_length=20, unique=True, index=True)
    aim_id: int = Field(foreign_key="aim.id", index=True)
    position: int = 0
    title: str = Field(sa_column=Column(Text, nullable=False))
    definition: str = Field(sa_column=Column(Text, nullable=False))
    interval: str = Field(max_length=10)
    reporting_lag: int = 8
    format: str = Field(max_length=10)
    decimals: int = 0
    polarity: str = Field(max_length=6)
    cumulative: bool = False
    monitoring_only: bool = False
    tolerance: Decimal = Field(sa_column=Column(ExactDecimal(), nullable=False))
    tolerance_abs: Decimal | None = _decimal()
    committee: str | None = Field(default=None, max_length=50)
    confidence: str | None = Field(default=None, max_length=5)
    data_source: str | None = Field(default=None, sa_column=Column(Text))
    baseline_period: str | None = Field(default=None, max_length=12)
    baseline_value: Decimal | None = _decimal()
    units: str | None = Field(default=None, max_length=40)  # plural: "homes"
    units_one: str | None = Field(default=None, max_length=40)  # singular, when given
    benchmarking: str | None = Field(default=None, sa_column=Column(Text))
    purpose: str | None = Field(default=None, sa_column=Column(Text))
    worked_example: str | None = Field(default=None, sa_column=Column(Text))
    quality_assurance: str | None = Field(default=None, sa_column=Column(Text))
    strategic_lead_id: int | None = Field(default=None, foreign_key="person.id")
    collector_id: int = Field(foreign_key="person.id", index=True)
    cover_id: int | None = Field(default=None, foreign_key="person.id")
    reviewer_id: int = Field(foreign_key="person.id", index=True)
    head_of_service_id: int = Field(foreign_key="person.id", index=True)
    active: bool = True
    # "measure", or "project" (issue 14): a project is reported by its milestones, each
    # {"title", "due"}; its head_of_service is the project's owner.
    kind: str = Field(default="measure", max_length=10)
    milestones: list[dict[str, str]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )


class Target(SQLModel, table=True):
    """A target for a period label; `high` is set for a range target [low, high]."""

    __table_args__ = (UniqueConstraint("measure_id", "period", name="uq_target_measure_period"),)

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    period: str = Field(max_length=12)
    low: Decimal = Field(sa_column=Column(ExactDecimal(), nullable=False))
    high: Decimal | None = _decimal()


class PeriodValue(SQLModel, table=True):
    """The current state of one (measure, period) and its approved figure (PRODUCT §5)."""

    __tablename__ = "period_value"
    __table_args__ = (
        UniqueConstraint("measure_id", "period", name="uq_period_value_measure_period"),
        Index("ix_period_value_period", "period"),
        Index("ix_period_value_state", "state"),  # the review queue: figures still submitted
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    period: str = Field(max_length=12)
    state: str = Field(max_length=10)  # submitted | approved | rejected | reopened
    approved_value: Decimal | None = _decimal()
    approved_submission_id: int | None = Field(default=None, foreign_key="submission.id")
    latest_submission_id: int | None = Field(default=None, foreign_key="submission.id")
    updated_at: datetime = _when()


class Submission(SQLModel, table=True):
    """One version of a value and its commentary; amendments add versions (PRODUCT §5)."""

    __table_args__ = (
        UniqueConstraint("measure_id", "period", "version", name="uq_submission_version"),
        Index("ix_submission_submitted_by", "submitted_by"),  # a person's recent decisions
    )

    id: int | None = Field(default=None, primary_key=True)
    measure_id: int = Field(foreign_key="measure.id", index=True)
    period: str = Field(max_length=12)
    version: int
    value: Decimal = Field(sa_column=Column(ExactDecimal(), nullable=False))
    overview: str = Field(sa_column=Column(Text, nullable=False))
    actions: str | None = Field(default=None, sa_column=Column(Text))
    evidence_url: str | None = Field(default=None, sa_column=Column(Text))
    # A project's report: each milestone as the register gave it then, with its reported state
    # ({"title", "due", "state"}); None for a measure. `value` is the number done.
    milestones: list[dict[str, str]] | None = Field(
        default=None, sa_column=Column(JSON, nullable=True)
    )
    submitted_by_id: int | None = Field(default=None, foreign_key="person.id")
    submitted_by: str = Field(max_length=254)  # e-mail or CLI user, for the audit trail
    on_behalf_of: bool = False
    source: str = Field(default="slack", max_length=10)  # slack | teams | import
    late: bool = False
    submitted_at: datetime = _when()
    request_key: str | None = Field(default=None, max_length=120, unique=True)


class Review(SQLModel, table=True):
    """The one decision on a submission version; the unique key makes it exactly one."""

    # a person's latest decisions (the App Home), newest first, without reading every review
    __table_args__ = (Index("ix_review_decided_by_at", "decided_by", "decided_at"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", unique=True)
    decision: str = Field(max_length=10)  # approved | rejected
    reason: str | None = Field(default=None, sa_column=Column(Text))
    decided_by_id: int | None = Field(default=None, foreign_key="person.id")
    decided_by: str = Field(max_length=254)
    decided_at: datetime = _when()


class Leave(SQLModel, table=True):
    """A person away from `starts` to `ends` inclusive, and who covers (PRODUCT §6)."""

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    starts: date
    ends: date
    cover_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    created_at: datetime = _when()
    ended_at: datetime | None = _when(nullable=True)


class OutboxItem(SQLModel, table=True):
    """The outbox: everything the bot must send, once — planned reminders, and the cards,
    card updates, notices and home refreshes a change needs, written in the change's own
    transaction. One row per key (for reminders: measure, period, kind and recipient)."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_due", "status", "urgent", "due_at"),
        # Only the rows still to send (sent and dropped ones stay, and outnumber them): the
        # claim's "LIMIT 1"/"LIMIT 100" cannot be planned as a scan over years of sent rows.
        Index(
            "ix_outbox_open",
            "urgent",
            "due_at",
            postgresql_where=text("status IN ('pending', 'sending')"),
            sqlite_where=text("status IN ('pending', 'sending')"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=15)
    measure_id: int | None = Field(default=None, foreign_key="measure.id")
    period: str | None = Field(default=None, max_length=12)
    recipient_id: int | None = Field(default=None, foreign_key="person.id")
    due_at: datetime = _when()
    expires_at: datetime | None = _when(nullable=True)
    status: str = Field(default="pending", max_length=10)  # pending | sending | sent | dropped
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    channel: str | None = Field(default=None, max_length=200)
    message_ts: str | None = Field(default=None, max_length=100)
    sent_at: datetime | None = _when(nullable=True)
    deadline: date | None = None
    working_days_before: int | None = None
    version: int | None = None  # review reminders and cards: the version concerned
    on_behalf_of: str | None = Field(default=None, max_length=254)  # the person away
    claimed_by: str | None = Field(default=None, max_length=80)
    claimed_at: datetime | None = _when(nullable=True)
    payload: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    generation: int = 0  # bumped when a coalesced row (a card, a home page) is wanted again
    uncertain: bool = False  # the last attempt may have arrived: look before sending again
    urgent: bool = False  # a person is waiting (a click's consequences), not a planned reminder
    surface: str | None = Field(default=None, max_length=10)  # where it was delivered


class AuditEvent(SQLModel, table=True):
    """One link of the append-only, hash-chained audit trail (PRODUCT §9)."""

    __tablename__ = "audit_event"

    seq: int = Field(primary_key=True)  # 1, 2, 3, … with no gaps: a gap is a deleted row
    at: datetime = _when()
    actor: str = Field(max_length=254)
    action: str = Field(max_length=60)
    entity: str = Field(max_length=40)
    entity_key: str = Field(max_length=120)
    before: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)  # SHA-256, or HMAC-SHA256 under the key named by key_id
    key_id: str | None = Field(default=None, max_length=16)  # None: written without a key


class AuditHead(SQLModel, table=True):
    """The newest link, locked while appending; deleting the newest event breaks the match."""

    __tablename__ = "audit_head"

    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(max_length=64)


class TeamsConversation(SQLModel, table=True):
    """Where the bot can write in Teams without being spoken to first (a conversation
    reference): stored from installationUpdate, conversationUpdate and every message.
    `user_id` is the person of a personal chat; None for a team's channel."""

    __tablename__ = "teams_conversation"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=200, unique=True, index=True)
    service_url: str = Field(max_length=300)
    tenant_id: str | None = Field(default=None, max_length=64)
    user_id: str | None = Field(default=None, max_length=200, index=True)
    kind: str = Field(max_length=20)  # personal | channel | groupChat
    name: str | None = Field(default=None, max_length=200)
    updated_at: datetime = _when()


class MessageRef(SQLModel, table=True):
    """Where the bot posted something it must update later (a review card, a reminder).

    Transport-neutral: `channel` and `ts` are Slack's conversation id and message timestamp,
    or another chat system's equivalents.
    """

    __tablename__ = "message_ref"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_message_ref_kind_key"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=30)  # review_card | …
    key: str = Field(max_length=120)  # e.g. the submission id
    channel: str = Field(max_length=200)
    ts: str = Field(max_length=100)
    created_at: datetime = _when()
    surface: str = Field(default="slack", max_length=10)


class InboundEvent(SQLModel, table=True):
    """Events already handled, by the platform's event id: a retry of one is ignored."""

    __tablename__ = "inbound_event"

    event_id: str = Field(primary_key=True, max_length=80)
    received_at: datetime = _when()


class SignOff(SQLModel, table=True):
    """A Head of Service's sign-off of their measures for a quarter (seed 002 §10.3)."""

    __tablename__ = "signoff"
    __table_args__ = (UniqueConstraint("person_id", "quarter", name="uq_signoff_person_quarter"),)

    id: int | None = Field(default=None, primary_key=True)
    person_id: int = Field(foreign_key="person.id", index=True)
    quarter: str = Field(max_length=12)
    measures: int = 0
    signed_at: datetime = _when()


class SummaryPost(SQLModel, table=True):
    """A RAGG summary due to go, or gone, to a channel or an admin: posted once, by key."""

    __tablename__ = "summary_post"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    kind: str = Field(max_length=10)  # draft | post
    quarter: str = Field(max_length=12)
    target: str = Field(max_length=254)  # "#channel" or an admin's e-mail
    due_at: datetime = _when()
    status: str = Field(default="pending", max_length=10)  # pending | sending | sent
    attempts: int = 0
    next_attempt_at: datetime | None = _when(nullable=True)
    last_error: str | None = Field(default=None, sa_column=Column(Text))
    claimed_at: datetime | None = _when(nullable=True)
    channel: str | None = Field(default=None, max_length=200)
    message_ts: str | None = Field(default=None, max_length=100)
    thread_ts: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    posted_at: datetime | None = _when(nullable=True)
    surface: str = Field(default="slack", max_length=10)


class PublishedFigures(SQLModel, table=True):
    """A quarter's figures as they were published (PRODUCT §4): posted on the Board date or by
    an admin, or when a Head of Service signed off. Never changed, so a paper can be
    reproduced exactly however the figures change later."""

    __tablename__ = "published_figures"
    __table_args__ = (
        Index("ix_published_figures_quarter", "quarter", "published_at"),
        Index("uq_published_figures_key", "key", unique=True),
    )

    id: int | None = Field(default=None, primary_key=True)
    # "board|2025-26 Q4" for the scheduled posts on the Board date: one publication however
    # many processes, ticks or retries share the channels; None for a sign-off or a post by hand
    # (each is its own publication).
    key: str | None = Field(default=None, max_length=200)
    quarter: str = Field(max_length=12)
    published_at: datetime = _when()
    published_by: str = Field(max_length=254)  # an e-mail, or "pmf-bot" for the schedule
    occasion: str = Field(max_length=300)  # "posted to #performance", "signed off"
    rows: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
