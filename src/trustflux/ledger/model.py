"""What the ledger records: events, methods, subjects, and the record itself.

The vocabulary follows ISO/IEC TS 27560 (consent record information structure): a record
names the PII principal (subject), the purpose, the notice shown (version and hash of its
text), the event, when and how it happened, the jurisdiction and when the choice lapses.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal

Language = Literal["en", "fr"]
LANGUAGES: tuple[Language, ...] = ("fr", "en")


class Event(StrEnum):
    """What happened to the person's choice for one purpose."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"
    OBJECTED = "objected"
    EXPIRED = "expired"


class Method(StrEnum):
    """How the choice reached us (ISO/IEC TS 27560 'collection method')."""

    ACCOUNT_AREA = "account_area"
    COOKIE_BANNER = "cookie_banner"
    APP = "app"
    CALL_CENTRE = "call_centre"
    GPC_SIGNAL = "gpc_signal"
    API = "api"


class SubjectKind(StrEnum):
    """A subscriber (known contract) or an anonymous website visitor."""

    SUBSCRIBER = "subscriber"
    VISITOR = "visitor"


VISITOR_PREFIX = "visitor:"
_SUBSCRIBER_ID = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_VISITOR_ID = re.compile(r"visitor:[0-9a-f]{32}")


def subject_kind(subject: object) -> SubjectKind | None:
    """The kind of ``subject``, or None when it is no valid subject id.

    Subscriber ids follow the data model (1 to 64 letters, digits or ``_.:-``); visitor ids are
    ``visitor:`` and 32 hex digits, issued by the banner, and cannot be mistaken for a
    subscriber.
    """
    if not isinstance(subject, str):
        return None
    if subject.startswith(VISITOR_PREFIX):
        return SubjectKind.VISITOR if _VISITOR_ID.fullmatch(subject) else None
    return SubjectKind.SUBSCRIBER if _SUBSCRIBER_ID.fullmatch(subject) else None


SUBJECT_HINT = (
    "a subscriber id (1 to 64 letters, digits or _.:-) or a visitor id ('visitor:' and 32 "
    "lower-case hex digits)"
)


def utc_now() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True, slots=True)
class Choice:
    """A choice to record, as a caller states it; the ledger validates and completes it.

    ``occurred_at`` None means now; ``notice_version``/``notice_hash`` None mean the current
    notice of the purpose in ``language``; ``jurisdiction`` None means the controller's country.
    """

    subject: str
    purpose: str
    event: Event
    method: Method
    occurred_at: datetime | None = None
    record_id: str | None = None
    notice_version: str | None = None
    notice_hash: str | None = None
    language: Language = "fr"
    jurisdiction: str | None = None
    expires_at: datetime | None = None
    actor: str = "system"


@dataclass(frozen=True, slots=True)
class Record:
    """One event in the ledger, as stored; never changed once written."""

    record_id: str
    subject: str
    subject_kind: SubjectKind
    purpose: str
    seq: int
    event: Event
    occurred_at: datetime
    recorded_at: datetime
    method: Method
    jurisdiction: str
    expires_at: datetime | None
    notice_version: str
    notice_hash: str
    language: Language
    actor: str
    prev_hash: str | None
    record_hash: str

    def lapsed(self, at: datetime) -> bool:
        """Whether the choice has run out by ``at`` (its expiry has passed)."""
        return self.expires_at is not None and self.expires_at <= at

    def as_dict(self) -> dict[str, object]:
        """JSON-ready fields (timestamps in ISO 8601, UTC)."""
        return {
            "record_id": self.record_id,
            "subject": self.subject,
            "subject_kind": self.subject_kind.value,
            "purpose": self.purpose,
            "seq": self.seq,
            "event": self.event.value,
            "occurred_at": _iso(self.occurred_at),
            "recorded_at": _iso(self.recorded_at),
            "method": self.method.value,
            "jurisdiction": self.jurisdiction,
            "expires_at": _iso(self.expires_at),
            "notice_version": self.notice_version,
            "notice_hash": self.notice_hash,
            "language": self.language,
            "actor": self.actor,
            "prev_hash": self.prev_hash,
            "record_hash": self.record_hash,
        }


def record_hash(
    *,
    record_id: str,
    subject: str,
    purpose: str,
    seq: int,
    event: Event,
    occurred_at: datetime,
    recorded_at: datetime,
    method: Method,
    jurisdiction: str,
    expires_at: datetime | None,
    notice_version: str,
    notice_hash: str,
    language: str,
    actor: str,
    prev_hash: str | None,
) -> str:
    """SHA-256 over the record's fields and the previous record's hash.

    Each subject-purpose history is a hash chain: changing or removing a past record breaks
    every hash after it, which ``Ledger.verify`` detects and a receipt lets the person check.
    """
    canonical = json.dumps(
        [
            record_id,
            subject,
            purpose,
            seq,
            event.value,
            _iso(occurred_at),
            _iso(recorded_at),
            method.value,
            jurisdiction,
            _iso(expires_at),
            notice_version,
            notice_hash,
            language,
            actor,
            prev_hash,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def record_hash_of(record: Record) -> str:
    """The hash ``record`` should carry, recomputed from its fields."""
    return record_hash(
        record_id=record.record_id,
        subject=record.subject,
        purpose=record.purpose,
        seq=record.seq,
        event=record.event,
        occurred_at=record.occurred_at,
        recorded_at=record.recorded_at,
        method=record.method,
        jurisdiction=record.jurisdiction,
        expires_at=record.expires_at,
        notice_version=record.notice_version,
        notice_hash=record.notice_hash,
        language=record.language,
        actor=record.actor,
        prev_hash=record.prev_hash,
    )
