"""The relational tables of the trust center (SQLAlchemy Core).

Core tables rather than ORM classes: the ledger writes and the gate reads in batches, and the
web layer has its own pydantic shapes, so no table shape leaks into an API. Alembic migrations
under ``migrations/versions`` create exactly these tables; a test checks they agree.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from trustflux.db.types import UtcDateTime

NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING)

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so it autoincrements there too.
_Position = BigInteger().with_variant(Integer(), "sqlite")

ledger_records = Table(
    "ledger_records",
    metadata,
    Column("position", _Position, primary_key=True, autoincrement=True),
    Column("record_id", String(36), nullable=False, unique=True),
    Column("subject_id", String(80), nullable=False),
    Column("subject_kind", String(16), nullable=False),
    Column("purpose", String(64), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("event", String(16), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("recorded_at", UtcDateTime(), nullable=False),
    Column("method", String(16), nullable=False),
    Column("jurisdiction", String(8), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("notice_version", String(32), nullable=False),
    Column("notice_hash", String(64), nullable=False),
    Column("language", String(2), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("prev_hash", String(64), nullable=True),
    Column("record_hash", String(64), nullable=False),
    UniqueConstraint("subject_id", "purpose", "seq"),
    comment="Append-only history of consent and objection events (ISO/IEC TS 27560 records).",
)

ledger_state = Table(
    "ledger_state",
    metadata,
    Column("subject_id", String(80), primary_key=True),
    Column("purpose", String(64), primary_key=True),
    Column("subject_kind", String(16), nullable=False),
    Column("seq", Integer, nullable=False),
    Column("record_id", String(36), nullable=False),
    Column("event", String(16), nullable=False),
    Column("occurred_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("method", String(16), nullable=False),
    Column("notice_version", String(32), nullable=False),
    Column("record_hash", String(64), nullable=False),
    Index(None, "purpose", "occurred_at"),
    comment="Latest event per subject and purpose (projection of ledger_records, rebuildable).",
)

notices = Table(
    "notices",
    metadata,
    Column("notice_hash", String(64), primary_key=True),
    Column("purpose", String(64), nullable=False),
    Column("notice_version", String(32), nullable=False),
    Column("language", String(2), nullable=False),
    Column("text", Text, nullable=False),
    Column("first_seen_at", UtcDateTime(), nullable=False),
    comment="Every notice text a record refers to, by its SHA-256 (append-only).",
)

subscribers = Table(
    "subscribers",
    metadata,
    Column("subscriber_id", String(64), primary_key=True),
    Column("contract_start", Date, nullable=False),
    Column("contract_end", Date, nullable=True),
    Column("synced_at", UtcDateTime(), nullable=False),
    comment="Contract period per subscriber, synced from the identified zone for the gate.",
)

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(120), nullable=False, unique=True),
    Column("password_hash", String(255), nullable=False),
    Column("role", String(16), nullable=False),
    Column(
        "subscriber_id",
        String(64),
        ForeignKey("subscribers.subscriber_id"),
        nullable=True,
        unique=True,
    ),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    comment="People who sign in: subscribers, agents, the DPO, analysts, administrators.",
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_id", String(24), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(16), nullable=False),
    Column("secret_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=True),
    Column("revoked_at", UtcDateTime(), nullable=True),
    comment="Bearer tokens for jobs and integrations; only a hash of the secret is kept.",
)

audit_entries = Table(
    "audit_entries",
    metadata,
    Column("seq", _Position, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime(), nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(64), nullable=False),
    Column("purpose", String(64), nullable=True),
    Column("subject", String(80), nullable=True),
    Column("details", JSON(), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("entry_hash", String(64), nullable=False, unique=True),
    Index(None, "subject", "seq"),
    comment="Hash-chained audit trail: every access, decision, job run and release (append-only).",
)

dsr_requests = Table(
    "dsr_requests",
    metadata,
    Column("request_id", String(36), primary_key=True),
    Column("subject_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("filed_by", String(120), nullable=False),
    Column("details", JSON(), nullable=False),
    Column("received_at", UtcDateTime(), nullable=False),
    Column("due_at", UtcDateTime(), nullable=False),
    Column("verified_at", UtcDateTime(), nullable=True),
    Column("verification", String(32), nullable=True),
    Column("extension_reason", Text, nullable=True),
    Column("refusal_reason", Text, nullable=True),
    Column("completed_at", UtcDateTime(), nullable=True),
    Column("result", JSON(), nullable=True),
    Column("updated_at", UtcDateTime(), nullable=False),
    Index(None, "status", "due_at"),
    Index(None, "subject_id"),
    comment="Data-subject requests (GDPR Art. 15-21) and where each stands (Art. 12 deadlines).",
)

otp_challenges = Table(
    "otp_challenges",
    metadata,
    Column("challenge_id", String(36), primary_key=True),
    Column("request_id", String(36), ForeignKey("dsr_requests.request_id"), nullable=False),
    Column("channel", String(16), nullable=False),
    Column("contact_hint", String(64), nullable=False),
    Column("code_sha256", String(64), nullable=False),
    Column("created_at", UtcDateTime(), nullable=False),
    Column("expires_at", UtcDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("verified_at", UtcDateTime(), nullable=True),
    comment="One-time codes sent to the contact on file to verify a requester (hash only).",
)

dpia_decisions = Table(
    "dpia_decisions",
    metadata,
    Column("position", _Position, primary_key=True, autoincrement=True),
    Column("purpose", String(64), nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", String(120), nullable=False),
    Column("decided_at", UtcDateTime(), nullable=False),
    Column("note", Text, nullable=False),
    Index(None, "purpose", "position"),
    comment="The DPO's DPIA decisions per purpose (append-only; the latest one applies).",
)

restrictions = Table(
    "restrictions",
    metadata,
    Column("position", _Position, primary_key=True, autoincrement=True),
    Column("subject_id", String(64), nullable=False),
    Column("request_id", String(36), nullable=True),
    Column("reason", Text, nullable=False),
    Column("restricted_at", UtcDateTime(), nullable=False),
    Column("lifted_at", UtcDateTime(), nullable=True),
    Column("lifted_by", String(120), nullable=True),
    Index(None, "subject_id"),
    comment="Restrictions of processing (GDPR Art. 18): the gate denies every purpose meanwhile.",
)

tickets = Table(
    "tickets",
    metadata,
    Column("ticket_id", String(36), primary_key=True),
    Column("subscriber_id", String(64), nullable=False),
    Column("gateway_id", String(64), nullable=True),
    Column("reason", Text, nullable=False),
    Column("opened_by", String(120), nullable=False),
    Column("opened_at", UtcDateTime(), nullable=False),
    Column("closed_at", UtcDateTime(), nullable=True),
    Column("closed_by", String(120), nullable=True),
    Index(None, "subscriber_id"),
    comment="Customer-service tickets: an agent sees a gateway's diagnosis only under one.",
)

APPEND_ONLY_TABLES = ("ledger_records", "notices", "audit_entries", "dpia_decisions")
