"""One audit entry and its hash: SHA-256 over a canonical JSON that includes the previous hash."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from trustflux.errors import AuditError

GENESIS = "0" * 64
"""The previous hash of the first entry."""


def canonical_details(details: Mapping[str, Any] | None) -> dict[str, Any]:
    """The details as they come back from the database (JSON round trip), or refused."""
    try:
        loaded = json.loads(json.dumps(dict(details or {}), sort_keys=True, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise AuditError(f"audit details must be plain JSON: {exc}") from None
    return dict(loaded)


def entry_hash(
    *,
    seq: int,
    at: datetime,
    actor: str,
    action: str,
    purpose: str | None,
    subject: str | None,
    details: Mapping[str, Any],
    prev_hash: str,
) -> str:
    """The hash that chains an entry to the one before it."""
    body = {
        "seq": seq,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "purpose": purpose,
        "subject": subject,
        "details": dict(details),
        "prev_hash": prev_hash,
    }
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Entry:
    """One line of the audit trail, as stored."""

    seq: int
    at: datetime
    actor: str
    action: str
    purpose: str | None
    subject: str | None
    details: Mapping[str, Any] = field(default_factory=dict)
    prev_hash: str = GENESIS
    entry_hash: str = ""

    def computed_hash(self, seq: int | None = None) -> str:
        """The hash this entry's content gives (at its own sequence number, or ``seq``)."""
        return entry_hash(
            seq=self.seq if seq is None else seq,
            at=self.at,
            actor=self.actor,
            action=self.action,
            purpose=self.purpose,
            subject=self.subject,
            details=self.details,
            prev_hash=self.prev_hash,
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "actor": self.actor,
            "action": self.action,
            "purpose": self.purpose,
            "subject": self.subject,
            "details": dict(self.details),
            "prev_hash": self.prev_hash,
            "entry_hash": self.entry_hash,
        }
