"""Consent and objection changes from the ledger into the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from trustflux.audit.entry import Entry
from trustflux.audit.trail import draft

if TYPE_CHECKING:
    from trustflux.ledger.model import Record

CONSENT_CHANGE = "consent_change"


def consent_entries(records: Iterable[Record]) -> list[Entry]:
    """One ``consent_change`` draft per ledger record (chained by ``AuditTrail.append_in``)."""
    return [
        draft(
            record.actor[:120],
            CONSENT_CHANGE,
            purpose=record.purpose,
            subject=record.subject,
            at=record.recorded_at,
            details={
                "record_id": record.record_id,
                "event": str(record.event),
                "method": str(record.method),
                "occurred_at": record.occurred_at.isoformat(),
                "notice_version": record.notice_version,
                "record_hash": record.record_hash,
            },
        )
        for record in records
    ]
