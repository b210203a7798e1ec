"""Trust center: consent ledger (append-only), its latest-state projection, notices, contract
periods, accounts and API tokens.

Revision ID: 0001_trust_center
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from trustflux.db.types import UtcDateTime

revision: str = "0001_trust_center"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

APPEND_ONLY = ("ledger_records", "notices")


def upgrade() -> None:
    op.create_table(
        "subscribers",
        sa.Column("subscriber_id", sa.String(64), nullable=False),
        sa.Column("contract_start", sa.Date(), nullable=False),
        sa.Column("contract_end", sa.Date(), nullable=True),
        sa.Column("synced_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id", name="pk_subscribers"),
        comment="Contract period per subscriber, synced from the identified zone for the gate.",
    )
    op.create_table(
        "ledger_records",
        sa.Column(
            "position",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("subject_id", sa.String(80), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("recorded_at", UtcDateTime(), nullable=False),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("jurisdiction", sa.String(8), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("notice_version", sa.String(32), nullable=False),
        sa.Column("notice_hash", sa.String(64), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=True),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("position", name="pk_ledger_records"),
        sa.UniqueConstraint("record_id", name="uq_ledger_records_record_id"),
        sa.UniqueConstraint(
            "subject_id", "purpose", "seq", name="uq_ledger_records_subject_id_purpose_seq"
        ),
        comment="Append-only history of consent and objection events (ISO/IEC TS 27560 records).",
    )
    op.create_table(
        "ledger_state",
        sa.Column("subject_id", sa.String(80), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("subject_kind", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("event", sa.String(16), nullable=False),
        sa.Column("occurred_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("method", sa.String(16), nullable=False),
        sa.Column("notice_version", sa.String(32), nullable=False),
        sa.Column("record_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("subject_id", "purpose", name="pk_ledger_state"),
        comment="Latest event per subject and purpose (projection of ledger_records, rebuildable).",
    )
    op.create_index(
        "ix_ledger_state_purpose_occurred_at", "ledger_state", ["purpose", "occurred_at"]
    )
    op.create_table(
        "notices",
        sa.Column("notice_hash", sa.String(64), nullable=False),
        sa.Column("purpose", sa.String(64), nullable=False),
        sa.Column("notice_version", sa.String(32), nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("first_seen_at", UtcDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("notice_hash", name="pk_notices"),
        comment="Every notice text a record refers to, by its SHA-256 (append-only).",
    )
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(120), nullable=False),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("subscriber_id", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscriber_id"],
            ["subscribers.subscriber_id"],
            name="fk_accounts_subscriber_id_subscribers",
        ),
        sa.PrimaryKeyConstraint("account_id", name="pk_accounts"),
        sa.UniqueConstraint("subscriber_id", name="uq_accounts_subscriber_id"),
        sa.UniqueConstraint("username", name="uq_accounts_username"),
        comment="People who sign in: subscribers, agents, the DPO, analysts, administrators.",
    )
    op.create_table(
        "api_tokens",
        sa.Column("token_id", sa.String(24), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("secret_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("expires_at", UtcDateTime(), nullable=True),
        sa.Column("revoked_at", UtcDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("token_id", name="pk_api_tokens"),
        comment="Bearer tokens for jobs and integrations; only a hash of the secret is kept.",
    )
    _append_only(op.get_bind().dialect.name)


def _append_only(dialect: str) -> None:
    """Refuse UPDATE and DELETE on history tables in the database itself, not only in code."""
    if dialect == "postgresql":
        op.execute(
            """
            CREATE FUNCTION trustflux_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'trustflux: % is append-only (% refused)', TG_TABLE_NAME, TG_OP;
            END $$
            """
        )
        for table in APPEND_ONLY:
            op.execute(
                f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION trustflux_refuse_change()"
            )
            op.execute(
                f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                "FOR EACH STATEMENT EXECUTE FUNCTION trustflux_refuse_change()"
            )
    elif dialect == "sqlite":
        for table in APPEND_ONLY:
            for operation in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, 'trustflux: {table} is append-only "
                    f"({operation} refused)'); END"
                )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for table in APPEND_ONLY:
        if dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        elif dialect == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS trustflux_refuse_change()")
    for table in ("api_tokens", "accounts", "notices", "ledger_state", "ledger_records"):
        op.drop_table(table)
    op.drop_table("subscribers")
