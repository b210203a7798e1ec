"""Rights and governance: data-subject requests, one-time codes, DPIA decisions, restrictions
of processing and customer-service tickets.

Revision ID: 0003_rights
Revises: 0002_audit_trail
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from trustflux.db.types import UtcDateTime

revision: str = "0003_rights"
down_revision: str | None = "0002_audit_trail"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_POSITION = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY = "dpia_decisions"


def upgrade() -> None:
    op.create_table(
        "dsr_requests",
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("filed_by", sa.String(120), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("received_at", UtcDateTime(), nullable=False),
        sa.Column("due_at", UtcDateTime(), nullable=False),
        sa.Column("verified_at", UtcDateTime(), nullable=True),
        sa.Column("verification", sa.String(32), nullable=True),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("refusal_reason", sa.Text(), nullable=True),
        sa.Column("completed_at", UtcDateTime(), nullable=True),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("request_id", name="pk_dsr_requests"),
        comment="Data-subject requests (GDPR Art. 15-21) and where each stands (Art. 12 "
        "deadlines).",
    )
    op.create_index("ix_dsr_requests_status_due_at", "dsr_requests", ["status", "due_at"])
    op.create_index("ix_dsr_requests_subject_id", "dsr_requests", ["subject_id"])
    op.create_table(
        "otp_challenges",
        sa.Column("challenge_id", sa.String(36), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("contact_hint", sa.String(64), nullable=False),
        sa.Column("code_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("verified_at", UtcDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["dsr_requests.request_id"],
            name="fk_otp_challenges_request_id_dsr_requests",
        ),
        sa.PrimaryKeyConstraint("challenge_id", name="pk_otp_challenges"),
        comment="One-time codes sent to the contact on file to verify a requester (hash only).",
    )
    op.create_table(
        "dpia_decisions",
        sa.Column("position", _POSITION, autoincrement=True, nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(120), nullable=False),
        sa.Column("decided_at", UtcDateTime(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_dpia_decisions"),
        comment="The DPO's DPIA decisions per purpose (append-only; the latest one applies).",
    )
    op.create_index("ix_dpia_decisions_purpose_position", "dpia_decisions", ["purpose", "position"])
    op.create_table(
        "restrictions",
        sa.Column("position", _POSITION, autoincrement=True, nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("request_id", sa.String(36), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("restricted_at", UtcDateTime(), nullable=False),
        sa.Column("lifted_at", UtcDateTime(), nullable=True),
        sa.Column("lifted_by", sa.String(120), nullable=True),
        sa.PrimaryKeyConstraint("position", name="pk_restrictions"),
        comment="Restrictions of processing (GDPR Art. 18): the gate denies every purpose "
        "meanwhile.",
    )
    op.create_index("ix_restrictions_subject_id", "restrictions", ["subject_id"])
    op.create_table(
        "tickets",
        sa.Column("ticket_id", sa.String(36), nullable=False),
        sa.Column("subscriber_id", sa.String(64), nullable=False),
        sa.Column("gateway_id", sa.String(64), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("opened_by", sa.String(120), nullable=False),
        sa.Column("opened_at", UtcDateTime(), nullable=False),
        sa.Column("closed_at", UtcDateTime(), nullable=True),
        sa.Column("closed_by", sa.String(120), nullable=True),
        sa.PrimaryKeyConstraint("ticket_id", name="pk_tickets"),
        comment="Customer-service tickets: an agent sees a gateway's diagnosis only under one.",
    )
    op.create_index("ix_tickets_subscriber_id", "tickets", ["subscriber_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # trustflux_refuse_change() comes from 0001.
        op.execute(
            f"CREATE TRIGGER {APPEND_ONLY}_append_only BEFORE UPDATE OR DELETE ON {APPEND_ONLY} "
            "FOR EACH ROW EXECUTE FUNCTION trustflux_refuse_change()"
        )
    elif dialect == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {APPEND_ONLY}_no_{operation.lower()} BEFORE {operation} ON "
                f"{APPEND_ONLY} BEGIN SELECT RAISE(ABORT, 'trustflux: {APPEND_ONLY} is "
                f"append-only ({operation} refused)'); END"
            )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_append_only ON {APPEND_ONLY}")
    elif dialect == "sqlite":
        op.execute(f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_no_update")
        op.execute(f"DROP TRIGGER IF EXISTS {APPEND_ONLY}_no_delete")
    op.drop_index("ix_tickets_subscriber_id", table_name="tickets")
    op.drop_table("tickets")
    op.drop_index("ix_restrictions_subject_id", table_name="restrictions")
    op.drop_table("restrictions")
    op.drop_index("ix_dpia_decisions_purpose_position", table_name="dpia_decisions")
    op.drop_table("dpia_decisions")
    op.drop_table("otp_challenges")
    op.drop_index("ix_dsr_requests_subject_id", table_name="dsr_requests")
    op.drop_index("ix_dsr_requests_status_due_at", table_name="dsr_requests")
    op.drop_table("dsr_requests")
